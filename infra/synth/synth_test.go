package synth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/infra/program"
	"github.com/cellfabric/cellfabric/internal/testkit"
	"github.com/cellfabric/cellfabric/stacks"
)

func devPlan(t *testing.T) *Plan {
	t.Helper()
	sf, err := stacks.ReadStackFile("../../Pulumi.dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := Synthesize(sf, program.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// TestDevGolden keeps the dev stack's plan in review: every change to the
// planned infrastructure changes testdata/dev.json, the one golden
// rendering of the dev plan. Rewrite with -update.
func TestDevGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := devPlan(t).Write(&buf, "json"); err != nil {
		t.Fatal(err)
	}
	testkit.Golden(t, filepath.Join("testdata", "dev.json"), buf.Bytes())
}

// TestRenderersGolden keeps the text and markdown renderings in review, on a
// small stack (the dev plan's content is dev.json's).
func TestRenderersGolden(t *testing.T) {
	sf, err := stacks.ReadStackFile("testdata/small/Pulumi.small.yaml")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := Synthesize(sf, program.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for format, ext := range map[string]string{"text": "txt", "markdown": "md"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := plan.Write(&buf, format); err != nil {
				t.Fatal(err)
			}
			testkit.Golden(t, filepath.Join("testdata", "small", "small."+ext), buf.Bytes())
		})
	}
}

// TestSynthIsDeterministic: two runs give the same bytes, whatever order the
// program's goroutines registered in.
func TestSynthIsDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	if err := devPlan(t).WriteJSON(&a); err != nil {
		t.Fatal(err)
	}
	if err := devPlan(t).WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Fatalf("two runs differ:\n%s", testkit.FirstDiff(a.String(), b.String()))
	}
}

// TestPlanMasksSecrets: every secret input shows as [secret], and the
// rendered plan holds nothing shaped like the generated 64-character key.
func TestPlanMasksSecrets(t *testing.T) {
	plan := devPlan(t)
	masked := 0
	for _, r := range plan.Resources {
		for _, path := range r.Secrets {
			masked++
			if v := lookup(r.Inputs, path); v != Masked {
				t.Errorf("%s %s: secret input %s rendered as %v", r.Type, r.Name, path, v)
			}
		}
	}
	if masked < 4 {
		t.Fatalf("only %d secret inputs in the dev plan; the edge key alone reaches four cells", masked)
	}
	for _, format := range []string{"text", "json", "markdown"} {
		var buf bytes.Buffer
		if err := plan.Write(&buf, format); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		for _, loc := range keyShaped.FindAllStringIndex(out, -1) {
			// A labelled content hash (the registry epoch's trigger) is
			// not a secret.
			if strings.HasSuffix(out[:loc[0]], "sha256:") {
				continue
			}
			t.Errorf("%s view holds a key-shaped value %q", format, out[loc[0]:loc[1]])
		}
	}
}

var keyShaped = regexp.MustCompile(`\b[A-Za-z0-9]{64}\b`)

// TestPlanTree: the plan lists each resource right under its parent (tree
// order), and every resource of a cell below its cell component.
func TestPlanTree(t *testing.T) {
	plan := devPlan(t)
	var ancestors []string
	cells := 0
	for _, r := range plan.Resources {
		ancestors = append(ancestors[:r.Depth], r.Type+" "+r.Name)
		if r.Depth > 0 && r.Parent != ancestors[r.Depth-1] {
			t.Errorf("%s %s is listed under %q but its parent is %q", r.Type, r.Name, ancestors[r.Depth-1], r.Parent)
		}
		if r.Kind == "component" && strings.HasSuffix(r.Type, ":Cell") {
			cells++
		}
		if strings.HasSuffix(strings.Fields(r.Component + " x")[0], ":Cell") && r.Component != ancestors[0] {
			t.Errorf("%s %s belongs to %s but is listed under %s", r.Type, r.Name, r.Component, ancestors[0])
		}
	}
	if cells != 4 {
		t.Fatalf("%d cell components in the plan, want 4", cells)
	}
}

// lookup follows a dotted path with [i] indexes through plain data.
func lookup(m map[string]any, path string) any {
	var cur any = m
	for _, part := range strings.Split(path, ".") {
		name, idx, _ := strings.Cut(part, "[")
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[name]
		for idx != "" {
			num, rest, _ := strings.Cut(idx, "]")
			n, err := strconv.Atoi(num)
			arr, ok := cur.([]any)
			if err != nil || !ok || n >= len(arr) {
				return nil
			}
			cur = arr[n]
			_, idx, _ = strings.Cut(rest, "[")
		}
	}
	return cur
}

