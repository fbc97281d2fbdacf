package celltest

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/cellfabric/cellfabric/components/recorder"
)

// CheckTree fails t for every resource rec holds, the component and the
// providers aside, that does not lie below comp, and for every custom
// resource whose type starts with prefix ("" for any) that was not
// registered with provider. It returns those custom resources. A cell
// parents all it makes to itself and uses the caller's provider.
func CheckTree(t testing.TB, rec *recorder.Recorder, comp, provider *recorder.Resource, prefix string) []*recorder.Resource {
	t.Helper()
	if comp == nil || provider == nil {
		t.Fatalf("component %v, provider %v: not recorded", comp != nil, provider != nil)
	}
	var checked []*recorder.Resource
	for _, r := range rec.Resources() {
		if r.URN == comp.URN || r.IsProvider() {
			continue
		}
		if !rec.Below(r, comp.URN) {
			t.Errorf("%s %s is not under the cell", r.Type, r.Name)
		}
		if !r.Custom || !strings.HasPrefix(r.Type, prefix) {
			continue
		}
		checked = append(checked, r)
		if p := rec.ProviderOf(r); p == nil || p.URN != provider.URN {
			t.Errorf("%s %s uses provider %q, want the caller's %s", r.Type, r.Name, r.Provider, provider.URN)
		}
	}
	return checked
}

// InvokesThrough fails t unless rec holds an invoke and every invoke went
// through provider. none is the failure when there is no invoke: what the
// cell should have read.
func InvokesThrough(t testing.TB, rec *recorder.Recorder, provider *recorder.Resource, none string) {
	t.Helper()
	invokes := rec.Invokes()
	if len(invokes) == 0 {
		t.Fatal(none)
	}
	for _, inv := range invokes {
		if !strings.HasPrefix(inv.Provider, provider.URN+"::") {
			t.Errorf("invoke %s used provider %q, want the caller's", inv.Token, inv.Provider)
		}
	}
}

// NothingRegistered fails t for every resource but a provider that rec
// holds: a cell checks its arguments before it registers anything.
func NothingRegistered(t testing.TB, rec *recorder.Recorder) {
	t.Helper()
	for _, r := range rec.Resources() {
		if !r.IsProvider() {
			t.Errorf("%s %s registered before the error", r.Type, r.Name)
		}
	}
}

// NoPlainLeak fails t for every place in a recorded input or output where
// secret shows outside a secret value, and returns how many times it shows
// inside one.
func NoPlainLeak(t testing.TB, rec *recorder.Recorder, secret string) (inSecrets int) {
	t.Helper()
	for _, r := range rec.Resources() {
		for what, m := range map[string]resource.PropertyMap{"input": r.Inputs, "output": r.Outputs} {
			plain, n := recorder.Leaks(resource.NewObjectProperty(m), secret, r.Type+" "+r.Name+" "+what)
			inSecrets += n
			for _, where := range plain {
				t.Errorf("the secret shows in plain text at %s", where)
			}
		}
	}
	return inSecrets
}
