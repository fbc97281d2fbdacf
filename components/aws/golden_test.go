package aws

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestPlanGolden records what a two-zone cell deploys — every resource under
// the cell, the workload's container definition and both role policies — in
// testdata/plan.golden, so a review sees any change to it. Rewrite it with
// `go test ./components/aws/ -run TestPlanGolden -update`.
func TestPlanGolden(t *testing.T) {
	t.Parallel()
	d := deploy(t, baseArgs(), true)
	var b bytes.Buffer
	b.WriteString("# resources under the cell (type, logical name)\n")
	for _, r := range d.rec.Descendants(d.comp.URN) {
		fmt.Fprintf(&b, "%s %s\n", r.Type, r.Name)
	}
	section := func(title, raw string) {
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, []byte(raw), "", "  "); err != nil {
			t.Fatalf("%s is not JSON: %v", title, err)
		}
		fmt.Fprintf(&b, "\n# %s\n%s\n", title, pretty.String())
	}
	section("container definitions", str(d.one(t, "aws:ecs/taskDefinition:TaskDefinition"), "containerDefinitions"))
	section("task role policy", str(d.get(t, "aws:iam/rolePolicy:RolePolicy", "cell-aws-use1-task"), "policy"))
	section("execution role policy", str(d.get(t, "aws:iam/rolePolicy:RolePolicy", "cell-aws-use1-exec"), "policy"))

	path := filepath.Join("testdata", "plan.golden")
	if *update {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s (run with -update to create it): %v", path, err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("plan differs from %s (run with -update if the change is intended):\n%s", path, diffLines(string(want), got))
	}
}

// diffLines lists the lines only one side has.
func diffLines(want, got string) string {
	count := func(s string) map[string]int {
		m := map[string]int{}
		for _, l := range strings.Split(s, "\n") {
			m[l]++
		}
		return m
	}
	w, g := count(want), count(got)
	var out []string
	for l, n := range w {
		if g[l] < n {
			out = append(out, "- "+l)
		}
	}
	for l, n := range g {
		if w[l] < n {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}
