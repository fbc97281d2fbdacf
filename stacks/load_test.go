package stacks

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/fabric"
)

func TestDevStackLoads(t *testing.T) {
	t.Parallel()
	topo, err := LoadFile("../Pulumi.dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if topo.Stack != "dev" || topo.Project != "cellfabric" || topo.Role != RoleAll {
		t.Fatalf("stack %q project %q role %q", topo.Stack, topo.Project, topo.Role)
	}
	if got := len(topo.CloudsInUse()); got != 3 {
		t.Fatalf("clouds in use: %d", got)
	}
	geos := map[string]bool{}
	residents := 0
	for _, c := range topo.Cells {
		geos[c.Geo] = true
	}
	for _, tn := range topo.Tenants {
		if tn.Residency != "" {
			residents++
		}
	}
	if len(geos) < 2 || len(topo.Tenants) < 6 || residents == 0 {
		t.Fatalf("dev topology must span two geographies with six tenants, some resident: geos %v, %d tenants, %d resident", geos, len(topo.Tenants), residents)
	}
	// Defaults were applied.
	c, _ := topo.CellByID("aws-use1")
	if c.Port != DefaultPort || c.HealthPath != DefaultHealthPath || c.Hostname != "aws-use1.cells.cellfabric.example.com" {
		t.Fatalf("defaults not applied: %+v", c)
	}
	if topo.Observe.StandbyMaxAgeSeconds != DefaultStandbyMaxAgeSeconds {
		t.Fatalf("observe.standbyMaxAgeSeconds %d, want the default %d", topo.Observe.StandbyMaxAgeSeconds, DefaultStandbyMaxAgeSeconds)
	}
	if topo.Observe.SLO != DefaultSLO || c.SLO != DefaultSLO {
		t.Fatalf("SLO defaults not applied: observe.slo %v, cells[0].slo %v, want %v", topo.Observe.SLO, c.SLO, DefaultSLO)
	}
}

// TestSLOConfig reads the availability SLO of the stack and of one cell: a
// cell without its own takes the stack's.
func TestSLOConfig(t *testing.T) {
	t.Parallel()
	p := writeStack(t, `config:
  cellfabric:observe:
    slo: 99.5
    standbyMaxAgeSeconds: 120
  cellfabric:cells:
    - {id: aws-use1, cloud: aws, region: us-east-1, cidr: 10.10.0.0/16, image: i, hostname: a.example.com, slo: 99.95}
    - {id: aws-usw2, cloud: aws, region: us-west-2, cidr: 10.20.0.0/16, image: i, hostname: b.example.com}
  cellfabric:edge:
    disabled: true
`)
	topo, err := LoadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if topo.Observe.SLO != 99.5 || topo.Cells[0].SLO != 99.95 || topo.Cells[1].SLO != 99.5 {
		t.Fatalf("observe.slo %v, cells[0].slo %v, cells[1].slo %v; want 99.5, 99.95, 99.5", topo.Observe.SLO, topo.Cells[0].SLO, topo.Cells[1].SLO)
	}
	if topo.Observe.StandbyMaxAgeSeconds != 120 {
		t.Fatalf("observe.standbyMaxAgeSeconds %d, want 120", topo.Observe.StandbyMaxAgeSeconds)
	}
}

// TestEdgeAnalyticsConfig: edge.analytics is on unless the stack turns it
// off.
func TestEdgeAnalyticsConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		line string
		want bool
	}{{"", true}, {"\n    analytics: true", true}, {"\n    analytics: false", false}} {
		p := writeStack(t, `config:
  cellfabric:cells:
    - {id: aws-use1, cloud: aws, region: us-east-1, cidr: 10.10.0.0/16, image: i, hostname: a.example.com}
  cellfabric:edge:
    disabled: true`+tc.line+"\n")
		topo, err := LoadFile(p)
		if err != nil {
			t.Fatalf("%q: %v", tc.line, err)
		}
		if got := topo.Edge.AnalyticsOn(); got != tc.want {
			t.Errorf("%q: AnalyticsOn() = %v, want %v", tc.line, got, tc.want)
		}
	}
}

