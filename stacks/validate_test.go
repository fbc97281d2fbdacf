package stacks

import (
	"errors"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/fabric"
)

// validTopology returns a small topology that passes validation; each
// negative case below breaks exactly one rule of it.
func validTopology() *Topology {
	one := 1
	t := &Topology{
		Cells: []Cell{
			{ID: "aws-use1", Cloud: fabric.AWS, Region: "us-east-1", CIDR: "10.10.0.0/16", ASN: 64610, Image: "img:1", MinInstances: &one},
			{ID: "azure-weu", Cloud: fabric.Azure, Region: "westeurope", CIDR: "10.20.0.0/16", ASN: 64620, Image: "img:1"},
			{ID: "gcp-euw1", Cloud: fabric.GCP, Region: "europe-west1", CIDR: "10.30.0.0/16", ASN: 64630, Image: "img:1"},
		},
		Tenants: []Tenant{
			{ID: "acme", Cell: "aws-use1", Failover: []string{"gcp-euw1"}},
			{ID: "initech", Cell: "azure-weu", Failover: []string{"gcp-euw1"}, Residency: "eu"},
		},
		Edge: Edge{AccountID: "acct", ZoneID: "zone", Domain: "example.com",
			SharedRoutes: []SharedRoute{{Prefix: "/catalog", Cells: []WeightedCell{{Cell: "aws-use1"}}}}},
		GCPProject: "cellfabric-test",
	}
	t.SetDefaults()
	return t
}

func TestValidTopologyPasses(t *testing.T) {
	t.Parallel()
	if err := validTopology().Validate(); err != nil {
		t.Fatalf("valid topology rejected: %v", err)
	}
}

