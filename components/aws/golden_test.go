package aws

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/cellfabric/cellfabric/internal/testkit"
)

// TestPlanGolden records what a two-zone cell deploys — every resource under
// the cell, the workload's container definition and both role policies — in
// testdata/plan.golden, so a review sees any change to it. Rewrite it with
// `go test ./components/aws/ -run TestPlanGolden -update`.
func TestPlanGolden(t *testing.T) {
	t.Parallel()
	d := deploy(t, baseArgs(), true)
	var b bytes.Buffer
	b.WriteString("# resources under the cell (type, logical name)\n")
	for _, r := range d.Rec.Descendants(d.Comp.URN) {
		fmt.Fprintf(&b, "%s %s\n", r.Type, r.Name)
	}
	section := func(title, raw string) {
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, []byte(raw), "", "  "); err != nil {
			t.Fatalf("%s is not JSON: %v", title, err)
		}
		fmt.Fprintf(&b, "\n# %s\n%s\n", title, pretty.String())
	}
	section("container definitions", str(d.One(t, "aws:ecs/taskDefinition:TaskDefinition"), "containerDefinitions"))
	section("task role policy", str(d.Named(t, "aws:iam/rolePolicy:RolePolicy", "cell-aws-use1-task"), "policy"))
	section("execution role policy", str(d.Named(t, "aws:iam/rolePolicy:RolePolicy", "cell-aws-use1-exec"), "policy"))

	testkit.Golden(t, filepath.Join("testdata", "plan.golden"), b.Bytes())
}