func writeStack(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "Pulumi.bad.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadFileErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		body string
		want []string
	}{
		{"unknown field", `config:
  cellfabric:cells:
    - id: aws-use1
      cloud: aws
      cidrr: 10.0.0.0/16
`, []string{`cells[0]: cannot decode: json: unknown field "cidrr"`}},
		{"wrong type", `config:
  cellfabric:cells:
    - id: aws-use1
      port: eighty
`, []string{"cells[0]: port: expected a number, found a JSON string"}},
		{"unknown key", `config:
  cellfabric:tenantz: []
`, []string{`unknown config key "cellfabric:tenantz"`}},
		{"not yaml", "config: [\n", []string{"not a valid stack file"}},
		{"three problems", `config:
  cellfabric:cells:
    - {id: aws-use1, cloud: aws, region: us-east-1, cidr: 10.0.0.0/16, image: i, asn: 64610}
    - {id: gcp-euw1, cloud: oracle, region: europe-west1, cidr: 10.0.0.0/16, image: i, asn: 64620}
  cellfabric:tenants:
    - {id: acme, cell: nowhere}
  cellfabric:edge: {disabled: true}
`, []string{"cells[1].cloud: unknown cloud", "cells[1].cidr: 10.0.0.0/16 overlaps cells[0]", `tenants[0].cell: primary cell "nowhere" is not in cells`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := LoadFile(writeStack(t, tc.body))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestConfigShapeMessages: a value of the wrong shape, a file that is not a
// stack file and a file that configures nothing each give a message that
// says what was expected and what was found, in the user's terms (no JSON
// parser errors, no Go types).
func TestConfigShapeMessages(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		body string
		want string
		one  bool // the error is this one problem and nothing else
	}{
		{name: "cells a string", body: "config:\n  cellfabric:cells: aws-use1\n",
			want: `cells: expected a list of cells, found a string ("aws-use1")`, one: true},
		{name: "cells a map", body: "config:\n  cellfabric:cells: {id: aws-use1}\n",
			want: "cells: expected a list of cells, found a map", one: true},
		{name: "tenants a number", body: "config:\n  cellfabric:tenants: 3\n",
			want: "tenants: expected a list of tenants, found a number (3)"},
		{name: "cellStacks a string", body: "config:\n  cellfabric:cellStacks: acme/cellfabric/cell-aws\n",
			want: `cellStacks: expected a list of stack names (org/project/stack), found a string ("acme/cellfabric/cell-aws")`},
		{name: "edge a list", body: "config:\n  cellfabric:edge: [a, b]\n",
			want: "edge: expected a map of edge settings, found a list"},
		{name: "network a boolean", body: "config:\n  cellfabric:network: true\n",
			want: "network: expected a map of network settings, found true"},
		{name: "tags a string", body: "config:\n  cellfabric:tags: team=platform\n",
			want: `tags: expected a map of tag names to values, found a string ("team=platform")`},
		{name: "a cell a string", body: "config:\n  cellfabric:cells: [aws-use1]\n",
			want: "cells[0]: expected a map, found a JSON string", one: true},
		{name: "failover a string", body: "config:\n  cellfabric:tenants: [{id: acme, cell: aws-use1, failover: gcp-euw1}]\n",
			want: "tenants[0]: failover: expected a list, found a JSON string"},
		{name: "top level a list", body: "- config\n- cellfabric:cells\n",
			want: "not a stack file: the top level must be a map with a config: key, found a list"},
		{name: "top level a string", body: "hello\n",
			want: `not a stack file: the top level must be a map with a config: key, found a string ("hello")`},
		{name: "config a list", body: "config:\n  - cellfabric:cells\n",
			want: "config: expected a map of config keys such as cellfabric:cells, found a list", one: true},
		{name: "config a string", body: "config: cells\n",
			want: `config: expected a map of config keys such as cellfabric:cells, found a string ("cells")`, one: true},
		{name: "empty file", body: "",
			want: "config: missing: the file has no config: section", one: true},
		{name: "comments only", body: "# nothing yet\n",
			want: "config: missing: the file has no config: section", one: true},
		{name: "no config section", body: "encryptionsalt: v1:abc\n",
			want: "config: missing: the file has no config: section", one: true},
		{name: "empty config section", body: "config:\n",
			want: "config: missing: the file has no config: section", one: true},
		{name: "no cellfabric key", body: "config:\n  gcp:project: acme\n",
			want: "config: no cellfabric configuration: set at least cellfabric:cells", one: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := LoadFile(writeStack(t, tc.body))
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error lacks %q:\n%v", tc.want, msg)
			}
			for _, noise := range []string{"invalid character", "json.RawMessage", "stacks.", "struct {", "yaml.Node", "[]string", "map[string]"} {
				if strings.Contains(msg, noise) {
					t.Errorf("error shows %q:\n%v", noise, msg)
				}
			}
			if tc.one {
				var ps fabric.Problems
				if !errors.As(err, &ps) || len(ps.List) != 1 {
					t.Errorf("want exactly one problem, got:\n%v", msg)
				}
			}
		})
	}
}

