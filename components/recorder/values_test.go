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
