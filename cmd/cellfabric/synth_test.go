package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestSynthBadConfig is the acceptance case: overlapping CIDRs, an
// unknown cloud and a tenant in a missing cell give exit status 1 and one
// message naming all three with their paths.
func TestSynthBadConfig(t *testing.T) {
	t.Parallel()
	path := "../../examples/invalid/Pulumi.invalid.yaml" // the README shows this file
	code, stdout, stderr := runCLI("synth", "--config", path)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr)
	}
	if stdout != "" {
		t.Errorf("a failed synth printed a plan:\n%s", stdout)
	}
	for _, want := range []string{
		"cells[1].cidr: 10.10.0.0/16 overlaps cells[0]",
		`cells[2].cloud: unknown cloud "oracle"`,
		`tenants[0].cell: primary cell "nowhere" is not in cells`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// TestSynthStackProblems: a stack the program could not deploy (a cell
// without hostname when the edge is disabled, a GCP cell without project, a
// mesh too big for the planner) exits 1 and prints each problem with its
// config path, from the pre-check: no plan, and no error from running the
// program.
func TestSynthStackProblems(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file string
		want []string
	}{
		{"Pulumi.nohostname.yaml", []string{
			"\n  cells[0].hostname: missing: an AWS cell needs the DNS name its load balancer's certificate covers; set cells[0].hostname, or edge.domain",
			"\n  cells[2].hostname: missing: a GCP cell needs",
		}},
		{"Pulumi.noproject.yaml", []string{
			"\n  cells[0].project: missing: set cells[0].project or pulumi config set gcp:project <id>",
		}},
		{"Pulumi.bigmesh.yaml", []string{
			"\n  network: Azure's APIPA range 169.254.21.0-169.254.22.255 is exhausted: 9 Azure cell(s) × 4 AWS and GCP cell(s)",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			path := "../../infra/synth/testdata/problems/" + tc.file
			code, stdout, stderr := runCLI("synth", "--config", path)
			if code != 1 {
				t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr)
			}
			if stdout != "" {
				t.Errorf("a failed synth printed a plan:\n%s", stdout)
			}
			if !strings.HasPrefix(stderr, "synth: "+path+": ") || !strings.Contains(stderr, "problem(s) in the stack configuration:") {
				t.Errorf("stderr is not the pre-check's list of problems:\n%s", stderr)
			}
			for _, want := range tc.want {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			if strings.Contains(stderr, "running the program") {
				t.Errorf("the program ran:\n%s", stderr)
			}
		})
	}
}

// TestSynthBadConfigMatchesREADME: the README shows the output of synth on
// examples/invalid byte for byte; it must be what the command prints.
func TestSynthBadConfigMatchesREADME(t *testing.T) {
	t.Parallel()
	const cmd = "$ go run ./cmd/cellfabric synth --config examples/invalid/Pulumi.invalid.yaml\n"
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "```text\n"+cmd)
	block, _, closed := strings.Cut(block, "```")
	if !ok || !closed {
		t.Fatalf("README has no text block starting with %q", cmd)
	}
	_, _, stderr := runCLI("synth", "--config", "../../examples/invalid/Pulumi.invalid.yaml")
	if got := strings.ReplaceAll(stderr, "../../examples/", "examples/"); got != block {
		t.Fatalf("README shows:\n%s\nthe command prints:\n%s", block, got)
	}
}

func TestSynthUsageErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no source", []string{"synth"}, 2, "exactly one of --stack NAME or --config FILE"},
		{"both sources", []string{"synth", "--stack", "dev", "--config", "x.yaml"}, 2, "exactly one"},
		{"bad format", []string{"synth", "--stack", "dev", "--dir", "../..", "--format", "yaml"}, 2, `unknown format "yaml"`},
		{"missing stack file", []string{"synth", "--stack", "nope", "--dir", "../.."}, 1, "Pulumi.nope.yaml"},
		{"unknown command", []string{"synthesize"}, 2, `unknown command "synthesize"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := runCLI(tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.msg) {
				t.Fatalf("exit %d stderr %q; want %d and %q", code, stderr, tc.code, tc.msg)
			}
		})
	}
}

// TestSynthDevMarkdown: the pull-request view of the dev stack names every
// cell component and masks the edge key.
func TestSynthDevMarkdown(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCLI("synth", "--stack", "dev", "--dir", "../..", "--format", "markdown")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"### cellfabric synth: stack `dev`", "`cellfabric:aws:Cell aws-use1`", "`cellfabric:azure:Cell azure-weu`", "`cellfabric:gcp:Cell gcp-euw1`", "`cellfabric:gcp:Cell gcp-usc1`", "[secret]"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
}

// TestSynthDevListsEdgeAndMesh: the dev plan in text lists what issues 4 and
// 5 promise a reviewer sees: for the edge, the KV namespace and registry
// value, the Worker script, routes, DNS records, pools, monitors and load
// balancer; for the mesh, gateways, peers, tunnels and BGP peers of every
// pair of clouds.
func TestSynthDevListsEdgeAndMesh(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCLI("synth", "--stack", "dev", "--dir", "../..")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	count := func(typ string) int { return strings.Count(stdout, "  "+typ+" ") }
	for _, tc := range []struct {
		typ  string
		want int
	}{
		{"cloudflare:index/workersKvNamespace:WorkersKvNamespace", 2}, // the registry's, the tenant directory's
		{"cloudflare:index/workersKv:WorkersKv", 1},
		{"cloudflare:index/workerScript:WorkerScript", 1},
		{"cloudflare:index/workerCronTrigger:WorkerCronTrigger", 1},
		{"cloudflare:index/workerRoute:WorkerRoute", 2}, // the tenant hosts' wildcard + the shared host
		{"cloudflare:index/record:Record", 5},           // the tenant hosts' wildcard + the four cells' origin names; the load balancer is the shared host's
		{"cloudflare:index/loadBalancerPool:LoadBalancerPool", 4},
		{"cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor", 4},
		{"cloudflare:index/loadBalancer:LoadBalancer", 1},
		{"aws:ec2/vpnGateway:VpnGateway", 1},
		{"aws:ec2/customerGateway:CustomerGateway", 6}, // Azure 2 IPs, 2 per GCP HA gateway
		{"aws:ec2/vpnConnection:VpnConnection", 6},     // two tunnels each
		{"azure-native:network:VirtualNetworkGateway", 1},
		{"gcp:compute/haVpnGateway:HaVpnGateway", 2},
		{"gcp:compute/routerPeer:RouterPeer", 12},
	} {
		if got := count(tc.typ); got != tc.want {
			t.Errorf("%s: %d in the plan, want %d", tc.typ, got, tc.want)
		}
	}
	// One proxied wildcard record for every tenant host, whatever the
	// number of tenants; none per tenant.
	if got := strings.Count(stdout, "edge-dns-tenant-"); got != 0 {
		t.Errorf("%d per-tenant DNS records, want none", got)
	}
	if !strings.Contains(stdout, "*.cellfabric.example.com") {
		t.Error("no wildcard route or record for the tenant hosts")
	}
}
