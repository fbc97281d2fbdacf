package plan

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/fabric"
)

// manyCells returns n cells on cloud with unique ids, ASNs and CIDRs, their
// numbers starting at from (so two calls with disjoint ranges never clash).
func manyCells(cloud fabric.Cloud, from, n int) []Cell {
	out := make([]Cell, n)
	for i := range n {
		k := from + i
		out[i] = Cell{
			ID:     fmt.Sprintf("%s-%d", cloud, k),
			Cloud:  cloud,
			Region: "r1",
			CIDR:   fmt.Sprintf("10.%d.%d.0/24", k/256, k%256),
			ASN:    4200000000 + int64(k),
		}
	}
	return out
}

func TestValidateRejects(t *testing.T) {
	t.Parallel()
	dev := devCells
	with := func(mod func(cs []Cell) []Cell) []Cell { return mod(dev()) }
	tests := []struct {
		name     string
		in       Input
		kind     error
		path     string
		contains []string
	}{
		{
			name: "one cloud only",
			in:   Input{Cells: []Cell{cellGCP, {ID: "gcp-d", Cloud: fabric.GCP, Region: "us-central1", CIDR: "10.4.0.0/16", ASN: 64604}}},
			kind: ErrOneCloud, path: "cells", contains: []string{"the mesh needs cells on at least two clouds", "gcp"},
		},
		{
			name: "no cells",
			in:   Input{},
			kind: ErrOneCloud, path: "cells", contains: []string{"at least two clouds"},
		},
		{
			name: "ASN clash names both cells",
			in:   Input{Cells: with(func(cs []Cell) []Cell { cs[3].ASN = cs[1].ASN; return cs })},
			kind: ErrASNClash, path: "cells[3].asn", contains: []string{"64620", "azure-weu", "gcp-usc1"},
		},
		{
			name: "missing ASN",
			in:   Input{Cells: with(func(cs []Cell) []Cell { cs[0].ASN = 0; return cs })},
			kind: ErrASN, path: "cells[0].asn", contains: []string{"missing"},
		},
		{
			name: "public ASN",
			in:   Input{Cells: with(func(cs []Cell) []Cell { cs[0].ASN = 7224; return cs })},
			kind: ErrASN, path: "cells[0].asn", contains: []string{"7224 is not a private ASN"},
		},
		{
			name: "Azure-reserved ASN 65515",
			in:   Input{Cells: with(func(cs []Cell) []Cell { cs[2].ASN = 65515; return cs })},
			kind: ErrASN, path: "cells[2].asn", contains: []string{"reserved by Azure"},
		},
		{
			name: "ASN 65516 between Azure's reserved ones",
			in:   Input{Cells: with(func(cs []Cell) []Cell { cs[2].ASN = 65516; return cs })},
			kind: ErrASN, path: "cells[2].asn", contains: []string{"reserved by Azure"},
		},
		{
			name: "ASN 65535 (IANA reserved)",
			in:   Input{Cells: with(func(cs []Cell) []Cell { cs[2].ASN = 65535; return cs })},
			kind: ErrASN, path: "cells[2].asn", contains: []string{"not a private ASN"},
		},
		{
			name: "ASN 4294967295 (reserved last 32-bit ASN)",
			in:   Input{Cells: with(func(cs []Cell) []Cell { cs[2].ASN = 4294967295; return cs })},
			kind: ErrASN, path: "cells[2].asn", contains: []string{"not a private ASN"},
		},
		{
			name: "APIPA range exhausted: 1 Azure × 33 AWS cells",
			in:   Input{Cells: append(manyCells(fabric.Azure, 0, 1), manyCells(fabric.AWS, 1, 33)...)},
			kind: ErrExhausted, path: "cells", contains: []string{"169.254.21.0-169.254.22.255 is exhausted", "132", "at most 32", "remove cells"},
		},
		{
			name: "AWS↔GCP range exhausted: 33 AWS × 32 GCP cells",
			in:   Input{Cells: append(manyCells(fabric.AWS, 0, 33), manyCells(fabric.GCP, 33, 32)...)},
			kind: ErrExhausted, path: "cells", contains: []string{"169.254.64.0-169.254.127.255 is exhausted", "4224", "at most 1024", "remove cells"},
		},
		{
			name: "bad tunnel count",
			in:   Input{Cells: dev(), AzureGCPTunnels: 3},
			kind: ErrTunnels, path: "azureGcpTunnels", contains: []string{"3: use 2", "or 4"},
		},
		{
			name: "bad IKE version",
			in:   Input{Cells: dev(), IKEVersion: 3},
			kind: ErrIKE, path: "ikeVersion", contains: []string{"3: use 1 or 2"},
		},
		{
			name: "duplicate cell ids",
			in:   Input{Cells: with(func(cs []Cell) []Cell { cs[3].ID = "gcp-euw1"; return cs })},
			kind: ErrDuplicateID, path: "cells[3].id", contains: []string{`"gcp-euw1"`, "cells[2]"},
		},
		{
			name: "overlapping CIDRs name both cells",
			in:   Input{Cells: with(func(cs []Cell) []Cell { cs[3].CIDR = "10.30.128.0/17"; return cs })},
			kind: ErrOverlap, path: "cells[3].cidr", contains: []string{"10.30.128.0/17 overlaps cells[2] (gcp-euw1 10.30.0.0/16)"},
		},
		{
			name: "CIDR inside the tunnels' link-local block",
			in:   Input{Cells: with(func(cs []Cell) []Cell { cs[0].CIDR = "169.254.64.0/24"; return cs })},
			kind: ErrOverlap, path: "cells[0].cidr", contains: []string{"169.254.0.0/16"},
		},
		{
			name: "CIDR not a prefix",
			in:   Input{Cells: with(func(cs []Cell) []Cell { cs[0].CIDR = "10.10.0.0"; return cs })},
			kind: ErrCell, path: "cells[0].cidr", contains: []string{"not a CIDR block"},
		},
		{
			name: "CIDR with host bits",
			in:   Input{Cells: with(func(cs []Cell) []Cell { cs[0].CIDR = "10.10.0.1/16"; return cs })},
			kind: ErrCell, path: "cells[0].cidr", contains: []string{"did you mean 10.10.0.0/16"},
		},
		{
			name: "IPv6 CIDR",
			in:   Input{Cells: with(func(cs []Cell) []Cell { cs[0].CIDR = "fd00::/48"; return cs })},
			kind: ErrCell, path: "cells[0].cidr", contains: []string{"not an IPv4 block"},
		},
		{
			name: "missing CIDR",
			in:   Input{Cells: with(func(cs []Cell) []Cell { cs[0].CIDR = ""; return cs })},
			kind: ErrCell, path: "cells[0].cidr", contains: []string{"missing"},
		},
		{
			name: "unknown cloud",
			in:   Input{Cells: with(func(cs []Cell) []Cell { cs[0].Cloud = "oracle"; return cs })},
			kind: ErrCell, path: "cells[0].cloud", contains: []string{`unknown cloud "oracle"`},
		},
		{
			name: "missing region",
			in:   Input{Cells: with(func(cs []Cell) []Cell { cs[1].Region = " "; return cs })},
			kind: ErrCell, path: "cells[1].region", contains: []string{"missing"},
		},
		{
			name: "invalid id",
			in:   Input{Cells: with(func(cs []Cell) []Cell { cs[1].ID = "Azure_WEU"; return cs })},
			kind: ErrCell, path: "cells[1].id", contains: []string{"not a valid cell id"},
		},
		{
			name: "missing id",
			in:   Input{Cells: with(func(cs []Cell) []Cell { cs[1].ID = ""; return cs })},
			kind: ErrCell, path: "cells[1].id", contains: []string{"missing"},
		},
		{
			name: "generated names clash",
			in: Input{Cells: []Cell{
				{ID: "abc-to-def", Cloud: fabric.AWS, Region: "r", CIDR: "10.1.0.0/16", ASN: 64601},
				{ID: "ghi", Cloud: fabric.Azure, Region: "r", CIDR: "10.2.0.0/16", ASN: 64602},
				{ID: "abc", Cloud: fabric.AWS, Region: "r", CIDR: "10.3.0.0/16", ASN: 64603},
				{ID: "def-to-ghi", Cloud: fabric.GCP, Region: "r", CIDR: "10.4.0.0/16", ASN: 64604},
			}},
			kind: ErrNameClash, path: "cells", contains: []string{`"abc-to-def-to-ghi"`, "rename"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := Build(tt.in)
			if err == nil {
				t.Fatalf("Build accepted the input (%d pairs)", len(m.Pairs))
			}
			if m != nil {
				t.Error("Build returned a mesh with an error")
			}
			if !errors.Is(err, tt.kind) {
				t.Fatalf("error %v is not %v", err, tt.kind)
			}
			var ps fabric.Problems
			if !errors.As(err, &ps) {
				t.Fatalf("error %T is not Problems", err)
			}
			var hit *fabric.Problem
			for i := range ps.List {
				if errors.Is(ps.List[i], tt.kind) && ps.List[i].Path == tt.path {
					hit = &ps.List[i]
				}
			}
			if hit == nil {
				t.Fatalf("no %v problem at %s in:\n%v", tt.kind, tt.path, err)
			}
			for _, s := range tt.contains {
				if !strings.Contains(hit.Msg, s) {
					t.Errorf("message %q does not contain %q", hit.Msg, s)
				}
			}
			if vErr := tt.in.Validate(); vErr == nil || vErr.Error() != err.Error() {
				t.Errorf("Validate() = %v, want the same error as Build", vErr)
			}
		})
	}
}

