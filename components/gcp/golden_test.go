package gcp

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestPlanGolden records what the cell deploys — every resource under it
// with its inputs, secrets shown as [secret] — in testdata/plan.golden, so a
// review sees every change. Rewrite it with
// `go test ./components/gcp/ -run TestPlanGolden -update`.
func TestPlanGolden(t *testing.T) {
	t.Parallel()
	d := deploy(t, baseArgs(), true)
	var b strings.Builder
	for _, r := range d.rec.Descendants(d.comp.URN) {
		inputs, err := json.MarshalIndent(redacted(r.Inputs), "  ", "  ")
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %s\n  %s\n", r.Type, r.Name, inputs)
	}
	path := filepath.Join("testdata", "plan.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s (run with -update to create it): %v", path, err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("plan differs from %s (run with -update if the change is intended):\n%s", path, lineDiff(string(want), got))
	}
}

// redacted turns inputs into plain values with every secret replaced.
func redacted(m resource.PropertyMap) map[string]any {
	var walk func(v resource.PropertyValue) any
	walk = func(v resource.PropertyValue) any {
		switch {
		case v.IsSecret():
			return "[secret]"
		case v.IsOutput():
			if v.OutputValue().Secret {
				return "[secret]"
			}
			return walk(v.OutputValue().Element)
		case v.IsArray():
			out := []any{}
			for _, e := range v.ArrayValue() {
				out = append(out, walk(e))
			}
			return out
		case v.IsObject():
			return redacted(v.ObjectValue())
		case v.IsComputed():
			return "[unknown]"
		}
		return v.Mappable()
	}
	out := map[string]any{}
	for k, v := range m {
		if strings.HasPrefix(string(k), "__") {
			continue
		}
		out[string(k)] = walk(v)
	}
	return out
}

// lineDiff lists the lines only one side has, in order.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var out []string
	for _, l := range w {
		if !slices.Contains(g, l) {
			out = append(out, "- "+l)
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}