func TestValidateRules(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		mutate func(*Topology)
		path   string
		msg    string
	}{
		{"unknown role", func(t *Topology) { t.Role = "everything" }, "role", "unknown role"},
		{"cell role without cell", func(t *Topology) { t.Role = RoleCell }, "cell", "needs the id"},
		{"cell role names missing cell", func(t *Topology) { t.Role = RoleCell; t.Cell = "nope-1" }, "cell", "not in cells"},
		{"cell set for role all", func(t *Topology) { t.Cell = "aws-use1" }, "cell", "only for role cell"},
		{"edge role without cell stacks", func(t *Topology) { t.Role = RoleEdge }, "cellStacks", "reads the cells"},
		{"network role bad stack name", func(t *Topology) { t.Role = RoleNetwork; t.CellStacks = []string{"dev"} }, "cellStacks[0]", "fully qualified"},
		{"no cells", func(t *Topology) { t.Cells = nil; t.Tenants = nil; t.Edge.SharedRoutes = nil }, "cells", "at least one"},
		{"missing cell id", func(t *Topology) { t.Cells[0].ID = "" }, "cells[0].id", "missing"},
		{"bad cell id", func(t *Topology) { t.Cells[0].ID = "AWS_1" }, "cells[0].id", "not a valid cell id"},
		{"duplicate cell id", func(t *Topology) { t.Cells[1].ID = "aws-use1" }, "cells[1].id", "duplicate id"},
		{"unknown cloud", func(t *Topology) { t.Cells[0].Cloud = "oracle" }, "cells[0].cloud", "unknown cloud"},
		{"missing region", func(t *Topology) { t.Cells[0].Region = "" }, "cells[0].region", "missing"},
		{"region without geo", func(t *Topology) { t.Cells[0].Region = "mars-north-1"; t.Cells[0].Geo = "" }, "cells[0].geo", "not in cellfabric's region table"},
		{"missing image", func(t *Topology) { t.Cells[2].Image = "" }, "cells[2].image", "missing"},
		{"bad port", func(t *Topology) { t.Cells[0].Port = 70000 }, "cells[0].port", "not a TCP port"},
		{"bad health path", func(t *Topology) { t.Cells[0].HealthPath = "healthz" }, "cells[0].healthPath", "starting with /"},
		{"negative min", func(t *Topology) { n := -1; t.Cells[0].MinInstances = &n }, "cells[0].minInstances", "negative"},
		{"max below min", func(t *Topology) { n := 5; t.Cells[0].MinInstances = &n; t.Cells[0].MaxInstances = 2 }, "cells[0].maxInstances", "at least minInstances"},
		{"negative weight", func(t *Topology) { t.Cells[0].Weight = -3 }, "cells[0].weight", "negative"},
		{"bad cell state", func(t *Topology) { t.Cells[0].State = "sleeping" }, "cells[0].state", "unknown state"},
		{"bad hostname", func(t *Topology) { t.Cells[0].Hostname = "Not A Host" }, "cells[0].hostname", "not a lowercase DNS name"},
		{"project on non-gcp", func(t *Topology) { t.Cells[0].Project = "p" }, "cells[0].project", "only gcp"},
		{"aws hostname with the edge disabled", func(t *Topology) { noDomain(t); t.Edge.Disabled = true }, "cells[0].hostname", "missing: an AWS cell needs the DNS name its load balancer's certificate covers; set cells[0].hostname, or edge.domain"},
		{"gcp hostname with the edge disabled", func(t *Topology) { noDomain(t); t.Edge.Disabled = true }, "cells[2].hostname", "a GCP cell needs"},
		{"gcp hostname in role cell without a domain", func(t *Topology) { noDomain(t); t.Role = RoleCell; t.Cell = "gcp-euw1" }, "cells[2].hostname", "set cells[2].hostname"},
		{"derived hostname in role cell", func(t *Topology) {
			t.Role, t.Cell, t.Edge.Domain, t.Cells[0].Hostname = RoleCell, "aws-use1", "Example.COM", "aws-use1.cells.Example.COM"
		}, "cells[0].hostname", "derived from edge.domain"},
		{"gcp project missing", func(t *Topology) { t.Cells[2].Project = "" }, "cells[2].project", "missing: set cells[2].project or pulumi config set gcp:project <id>"},
		{"gcp project missing in role cell", func(t *Topology) { t.Role = RoleCell; t.Cell = "gcp-euw1"; t.Cells[2].Project = "" }, "cells[2].project", "missing"},
		{"gcp project missing in role network", func(t *Topology) {
			t.Role, t.CellStacks, t.Cells[2].Project = RoleNetwork, []string{"o/p/s"}, ""
		}, "cells[2].project", "pulumi config set gcp:project"},
		{"bad env name", func(t *Topology) { t.Cells[0].Env = map[string]string{"1X": "v"} }, "cells[0].env.1X", "not a valid environment"},
		{"reserved env name", func(t *Topology) { t.Cells[0].Env = map[string]string{"CELLFABRIC_CELL_ID": "v"} }, "cells[0].env.CELLFABRIC_CELL_ID", "set by cellfabric"},
		{"aws zones", func(t *Topology) { t.Cells[0].Zones = 1 }, "cells[0].zones", "2 or 3 zones"},
		{"missing cidr", func(t *Topology) { t.Cells[0].CIDR = "" }, "cells[0].cidr", "missing"},
		{"unparsable cidr", func(t *Topology) { t.Cells[0].CIDR = "10.10.0.0" }, "cells[0].cidr", "not a CIDR block"},
		{"public cidr", func(t *Topology) { t.Cells[0].CIDR = "8.8.0.0/16" }, "cells[0].cidr", "not private"},
		{"cidr too small", func(t *Topology) { t.Cells[2].CIDR = "10.30.0.0/26" }, "cells[2].cidr", "too small"},
		{"cidr overlap", func(t *Topology) { t.Cells[1].CIDR = "10.10.128.0/20" }, "cells[1].cidr", "overlaps cells[0]"},
		{"azure reserved range", func(t *Topology) { t.Cells[1].CIDR = "172.30.0.0/16" }, "cells[1].cidr", "Azure Container Apps reserves"},
		{"capacity", func(t *Topology) { t.Cells[2].CIDR = "10.30.0.0/24"; t.Cells[2].MaxInstances = 100 }, "cells[2].cidr", "too small for maxInstances"},
		{"missing asn with mesh", func(t *Topology) { t.Cells[0].ASN = 0 }, "cells[0].asn", "missing"},
		{"public asn", func(t *Topology) { t.Cells[0].ASN = 7224 }, "cells[0].asn", "not a private ASN"},
		{"azure reserved asn", func(t *Topology) { t.Cells[0].ASN = 65515 }, "cells[0].asn", "reserved by Azure"},
		{"duplicate asn", func(t *Topology) { t.Cells[1].ASN = 64610 }, "cells[1].asn", "already used by cells[0]"},
		{"bad tag key", func(t *Topology) { t.Tags = map[string]string{"Team": "x"} }, "tags.Team", "tag key"},
		{"reserved tag key", func(t *Topology) { t.Tags = map[string]string{"cellfabric-cell": "x"} }, "tags.cellfabric-cell", "set by cellfabric"},
		{"bad tag value", func(t *Topology) { t.Cells[0].Tags = map[string]string{"team": "Platform Team"} }, "cells[0].tags.team", "tag value"},
		{"missing tenant id", func(t *Topology) { t.Tenants[0].ID = "" }, "tenants[0].id", "missing"},
		{"bad tenant id", func(t *Topology) { t.Tenants[0].ID = "-acme" }, "tenants[0].id", "not a valid tenant id"},
		{"duplicate tenant", func(t *Topology) { t.Tenants[1].ID = "acme" }, "tenants[1].id", "duplicate id"},
		{"tenant missing cell", func(t *Topology) { t.Tenants[0].Cell = "" }, "tenants[0].cell", "missing"},
		{"tenant unknown cell", func(t *Topology) { t.Tenants[0].Cell = "aws-euw1" }, "tenants[0].cell", "not in cells"},
		{"tenant bad state", func(t *Topology) { t.Tenants[0].State = "gone" }, "tenants[0].state", "unknown state"},
		{"failover is primary", func(t *Topology) { t.Tenants[0].Failover = []string{"aws-use1"} }, "tenants[0].failover[0]", "primary cell"},
		{"failover twice", func(t *Topology) { t.Tenants[0].Failover = []string{"gcp-euw1", "gcp-euw1"} }, "tenants[0].failover[1]", "listed twice"},
		{"failover unknown", func(t *Topology) { t.Tenants[0].Failover = []string{"nope-9"} }, "tenants[0].failover[0]", "not in cells"},
		{"residency primary", func(t *Topology) { t.Tenants[1].Cell = "aws-use1"; t.Tenants[1].Failover = nil }, "tenants[1].cell", `must stay in "eu"`},
		{"residency failover", func(t *Topology) { t.Tenants[1].Failover = []string{"aws-use1"} }, "tenants[1].failover[0]", `must stay in "eu"`},
		{"tunnels", func(t *Topology) { t.Network.AzureGCPTunnels = 3 }, "network.azureGcpTunnels", "use 2"},
		{"four tunnels", func(t *Topology) { t.Network.AzureGCPTunnels = 4 }, "network.azureGcpTunnels", "not deployable"},
		{"ike", func(t *Topology) { t.Network.IKEVersion = 3 }, "network.ikeVersion", "use 1 or 2"},
		{"edge domain", func(t *Topology) { t.Edge.Domain = "Example.COM" }, "edge.domain", "not a lowercase DNS name"},
		{"edge account", func(t *Topology) { t.Edge.AccountID = "" }, "edge.accountId", "missing"},
		{"edge zone", func(t *Topology) { t.Edge.ZoneID = "" }, "edge.zoneId", "missing"},
		{"tenant host placeholder", func(t *Topology) { t.Edge.TenantHost = "app.example.com" }, "edge.tenantHost", "exactly once"},
		{"tenant host outside zone", func(t *Topology) { t.Edge.TenantHost = "{tenant}.other.org" }, "edge.tenantHost", "not inside edge.domain"},
		{"tenant host not a first label", func(t *Topology) { t.Edge.TenantHost = "{tenant}-app.example.com" }, "edge.tenantHost", "must be {tenant}.<suffix>"},
		{"steering", func(t *Topology) { t.Edge.Steering = "fastest" }, "edge.steering", "unknown steering"},
		{"unknown tenants", func(t *Topology) { t.Edge.UnknownTenants = "guess" }, "edge.unknownTenants", "unknown policy"},
		{"cache seconds", func(t *Topology) { t.Edge.CacheSeconds = -1 }, "edge.cacheSeconds", "at least 1"},
		{"directory cache negative", func(t *Topology) { t.Edge.DirectoryCacheEntries = -1 }, "edge.directoryCacheEntries", "use 1 to 50000"},
		{"directory cache too large", func(t *Topology) { t.Edge.DirectoryCacheEntries = 50_001 }, "edge.directoryCacheEntries", "use 1 to 50000"},
		{"negative cache negative", func(t *Topology) { t.Edge.DirectoryNegativeSeconds = -1 }, "edge.directoryNegativeSeconds", "use 1 to 3600"},
		{"negative cache too long", func(t *Topology) { t.Edge.DirectoryNegativeSeconds = 3601 }, "edge.directoryNegativeSeconds", "use 1 to 3600"},
		{"trace sample over 1", func(t *Topology) { t.Edge.TraceSample = 1.5 }, "edge.traceSample", "use a ratio from 0"},
		{"trace sample negative", func(t *Topology) { t.Edge.TraceSample = -0.01 }, "edge.traceSample", "use a ratio from 0"},
		{"cron", func(t *Topology) { t.Edge.HealthCron = "every minute" }, "edge.healthCron", "five-field"},
		{"key id", func(t *Topology) { t.Edge.KeyID = "key with spaces" }, "edge.keyId", "letters, digits"},
		{"key id in role cell", func(t *Topology) { t.Role = RoleCell; t.Cell = "aws-use1"; t.Edge.KeyID = "k=1" }, "edge.keyId", "letters, digits"},
		{"key id with the edge disabled", func(t *Topology) { t.Edge.Disabled = true; t.Edge.KeyID = strings.Repeat("k", 33) }, "edge.keyId", "1–32"},
		{"extra key id", func(t *Topology) { t.Edge.ExtraKeyID = "k2,k3" }, "edge.extraKeyId", "letters, digits"},
		{"extra key id in role cell", func(t *Topology) { t.Role = RoleCell; t.Cell = "gcp-euw1"; t.Edge.ExtraKeyID = "k2=x" }, "edge.extraKeyId", "letters, digits"},
		{"extra key id is the key id", func(t *Topology) { t.Edge.ExtraKeyID = "k1" }, "edge.extraKeyId", "also edge.keyId"},
		{"extra key id is an explicit key id", func(t *Topology) { t.Edge.KeyID = "k2"; t.Edge.ExtraKeyID = "k2" }, "edge.extraKeyId", "id of its own"},
		{"route prefix", func(t *Topology) { t.Edge.SharedRoutes[0].Prefix = "catalog" }, "edge.sharedRoutes[0].prefix", "start with /"},
		{"route duplicate", func(t *Topology) { t.Edge.SharedRoutes = append(t.Edge.SharedRoutes, t.Edge.SharedRoutes[0]) }, "edge.sharedRoutes[1].prefix", "already routed"},
		{"route no cells", func(t *Topology) { t.Edge.SharedRoutes[0].Cells = nil }, "edge.sharedRoutes[0].cells", "at least one"},
		{"route unknown cell", func(t *Topology) { t.Edge.SharedRoutes[0].Cells[0].Cell = "zz-top" }, "edge.sharedRoutes[0].cells[0].cell", "not in cells"},
		{"slo of 100", func(t *Topology) { t.Cells[0].SLO = 100 }, "cells[0].slo", "less than 100"},
		{"negative slo", func(t *Topology) { t.Cells[1].SLO = -99.9 }, "cells[1].slo", "more than 0"},
		{"slo as a fraction", func(t *Topology) { t.Cells[2].SLO = 0.999 }, "cells[2].slo", "a percent"},
		{"stack slo over 100", func(t *Topology) { t.Observe.SLO = 999 }, "observe.slo", "less than 100"},
		{"stack slo negative", func(t *Topology) { t.Observe.SLO = -1 }, "observe.slo", "more than 0"},
		{"standby max age negative", func(t *Topology) { t.Observe.StandbyMaxAgeSeconds = -30 }, "observe.standbyMaxAgeSeconds", "more than 0"},
		{"route zero weights", func(t *Topology) { t.Edge.SharedRoutes[0].Cells[0].Weight = 0 }, "edge.sharedRoutes[0].cells", "add up to 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			topo := validTopology()
			tc.mutate(topo)
			err := topo.Validate()
			var ps fabric.Problems
			if !errors.As(err, &ps) {
				t.Fatalf("want Problems, got %v", err)
			}
			for _, p := range ps.List {
				if p.Path == tc.path && strings.Contains(p.Msg, tc.msg) {
					return
				}
			}
			t.Fatalf("no problem at %s containing %q; got:\n%v", tc.path, tc.msg, err)
		})
	}
}

