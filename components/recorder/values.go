package recorder

import (
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Plain turns a recorded property value into plain Go values (string,
// float64, bool, []any, map[string]any, nil), looking through secrets and
// known outputs; an unknown value becomes nil. Tests compare inputs with it.
func Plain(v resource.PropertyValue) any {
	switch {
	case v.IsSecret():
		return Plain(v.SecretValue().Element)
	case v.IsOutput():
		return Plain(v.OutputValue().Element)
	case v.IsArray():
		out := []any{}
		for _, e := range v.ArrayValue() {
			out = append(out, Plain(e))
		}
		return out
	case v.IsObject():
		out := map[string]any{}
		for k, e := range v.ObjectValue() {
			out[string(k)] = Plain(e)
		}
		return out
	case v.IsComputed():
		return nil
	}
	return v.Mappable()
}

// Strings calls fn for every string leaf of v with its path (path, then
// ".key" and "[i]" steps) and whether it lies under a secret: a secret
// marker or a secret output. Unknown outputs have no leaves. It is how tests
// prove a secret never appears in plain text.
func Strings(v resource.PropertyValue, path string, fn func(path, s string, secret bool)) {
	walkStrings(v, path, false, fn)
}

func walkStrings(v resource.PropertyValue, path string, secret bool, fn func(path, s string, secret bool)) {
	switch {
	case v.IsSecret():
		walkStrings(v.SecretValue().Element, path, true, fn)
	case v.IsOutput():
		if o := v.OutputValue(); o.Known {
			walkStrings(o.Element, path, secret || o.Secret, fn)
		}
	case v.IsString():
		fn(path, v.StringValue(), secret)
	case v.IsArray():
		for i, e := range v.ArrayValue() {
			walkStrings(e, path+"["+strconv.Itoa(i)+"]", secret, fn)
		}
	case v.IsObject():
		for k, e := range v.ObjectValue() {
			walkStrings(e, path+"."+string(k), secret, fn)
		}
	}
}

// Leaks returns the paths in v (see Strings) where s appears outside any
// secret, and how many times it appears inside one.
func Leaks(v resource.PropertyValue, s, path string) (plain []string, secret int) {
	Strings(v, path, func(p, leaf string, isSecret bool) {
		if !strings.Contains(leaf, s) {
			return
		}
		if isSecret {
			secret++
		} else {
			plain = append(plain, p)
		}
	})
	return plain, secret
}

// At walks v by object keys (string) and array indexes (int), looking
// through secrets and known outputs on the way, and returns the value it
// reaches as it is (a secret stays one), or a null value where the path
// does not exist.
func At(v resource.PropertyValue, path ...any) resource.PropertyValue {
	for _, p := range path {
		v = Reveal(v)
		switch k := p.(type) {
		case string:
			if !v.IsObject() {
				return resource.NewNullProperty()
			}
			v = v.ObjectValue()[resource.PropertyKey(k)]
		case int:
			if !v.IsArray() || k < 0 || k >= len(v.ArrayValue()) {
				return resource.NewNullProperty()
			}
			v = v.ArrayValue()[k]
		default:
			return resource.NewNullProperty()
		}
	}
	return v
}

// Reveal returns v without the secret markers and known outputs wrapped
// around it.
func Reveal(v resource.PropertyValue) resource.PropertyValue {
	for {
		switch {
		case v.IsSecret():
			v = v.SecretValue().Element
		case v.IsOutput() && v.OutputValue().Known:
			v = v.OutputValue().Element
		default:
			return v
		}
	}
}

// String returns the string at path in v (see At), secret or not; "" where
// there is none.
func String(v resource.PropertyValue, path ...any) string {
	if v = Reveal(At(v, path...)); v.IsString() {
		return v.StringValue()
	}
	return ""
}

// StringList returns the strings of the array at path in v (see At),
// secret or not; nil where there is no array.
func StringList(v resource.PropertyValue, path ...any) []string {
	v = Reveal(At(v, path...))
	if !v.IsArray() {
		return nil
	}
	var out []string
	for _, e := range v.ArrayValue() {
		if e = Reveal(e); e.IsString() {
			out = append(out, e.StringValue())
		}
	}
	return out
}

// Input is At over the resource's inputs.
func (r *Resource) Input(path ...any) resource.PropertyValue {
	return At(resource.NewObjectProperty(r.Inputs), path...)
}

// Output is At over the resource's outputs.
func (r *Resource) Output(path ...any) resource.PropertyValue {
	return At(resource.NewObjectProperty(r.Outputs), path...)
}