// Every problem is reported in one pass.
func TestValidateReportsEverything(t *testing.T) {
	t.Parallel()
	cells := devCells()
	cells[0].ASN = 65517
	cells[1].CIDR = "10.10.0.0/16"
	cells[2].ID = "gcp-usc1"
	in := Input{Cells: cells, AzureGCPTunnels: 5, IKEVersion: 9}
	err := in.Validate()
	var ps fabric.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Validate() = %v, want Problems", err)
	}
	for _, kind := range []error{ErrASN, ErrOverlap, ErrDuplicateID, ErrTunnels, ErrIKE} {
		if !errors.Is(err, kind) {
			t.Errorf("missing a %v problem in:\n%v", kind, err)
		}
	}
	if len(ps.List) != 5 {
		t.Errorf("%d problems, want 5:\n%v", len(ps.List), err)
	}
	if !strings.HasPrefix(err.Error(), "5 problem(s) in the vpn mesh:") {
		t.Errorf("error text %q", err.Error())
	}
}

func TestValidateAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   Input
	}{
		{name: "dev stack with defaults (zero options)", in: Input{Cells: devCells()}},
		{name: "IKEv1 and four Azure↔GCP tunnels", in: Input{Cells: devCells(), AzureGCPTunnels: 4, IKEVersion: 1}},
		{name: "32-bit ASNs at the range ends", in: Input{Cells: []Cell{
			{ID: "aws-a", Cloud: fabric.AWS, Region: "r", CIDR: "10.1.0.0/16", ASN: 4200000000},
			{ID: "gcp-b", Cloud: fabric.GCP, Region: "r", CIDR: "10.2.0.0/16", ASN: 4294967294},
		}}},
		{name: "16-bit ASNs around Azure's reservation", in: Input{Cells: []Cell{
			{ID: "aws-a", Cloud: fabric.AWS, Region: "r", CIDR: "10.1.0.0/16", ASN: 65514},
			{ID: "azure-b", Cloud: fabric.Azure, Region: "r", CIDR: "10.2.0.0/16", ASN: 65521},
			{ID: "gcp-c", Cloud: fabric.GCP, Region: "r", CIDR: "10.3.0.0/16", ASN: 64512},
			{ID: "gcp-d", Cloud: fabric.GCP, Region: "r", CIDR: "10.4.0.0/16", ASN: 65534},
		}}},
		{name: "APIPA range exactly full: 1 Azure × 32 AWS cells", in: Input{Cells: append(manyCells(fabric.Azure, 0, 1), manyCells(fabric.AWS, 1, 32)...)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := Build(tt.in)
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			if probs := meshProblems(tt.in, m); len(probs) > 0 {
				t.Fatalf("mesh breaks rules:\n%s", strings.Join(probs, "\n"))
			}
		})
	}
}