// TestValidateReportsEveryProblemAtOnce is the acceptance case:
// overlapping CIDRs, an unknown cloud and a tenant in a missing cell, all in
// one error.
func TestValidateReportsEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	topo := validTopology()
	topo.Cells[1].CIDR = "10.10.0.0/16"
	topo.Cells[2].Cloud = "oracle"
	topo.Tenants[0].Cell = "missing-1"
	err := topo.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"cells[1].cidr: 10.10.0.0/16 overlaps cells[0]",
		`cells[2].cloud: unknown cloud "oracle"`,
		`tenants[0].cell: primary cell "missing-1" is not in cells`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestMeshDefault(t *testing.T) {
	t.Parallel()
	topo := validTopology()
	if !topo.MeshEnabled() {
		t.Fatal("three clouds: mesh should default on")
	}
	topo.Cells = topo.Cells[:1]
	topo.Cells[0].ASN = 0
	if topo.MeshEnabled() {
		t.Fatal("one cloud: mesh should default off")
	}
	off := false
	topo.Cells = validTopology().Cells
	topo.Network.Enabled = &off
	topo.Cells[0].ASN = 0
	if topo.MeshEnabled() {
		t.Fatal("explicitly disabled mesh reported on")
	}
	var ps fabric.Problems
	if err := topo.Validate(); errors.As(err, &ps) {
		for _, p := range ps.List {
			if p.Path == "cells[0].asn" {
				t.Fatalf("asn required with the mesh off: %v", p)
			}
		}
	}
}

