package recorder

import (
	"reflect"
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

func sample() resource.PropertyValue {
	return resource.NewObjectProperty(resource.PropertyMap{
		"name": resource.NewStringProperty("plain"),
		"key":  resource.MakeSecret(resource.NewStringProperty("hidden")),
		"list": resource.NewArrayProperty([]resource.PropertyValue{
			resource.NewStringProperty("a"),
			resource.NewOutputProperty(resource.Output{Element: resource.NewStringProperty("out"), Known: true, Secret: true}),
			resource.NewOutputProperty(resource.Output{Known: false}),
		}),
		"n": resource.NewNumberProperty(3),
	})
}

// TestStrings: every string leaf is visited once with its path, and leaves
// under a secret marker or a secret output are flagged.
func TestStrings(t *testing.T) {
	t.Parallel()
	var got []string
	Strings(sample(), "r", func(path, s string, secret bool) {
		flag := "plain"
		if secret {
			flag = "secret"
		}
		got = append(got, path+"="+s+":"+flag)
	})
	slices.Sort(got)
	want := []string{"r.key=hidden:secret", "r.list[0]=a:plain", "r.list[1]=out:secret", "r.name=plain:plain"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestPlain: secrets and known outputs are looked through, unknown outputs
// become nil.
func TestPlain(t *testing.T) {
	t.Parallel()
	want := map[string]any{"name": "plain", "key": "hidden", "list": []any{"a", "out", nil}, "n": 3.0}
	if got := Plain(sample()); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v, want %#v", got, want)
	}
}

// TestLeaks: a plain occurrence is reported by path, secret ones counted.
func TestLeaks(t *testing.T) {
	t.Parallel()
	v := resource.NewArrayProperty([]resource.PropertyValue{sample(), resource.NewStringProperty("x-hidden-x")})
	plain, secret := Leaks(v, "hidden", "v")
	if !slices.Equal(plain, []string{"v[1]"}) || secret != 1 {
		t.Fatalf("plain %v, secret %d; want [v[1]] and 1", plain, secret)
	}
}

// TestMasked: secrets become MaskedSecret with their paths listed in
// order, unknown outputs MaskedUnknown, whole numbers int64; MaskedMap
// leaves out the engine's bookkeeping keys.
func TestMasked(t *testing.T) {
	t.Parallel()
	var secrets []string
	got := MaskedMap(resource.PropertyMap{
		"v":          sample(),
		"__defaults": resource.NewArrayProperty(nil),
		"half":       resource.NewNumberProperty(0.5),
	}, &secrets)
	want := map[string]any{
		"v": map[string]any{
			"name": "plain", "key": MaskedSecret, "n": int64(3),
			"list": []any{"a", MaskedSecret, MaskedUnknown},
		},
		"half": 0.5,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v, want %#v", got, want)
	}
	if want := []string{"v.key", "v.list[1]"}; !slices.Equal(secrets, want) {
		t.Fatalf("secrets %v, want %v", secrets, want)
	}
	if got := MaskedMap(nil, nil); got == nil || len(got) != 0 {
		t.Fatalf("MaskedMap(nil) = %#v, want an empty map", got)
	}
}

// TestAt: paths go through objects, arrays, secrets and known outputs; the
// value reached keeps its secret; a missing step gives null, and String
// and StringList read through the secret.
func TestAt(t *testing.T) {
	t.Parallel()
	v := resource.NewObjectProperty(resource.PropertyMap{
		"wrapped": resource.MakeSecret(sample()),
	})
	cases := []struct {
		name   string
		path   []any
		str    string
		secret bool
		null   bool
	}{
		{name: "through a secret object", path: []any{"wrapped", "name"}, str: "plain"},
		{name: "a secret leaf stays secret", path: []any{"wrapped", "key"}, str: "hidden", secret: true},
		{name: "array index", path: []any{"wrapped", "list", 0}, str: "a"},
		{name: "through a secret output", path: []any{"wrapped", "list", 1}, str: "out", secret: true},
		{name: "index out of range", path: []any{"wrapped", "list", 3}, null: true},
		{name: "negative index", path: []any{"wrapped", "list", -1}, null: true},
		{name: "key of an array", path: []any{"wrapped", "list", "x"}, null: true},
		{name: "index of an object", path: []any{"wrapped", 0}, null: true},
		{name: "missing key", path: []any{"nope", "name"}, null: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := At(v, tc.path...)
			if got.IsNull() != tc.null {
				t.Fatalf("At(%v) = %v, null %v", tc.path, got, tc.null)
			}
			if secret := got.IsSecret() || (got.IsOutput() && got.OutputValue().Secret); secret != tc.secret {
				t.Errorf("At(%v) secret = %v, want %v", tc.path, secret, tc.secret)
			}
			if s := String(v, tc.path...); s != tc.str {
				t.Errorf("String(%v) = %q, want %q", tc.path, s, tc.str)
			}
		})
	}
	if got := StringList(v, "wrapped", "list"); !slices.Equal(got, []string{"a", "out"}) {
		t.Errorf("StringList = %v, want [a out]", got)
	}
	if got := StringList(v, "wrapped", "name"); got != nil {
		t.Errorf("StringList of a string = %v, want nil", got)
	}
}