// A full APIPA range ends exactly at 169.254.22.255.
func TestAPIPAFullUsesLastSlot(t *testing.T) {
	t.Parallel()
	m, err := Build(Input{Cells: append(manyCells(fabric.Azure, 0, 1), manyCells(fabric.AWS, 1, 32)...)})
	if err != nil {
		t.Fatal(err)
	}
	last := m.Pairs[len(m.Pairs)-1].Tunnels[3]
	if last.InsideCIDR != "169.254.22.252/30" || last.B.BGPAddress != "169.254.22.254" {
		t.Errorf("last tunnel = %s, Azure %s; want 169.254.22.252/30, 169.254.22.254", last.InsideCIDR, last.B.BGPAddress)
	}
}

func TestSlotsNeeded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                  string
		aws, azure, gcp       int
		wantAPIPA, wantLinkLo int
	}{
		{"dev", 1, 1, 2, 12, 8},
		{"no azure", 3, 0, 4, 0, 48},
		{"balanced 4 per cloud fits exactly", 4, 4, 4, 128, 64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, l := SlotsNeeded(tt.aws, tt.azure, tt.gcp)
			if a != tt.wantAPIPA || l != tt.wantLinkLo {
				t.Errorf("SlotsNeeded(%d, %d, %d) = %d, %d; want %d, %d", tt.aws, tt.azure, tt.gcp, a, l, tt.wantAPIPA, tt.wantLinkLo)
			}
		})
	}
}
