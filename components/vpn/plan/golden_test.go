package plan

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/internal/testkit"
)

// devCells are the four cells of Pulumi.dev.yaml, in its order.
func devCells() []Cell {
	return []Cell{
		{ID: "aws-use1", Cloud: fabric.AWS, Region: "us-east-1", CIDR: "10.10.0.0/16", ASN: 64610},
		{ID: "azure-weu", Cloud: fabric.Azure, Region: "westeurope", CIDR: "10.20.0.0/16", ASN: 64620},
		{ID: "gcp-euw1", Cloud: fabric.GCP, Region: "europe-west1", CIDR: "10.30.0.0/16", ASN: 64630},
		{ID: "gcp-usc1", Cloud: fabric.GCP, Region: "us-central1", CIDR: "10.40.0.0/16", ASN: 64640},
	}
}

func devInput() Input { return Input{Cells: devCells(), AzureGCPTunnels: 2, IKEVersion: 2} }

// TestDevMeshGolden records the whole dev plan in
// testdata/dev-mesh.golden.json so a review sees any change to it. Rewrite it
// with `go test ./components/vpn/plan/ -run TestDevMeshGolden -update`.
func TestDevMeshGolden(t *testing.T) {
	t.Parallel()
	m, err := Build(devInput())
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	testkit.Golden(t, filepath.Join("testdata", "dev-mesh.golden.json"), append(got, '\n'))
}

// TestDevMesh pins the dev stack's plan: which pairs exist, in which order,
// and the concrete addresses of the Azure↔GCP and AWS↔GCP pairs.
func TestDevMesh(t *testing.T) {
	t.Parallel()
	in := devInput()
	m, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	if probs := meshProblems(in, m); len(probs) > 0 {
		t.Fatalf("dev mesh breaks rules:\n%s", strings.Join(probs, "\n"))
	}
	type pairWant struct {
		id      string
		first   int
		tunnels int
	}
	wantPairs := []pairWant{
		{"aws-use1-to-azure-weu", 0, 4}, // APIPA slots 0–3
		{"aws-use1-to-gcp-euw1", 0, 4},  // link-local slots 0–3
		{"azure-weu-to-gcp-euw1", 4, 2}, // APIPA slots 4–7 (6, 7 reserved)
		{"aws-use1-to-gcp-usc1", 4, 4},  // link-local slots 4–7
		{"azure-weu-to-gcp-usc1", 8, 2}, // APIPA slots 8–11
	}
	if len(m.Pairs) != len(wantPairs) {
		t.Fatalf("%d pairs, want %d", len(m.Pairs), len(wantPairs))
	}
	for i, w := range wantPairs {
		p := m.Pairs[i]
		if p.ID != w.id || p.FirstSlot != w.first || len(p.Tunnels) != w.tunnels {
			t.Errorf("pair %d = %s slot %d with %d tunnels, want %s slot %d with %d", i, p.ID, p.FirstSlot, len(p.Tunnels), w.id, w.first, w.tunnels)
		}
	}
	if len(m.Peerings) != 1 || m.Peerings[0].ID != "gcp-euw1-to-gcp-usc1" || m.Peerings[0].Kind != GCPNetworkPeering {
		t.Errorf("peerings = %+v, want gcp-euw1-to-gcp-usc1 network peering", m.Peerings)
	}

	azGCP := m.Pairs[2].Tunnels
	if azGCP[0].InsideCIDR != "169.254.21.16/30" || azGCP[0].A.BGPAddress != "169.254.21.17" || azGCP[0].B.BGPAddress != "169.254.21.18" ||
		azGCP[1].InsideCIDR != "169.254.21.20/30" || azGCP[1].A.BGPAddress != "169.254.21.21" || azGCP[1].B.BGPAddress != "169.254.21.22" {
		t.Errorf("azure-weu↔gcp-euw1 tunnels = %s (%s/%s), %s (%s/%s)", azGCP[0].InsideCIDR, azGCP[0].A.BGPAddress, azGCP[0].B.BGPAddress, azGCP[1].InsideCIDR, azGCP[1].A.BGPAddress, azGCP[1].B.BGPAddress)
	}
	if azGCP[0].A.ASN != 64620 || azGCP[0].A.PeerASN != 64630 || azGCP[0].B.GCP.IPRange != "169.254.21.18/30" {
		t.Errorf("azure-weu↔gcp-euw1 t0 ends = %+v / %+v", azGCP[0].A, azGCP[0].B)
	}
	awsGCP := m.Pairs[3].Tunnels[3]
	if awsGCP.InsideCIDR != "169.254.64.28/30" || awsGCP.A.BGPAddress != "169.254.64.29" || awsGCP.B.GCP.IPRange != "169.254.64.30/30" || awsGCP.A.AWS.Connection != "aws-use1-to-gcp-usc1-c1" {
		t.Errorf("aws-use1↔gcp-usc1 t3 = %+v", awsGCP)
	}

	az := m.Gateways[1].Azure
	wantAddrs := [2][]string{
		{"169.254.21.2", "169.254.21.6", "169.254.21.17", "169.254.21.33"},
		{"169.254.21.10", "169.254.21.14", "169.254.21.21", "169.254.21.37"},
	}
	if !slices.Equal(az.BGPAddresses[0], wantAddrs[0]) || !slices.Equal(az.BGPAddresses[1], wantAddrs[1]) {
		t.Errorf("azure-weu declares %v, want %v", az.BGPAddresses, wantAddrs)
	}

	// Deterministic: a second build is identical, down to the JSON.
	again, err := Build(devInput())
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(m)
	b, _ := json.Marshal(again)
	if !bytes.Equal(a, b) {
		t.Error("two builds of the same input differ")
	}
}