// TestSynthStopsAtStackProblems: stack files the program could not deploy
// are refused by the pre-check with every problem and its config path,
// before the program runs: no cell component is ever constructed.
func TestSynthStopsAtStackProblems(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file string
		want []string // "path: start of the message"
	}{
		{"Pulumi.nohostname.yaml", []string{
			"cells[0].hostname: missing: an AWS cell needs",
			"cells[2].hostname: missing: a GCP cell needs",
		}},
		{"Pulumi.noproject.yaml", []string{
			"cells[0].project: missing: set cells[0].project or pulumi config set gcp:project <id>",
		}},
		{"Pulumi.bigmesh.yaml", []string{
			"network: Azure's APIPA range 169.254.21.0-169.254.22.255 is exhausted",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			sf, err := stacks.ReadStackFile(filepath.Join("testdata", "problems", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			var built atomic.Int32
			cells := program.DefaultCellConstructors()
			for cloud, build := range cells {
				cells[cloud] = func(ctx *pulumi.Context, name string, args cell.Args, opts ...pulumi.ResourceOption) (cell.Cell, error) {
					built.Add(1)
					return build(ctx, name, args, opts...)
				}
			}
			_, err = Synthesize(sf, program.Options{Cells: cells})
			var ps fabric.Problems
			if !errors.As(err, &ps) {
				t.Fatalf("want fabric.Problems, got %v", err)
			}
			for _, want := range tc.want {
				found := false
				for _, p := range ps.List {
					found = found || strings.HasPrefix(p.Error(), want)
				}
				if !found {
					t.Errorf("no problem %q in:\n%v", want, err)
				}
			}
			if n := built.Load(); n != 0 {
				t.Errorf("%d cell(s) constructed before the problems were reported", n)
			}
		})
	}
}

// TestSynthRoutesAndRecordsDoNotGrowWithTenants: the dev stack with 10
// generated tenants and with 10,000 plans exactly the same Cloudflare Worker
// routes and DNS records, by name, pattern and host: one wildcard for every
// tenant host, whatever their number.
func TestSynthRoutesAndRecordsDoNotGrowWithTenants(t *testing.T) {
	t.Parallel()
	routesAndRecords := func(n int) []string {
		sf, err := stacks.ReadStackFile("../../Pulumi.dev.yaml")
		if err != nil {
			t.Fatal(err)
		}
		cells := []string{"aws-use1", "gcp-usc1", "azure-weu", "gcp-euw1"}
		tenants := make([]map[string]string, n)
		for i := range tenants {
			tenants[i] = map[string]string{"id": fmt.Sprintf("tenant-%05d", i), "cell": cells[i%len(cells)]}
		}
		doc, err := json.Marshal(tenants)
		if err != nil {
			t.Fatal(err)
		}
		sf.Config["cellfabric:tenants"] = string(doc)
		plan, err := Synthesize(sf, program.Options{})
		if err != nil {
			t.Fatalf("%d tenants: %v", n, err)
		}
		if got := strings.Count(fmt.Sprint(plan.Outputs[program.OutputRegistry]), `"id": "tenant-`); got != n {
			t.Fatalf("the plan's registry holds %d of the %d tenants", got, n)
		}
		var out []string
		for _, r := range plan.Resources {
			if r.Type == "cloudflare:index/workerRoute:WorkerRoute" || r.Type == "cloudflare:index/record:Record" {
				out = append(out, fmt.Sprintf("%s %s pattern=%v name=%v", r.Type, r.Name, r.Inputs["pattern"], r.Inputs["name"]))
			}
		}
		slices.Sort(out)
		return out
	}
	few, many := routesAndRecords(10), routesAndRecords(10_000)
	if !slices.Equal(few, many) {
		t.Fatalf("10 tenants plan:\n%s\n10,000 tenants plan:\n%s", strings.Join(few, "\n"), strings.Join(many, "\n"))
	}
	routes := 0
	for _, r := range few {
		if strings.Contains(r, "workerRoute") {
			routes++
		}
	}
	if routes != 2 || !slices.ContainsFunc(few, func(s string) bool { return strings.Contains(s, "pattern=*.cellfabric.example.com/*") }) {
		t.Fatalf("routes and records:\n%s\nwant two routes, the tenant hosts' wildcard and the shared host's", strings.Join(few, "\n"))
	}
}
