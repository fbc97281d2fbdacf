package recorder

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Placeholders Masked writes where a plan cannot show a value.
const (
	// MaskedSecret stands in for every secret value.
	MaskedSecret = "[secret]"
	// MaskedUnknown stands in for a value the engine does not know yet.
	MaskedUnknown = "[unknown]"
	// MaskedAsset stands in for an asset or an archive.
	MaskedAsset = "[asset]"
)

// Masked turns a recorded property value into plain data as a plan shows
// it: a secret (a secret marker or a secret output) becomes MaskedSecret and
// its path is appended to secrets (when secrets is not nil), an unknown
// value MaskedUnknown, a whole number an int64, a resource reference the
// name in its URN and an asset or archive MaskedAsset. path names v;
// elements add "[i]", object keys ".key". Object keys are visited in
// sorted order, so secrets comes out the same every run.
func Masked(v resource.PropertyValue, path string, secrets *[]string) any {
	switch {
	case v.IsSecret():
		addSecret(secrets, path)
		return MaskedSecret
	case v.IsComputed(), v.IsOutput() && !v.OutputValue().Known:
		return MaskedUnknown
	case v.IsOutput():
		if v.OutputValue().Secret {
			addSecret(secrets, path)
			return MaskedSecret
		}
		return Masked(v.OutputValue().Element, path, secrets)
	case v.IsNull():
		return nil
	case v.IsBool():
		return v.BoolValue()
	case v.IsNumber():
		n := v.NumberValue()
		if n == float64(int64(n)) {
			return int64(n)
		}
		return n
	case v.IsString():
		return v.StringValue()
	case v.IsArray():
		arr := v.ArrayValue()
		out := make([]any, len(arr))
		for i, e := range arr {
			out[i] = Masked(e, fmt.Sprintf("%s[%d]", path, i), secrets)
		}
		return out
	case v.IsObject():
		obj := v.ObjectValue()
		out := make(map[string]any, len(obj))
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			out[string(k)] = Masked(obj[k], path+"."+string(k), secrets)
		}
		return out
	case v.IsResourceReference():
		return v.ResourceReferenceValue().URN.Name()
	case v.IsAsset(), v.IsArchive():
		return MaskedAsset
	}
	return fmt.Sprint(v.V)
}

// MaskedMap is Masked over a resource's inputs or outputs: one entry a key,
// each key its own path, the engine's bookkeeping keys ("__defaults" and
// the like) left out. It never returns nil.
func MaskedMap(m resource.PropertyMap, secrets *[]string) map[string]any {
	out := map[string]any{}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if strings.HasPrefix(string(k), "__") {
			continue
		}
		out[string(k)] = Masked(m[k], string(k), secrets)
	}
	return out
}

func addSecret(secrets *[]string, path string) {
	if secrets != nil {
		*secrets = append(*secrets, path)
	}
}