// noDomain takes edge.domain away with what SetDefaults derived from it.
func noDomain(t *Topology) {
	t.Edge.Domain, t.Edge.TenantHost, t.Edge.SharedHost = "", "", ""
	for i := range t.Cells {
		t.Cells[i].Hostname = ""
	}
}

// TestNoProblemWithoutCause: what a stack does not need is not reported,
// and a problem derived from one already reported is left out.
func TestNoProblemWithoutCause(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		mutate func(*Topology)
		absent []string // paths that must have no problem
		want   []string // paths that must have one (the root cause)
	}{
		{name: "azure cell needs no hostname", mutate: func(t *Topology) { noDomain(t); t.Edge.Disabled = true },
			absent: []string{"cells[1].hostname"}, want: []string{"cells[0].hostname", "cells[2].hostname"}},
		{name: "role cell checks only its own cell", mutate: func(t *Topology) {
			noDomain(t)
			t.Role, t.Cell, t.Cells[0].Hostname, t.Cells[2].Project = RoleCell, "aws-use1", "aws-use1.example.com", ""
		}, absent: []string{"cells[2].hostname", "cells[2].project"}},
		{name: "role edge builds no cells", mutate: func(t *Topology) {
			t.Role, t.CellStacks, t.Cells[2].Project = RoleEdge, []string{"o/p/s"}, ""
		}, absent: []string{"cells[2].project"}},
		{name: "role network builds no cells", mutate: func(t *Topology) {
			noDomain(t)
			t.Role, t.CellStacks = RoleNetwork, []string{"o/p/s"}
		}, absent: []string{"cells[0].hostname", "cells[2].hostname"}},
		{name: "missing domain, not its derivations", mutate: noDomain,
			absent: []string{"edge.tenantHost", "cells[0].hostname", "cells[2].hostname"}, want: []string{"edge.domain"}},
		{name: "bad domain, not its derivations", mutate: func(t *Topology) {
			t.Edge.Domain = "Example.COM"
			for i := range t.Cells {
				t.Cells[i].Hostname = t.Cells[i].ID + ".cells.Example.COM"
			}
			t.Edge.TenantHost = "{tenant}.Example.COM"
		}, absent: []string{"edge.tenantHost", "cells[0].hostname", "cells[2].hostname"}, want: []string{"edge.domain"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			topo := validTopology()
			tc.mutate(topo)
			var ps fabric.Problems
			if err := topo.Validate(); err != nil && !errors.As(err, &ps) {
				t.Fatalf("want Problems, got %v", err)
			}
			at := map[string]bool{}
			for _, p := range ps.List {
				at[p.Path] = true
			}
			for _, path := range tc.absent {
				if at[path] {
					t.Errorf("problem at %s:\n%v", path, ps)
				}
			}
			for _, path := range tc.want {
				if !at[path] {
					t.Errorf("no problem at %s:\n%v", path, ps)
				}
			}
		})
	}
}

