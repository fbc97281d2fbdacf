package gcp

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/components/recorder"
	"github.com/cellfabric/cellfabric/internal/testkit"
)

// TestPlanGolden records what the cell deploys — every resource under it
// with its inputs, secrets shown as [secret] — in testdata/plan.golden, so a
// review sees every change. Rewrite it with
// `go test ./components/gcp/ -run TestPlanGolden -update`.
func TestPlanGolden(t *testing.T) {
	t.Parallel()
	d := deploy(t, baseArgs(), true)
	var b strings.Builder
	for _, r := range d.Rec.Descendants(d.Comp.URN) {
		inputs, err := json.MarshalIndent(recorder.MaskedMap(r.Inputs, nil), "  ", "  ")
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %s\n  %s\n", r.Type, r.Name, inputs)
	}
	testkit.Golden(t, filepath.Join("testdata", "plan.golden"), []byte(b.String()))
}