func TestParseStackFileSecretsAndValues(t *testing.T) {
	t.Parallel()
	sf, err := ParseStackFile([]byte(`config:
  aws:region: us-east-1
  cellfabric:edgeSigningKey:
    secure: v1:abcdef
  cellfabric:cellStacks: [acme/cellfabric/cell-aws]
  role: cell
`))
	if err != nil {
		t.Fatal(err)
	}
	if sf.Config["aws:region"] != "us-east-1" {
		t.Errorf("plain string: %q", sf.Config["aws:region"])
	}
	if sf.Config["cellfabric:edgeSigningKey"] != SecretPlaceholder || len(sf.Secrets) != 1 || sf.Secrets[0] != "cellfabric:edgeSigningKey" {
		t.Errorf("secret: %q %v", sf.Config["cellfabric:edgeSigningKey"], sf.Secrets)
	}
	if sf.Config["cellfabric:cellStacks"] != `["acme/cellfabric/cell-aws"]` {
		t.Errorf("array as JSON: %q", sf.Config["cellfabric:cellStacks"])
	}
	if sf.Config["cellfabric:role"] != "cell" {
		t.Errorf("key without namespace belongs to the project: %v", sf.Config)
	}
}

// FuzzFromConfig: arbitrary config never panics, and whatever loads validates.
func FuzzFromConfig(f *testing.F) {
	dev, err := ReadStackFile("../Pulumi.dev.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(dev.Config["cellfabric:cells"], dev.Config["cellfabric:tenants"], dev.Config["cellfabric:edge"], "all")
	f.Add(`[{"id":"x"}]`, `[{"id":"t","cell":"x","failover":["x","x"]}]`, `{}`, "cell")
	f.Add(`{`, `null`, `[]`, "")
	f.Fuzz(func(t *testing.T, cells, tenants, edge, role string) {
		cfg := map[string]string{KeyCells: cells, KeyTenants: tenants, KeyEdge: edge, KeyRole: role}
		topo, err := FromConfig("p", "s", func(k string) (string, bool) { v, ok := cfg[k]; return v, ok })
		if err == nil {
			if verr := topo.Validate(); verr != nil {
				t.Fatalf("loaded topology fails validation: %v", verr)
			}
		}
	})
}

// FuzzParseStackFile: arbitrary YAML never panics.
func FuzzParseStackFile(f *testing.F) {
	data, err := os.ReadFile("../Pulumi.dev.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte("config:\n  cellfabric:cells: {secure: x}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if sf, err := ParseStackFile(data); err == nil {
			_, _ = sf.Topology()
		}
	})
}