// TestGCPProjectDefault: a GCP cell without project takes the stack's
// gcp:project; other cells and a cell's own project are left alone.
func TestGCPProjectDefault(t *testing.T) {
	t.Parallel()
	topo := &Topology{GCPProject: "stack-project", Cells: []Cell{
		{ID: "aws-use1", Cloud: fabric.AWS}, {ID: "gcp-euw1", Cloud: fabric.GCP}, {ID: "gcp-usc1", Cloud: fabric.GCP, Project: "own"},
	}}
	topo.SetDefaults()
	for i, want := range []string{"", "stack-project", "own"} {
		if got := topo.Cells[i].Project; got != want {
			t.Errorf("cells[%d].project = %q, want %q", i, got, want)
		}
	}
}

func TestDeployedCells(t *testing.T) {
	t.Parallel()
	topo := validTopology()
	if n := len(topo.DeployedCells()); n != 3 {
		t.Fatalf("role all deploys %d cells", n)
	}
	topo.Role, topo.Cell = RoleCell, "gcp-euw1"
	if d := topo.DeployedCells(); len(d) != 1 || d[0].ID != "gcp-euw1" {
		t.Fatalf("role cell deploys %v", d)
	}
	topo.Role, topo.Cell = RoleEdge, ""
	if n := len(topo.DeployedCells()); n != 0 {
		t.Fatalf("role edge deploys %d cells", n)
	}
}
