package celltest

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/recorder"
)

// Await resolves an output of a finished run, failing t when it cannot.
func Await(t testing.TB, o pulumi.Output) recorder.Awaited {
	t.Helper()
	aw, err := recorder.Await(o)
	if err != nil {
		t.Fatalf("awaiting output: %v", err)
	}
	return aw
}

// AwaitString resolves a string output; "" when it is not a string.
func AwaitString(t testing.TB, o pulumi.StringOutput) string {
	t.Helper()
	s, _ := Await(t, o).Value.(string)
	return s
}

// AwaitStrings resolves a string-array output, failing t when it is not
// one.
func AwaitStrings(t testing.TB, o pulumi.StringArrayOutput) []string {
	t.Helper()
	v := Await(t, o).Value
	ss, ok := v.([]string)
	if !ok {
		t.Fatalf("awaited %T, want []string", v)
	}
	return ss
}

// Want is an output and the value it must resolve to.
type Want struct {
	Out   pulumi.StringOutput
	Value string
}

// CheckOutputs fails t for every output of want, by name, that does not
// resolve to its non-empty value, or resolves to a secret: a cell's
// outputs are public.
func CheckOutputs(t testing.TB, want map[string]Want) {
	t.Helper()
	for name, w := range want {
		aw := Await(t, w.Out)
		got, _ := aw.Value.(string)
		if got == "" || !aw.Known || got != w.Value {
			t.Errorf("%s = %#v (known %v), want %q", name, aw.Value, aw.Known, w.Value)
		}
		if aw.Secret {
			t.Errorf("%s is secret; a cell's outputs are public", name)
		}
	}
}
