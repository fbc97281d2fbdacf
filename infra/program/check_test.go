package program_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/recorder"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/infra/program"
	"github.com/cellfabric/cellfabric/stacks"
)

// meshTopology is a valid role-all topology (edge disabled) with the given
// number of cells per cloud, in the order aws, azure, gcp.
func meshTopology(nAWS, nAzure, nGCP int) *stacks.Topology {
	t := &stacks.Topology{Stack: "check", Edge: stacks.Edge{Disabled: true}, GCPProject: "check-project"}
	add := func(n int, cloud fabric.Cloud, region string) {
		for range n {
			i := len(t.Cells)
			id := fmt.Sprintf("%s-%d", cloud, i)
			t.Cells = append(t.Cells, stacks.Cell{
				ID: id, Cloud: cloud, Region: region, CIDR: fmt.Sprintf("10.%d.0.0/16", i+1),
				ASN: int64(64600 + i), Image: "img", Hostname: id + ".cells.example.com", Project: "check-project",
			})
		}
	}
	add(nAWS, fabric.AWS, "us-east-1")
	add(nAzure, fabric.Azure, "westeurope")
	add(nGCP, fabric.GCP, "us-central1")
	for i := range t.Cells {
		if t.Cells[i].Cloud != fabric.GCP {
			t.Cells[i].Project = ""
		}
	}
	t.SetDefaults()
	return t
}

// TestCheckRunsThePlanner: Check reports the planner's problems for the
// roles that build the mesh, with config paths, in the same list as the
// stack model's own, once each.
func TestCheckRunsThePlanner(t *testing.T) {
	t.Parallel()
	on := true
	cases := []struct {
		name  string
		topo  func() *stacks.Topology
		want  []string // "path: start of message"
		count map[string]int
	}{
		{name: "Azure pairs beyond the APIPA range", topo: func() *stacks.Topology { return meshTopology(2, 9, 2) },
			want: []string{"network: Azure's APIPA range 169.254.21.0-169.254.22.255 is exhausted: 9 Azure cell(s) × 4 AWS and GCP cell(s)"}},
		{name: "AWS × GCP pairs beyond the link-local range", topo: func() *stacks.Topology { return meshTopology(33, 0, 32) },
			want: []string{"network: the AWS↔GCP inside range"}},
		{name: "the mesh on one cloud", topo: func() *stacks.Topology {
			t := meshTopology(2, 0, 0)
			t.Network.Enabled = &on
			return t
		}, want: []string{"network: every cell is on aws: the mesh needs cells on at least two clouds"}},
		{name: "role network", topo: func() *stacks.Topology {
			t := meshTopology(2, 9, 2)
			t.Role, t.CellStacks = stacks.RoleNetwork, []string{"acme/cellfabric/cells"}
			return t
		}, want: []string{"network: Azure's APIPA range"}},
		{name: "the model's problems and the planner's together", topo: func() *stacks.Topology {
			t := meshTopology(2, 9, 2)
			t.Cells[0].Image = ""
			return t
		}, want: []string{"cells[0].image: missing", "network: Azure's APIPA range"}},
		{name: "a problem both find is reported once", topo: func() *stacks.Topology {
			t := meshTopology(1, 1, 1)
			t.Cells[2].ASN = t.Cells[1].ASN
			return t
		}, want: []string{"cells[2].asn: 64601 is already used by cells[1]"}, count: map[string]int{"cells[2].asn": 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := program.Check(tc.topo())
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
			for path, n := range tc.count {
				got := 0
				for _, p := range ps.List {
					if p.Path == path {
						got++
					}
				}
				if got != n {
					t.Errorf("%d problem(s) at %s, want %d:\n%v", got, path, n, err)
				}
			}
		})
	}
}

// TestCheckLeavesTheMeshToItsRoles: a topology the planner refuses passes
// Check where no mesh is built (role cell, the mesh turned off).
func TestCheckLeavesTheMeshToItsRoles(t *testing.T) {
	t.Parallel()
	off := false
	cases := []struct {
		name string
		edit func(*stacks.Topology)
	}{
		{"role cell", func(t *stacks.Topology) { t.Role, t.Cell = stacks.RoleCell, t.Cells[0].ID }},
		{"mesh off", func(t *stacks.Topology) { t.Network.Enabled = &off }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			topo := meshTopology(2, 9, 2)
			tc.edit(topo)
			if err := program.Check(topo); err != nil {
				t.Fatalf("Check: %v", err)
			}
		})
	}
}

// TestBuildMeshErrorSaysVPNMeshOnce: Build on a topology that skipped
// Check fails in the mesh with one "vpn mesh:" prefix, not one per layer.
func TestBuildMeshErrorSaysVPNMeshOnce(t *testing.T) {
	t.Parallel()
	topo := meshTopology(2, 9, 2)
	var buildErr error
	_ = recorder.New().Run(recorder.Options{Stack: topo.Stack}, func(ctx *pulumi.Context) error {
		_, buildErr = program.Build(ctx, topo, program.Options{Worker: program.PlaceholderWorker})
		return nil
	})
	if buildErr == nil {
		t.Fatal("Build accepted a mesh beyond the planner's limits")
	}
	if msg := buildErr.Error(); !strings.HasPrefix(msg, "1 problem(s) in the vpn mesh:") || strings.Count(msg, "vpn mesh") != 1 {
		t.Fatalf("want one \"1 problem(s) in the vpn mesh:\" prefix, got:\n%s", msg)
	}
}
