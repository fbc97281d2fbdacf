package plan

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/fabric"
)

// randomCell returns a valid cell numbered k (ids, ASNs and CIDRs are unique
// per k) on a random cloud.
func randomCell(r *rand.Rand, k int) Cell {
	cloud := fabric.Clouds[r.IntN(len(fabric.Clouds))]
	asn := 64512 + int64(k) // 16-bit, below Azure's reservation for k < 1003
	if r.IntN(2) == 0 {
		asn = 4200000000 + int64(k)*977
	}
	return Cell{
		ID:     fmt.Sprintf("%s-%d", cloud, k),
		Cloud:  cloud,
		Region: "region-" + fmt.Sprint(r.IntN(5)),
		CIDR:   fmt.Sprintf("10.%d.%d.0/24", k/256, k%256),
		ASN:    asn,
	}
}

func countClouds(cells []Cell) map[fabric.Cloud]int {
	n := map[fabric.Cloud]int{}
	for _, c := range cells {
		n[c.Cloud]++
	}
	return n
}

// fits says, from first principles, whether a topology of valid cells can be
// planned: two clouds, and both pools large enough.
func fits(cells []Cell) bool {
	n := countClouds(cells)
	clouds := 0
	for _, v := range n {
		if v > 0 {
			clouds++
		}
	}
	return clouds >= 2 && 4*n[fabric.Azure]*(n[fabric.AWS]+n[fabric.GCP]) <= 128 && 4*n[fabric.AWS]*n[fabric.GCP] <= 4096
}

// TestRandomTopologies builds many seeded random topologies and checks every
// rule of meshProblems, determinism, and that appending cells (one or
// several) changes nothing already planned.
func TestRandomTopologies(t *testing.T) {
	t.Parallel()
	built, grew := 0, 0
	for seed := uint64(1); seed <= 300; seed++ {
		r := rand.New(rand.NewPCG(seed, 42))
		n := 1 + r.IntN(14)
		cells := make([]Cell, n)
		for k := range cells {
			cells[k] = randomCell(r, k)
		}
		tunnels := 2 + 2*r.IntN(2)
		in := Input{Cells: cells, AzureGCPTunnels: tunnels, IKEVersion: 1 + r.IntN(2)}
		m, err := Build(in)
		if fits(cells) != (err == nil) {
			t.Fatalf("seed %d: %v cells, Build error %v, fits %v", seed, countClouds(cells), err, fits(cells))
		}
		if err != nil {
			if !errors.Is(err, ErrOneCloud) && !errors.Is(err, ErrExhausted) {
				t.Fatalf("seed %d: unexpected error kind: %v", seed, err)
			}
			continue
		}
		if probs := meshProblems(in, m); len(probs) > 0 {
			t.Fatalf("seed %d (%d cells): mesh breaks rules:\n%s", seed, n, strings.Join(probs, "\n"))
		}
		built++
		again, _ := Build(in)
		if !reflect.DeepEqual(m, again) {
			t.Fatalf("seed %d: two builds of one input differ", seed)
		}

		grown := in
		grown.Cells = append([]Cell(nil), cells...)
		for k := range 1 + r.IntN(3) {
			grown.Cells = append(grown.Cells, randomCell(r, n+k))
		}
		m2, err := Build(grown)
		if err != nil {
			if !errors.Is(err, ErrExhausted) {
				t.Fatalf("seed %d: appending cells: %v", seed, err)
			}
			continue
		}
		if probs := meshProblems(grown, m2); len(probs) > 0 {
			t.Fatalf("seed %d: grown mesh breaks rules:\n%s", seed, strings.Join(probs, "\n"))
		}
		if probs := stabilityProblems(m, m2); len(probs) > 0 {
			t.Fatalf("seed %d: appending cells changed the plan:\n%s", seed, strings.Join(probs, "\n"))
		}
		grew++
	}
	// Guard against a generator that stops producing plannable meshes.
	if built < 150 || grew < 100 {
		t.Errorf("only %d of 300 topologies built and %d grew; the property test is not exercising the planner", built, grew)
	}
	t.Logf("%d topologies built, %d grown and checked for stability", built, grew)
}

// FuzzBuild feeds arbitrary topologies — valid or not — to Build. Build must
// never panic; every error must be a Problems of known kinds with paths; and
// every mesh it returns must keep every rule, and keep the plan of the
// topology without its last cell.
func FuzzBuild(f *testing.F) {
	f.Add([]byte{0, 0, 1, 2, 0, 2, 4, 0, 3}, uint8(2), uint8(2))
	f.Add([]byte{0, 1, 10, 2, 1, 20, 4, 1, 30, 5, 0, 40, 3, 0, 50}, uint8(4), uint8(1))
	f.Add([]byte{2, 3, 1, 2, 3, 1}, uint8(0), uint8(0))
	f.Add([]byte{6, 2, 255, 0, 5, 251, 128, 4, 9}, uint8(3), uint8(7))
	f.Fuzz(func(t *testing.T, data []byte, tunnels, ike uint8) {
		in := fuzzInput(data, tunnels, ike)
		m, err := Build(in)
		if err != nil {
			var ps fabric.Problems
			if !errors.As(err, &ps) || len(ps.List) == 0 {
				t.Fatalf("error is not a non-empty Problems: %v", err)
			}
			for _, p := range ps.List {
				if p.Path == "" || p.Kind == nil || p.Msg == "" {
					t.Fatalf("incomplete problem %+v", p)
				}
			}
			return
		}
		if probs := meshProblems(in, m); len(probs) > 0 {
			t.Fatalf("mesh breaks rules:\n%s", strings.Join(probs, "\n"))
		}
		if len(in.Cells) > 2 {
			less := in
			less.Cells = in.Cells[:len(in.Cells)-1]
			if before, err := Build(less); err == nil {
				if probs := stabilityProblems(before, m); len(probs) > 0 {
					t.Fatalf("appending %s changed the plan:\n%s", in.Cells[len(in.Cells)-1].ID, strings.Join(probs, "\n"))
				}
			}
		}
	})
}

// fuzzInput decodes three bytes per cell: cloud (and a duplicate-id flag),
// ASN choice, and a CIDR/ASN number — mostly valid, sometimes not.
func fuzzInput(data []byte, tunnels, ike uint8) Input {
	in := Input{AzureGCPTunnels: int(tunnels % 6), IKEVersion: int(ike % 4)}
	for k := 0; k+2 < len(data) && len(in.Cells) < 40; k += 3 {
		b0, b1, b2 := data[k], data[k+1], data[k+2]
		i := len(in.Cells)
		c := Cell{ID: fmt.Sprintf("cell-%d", i), Region: "r"}
		if b0&0x80 != 0 && i > 0 {
			c.ID = in.Cells[i-1].ID
		}
		c.Cloud = []fabric.Cloud{fabric.AWS, fabric.AWS, fabric.Azure, fabric.Azure, fabric.GCP, fabric.GCP, "oracle"}[int(b0&0x7f)%7]
		switch b1 % 8 {
		case 0, 1, 2:
			c.ASN = 64512 + int64(b2) // may collide
		case 3:
			c.ASN = 4200000000 + int64(b2)*1000 + int64(i)
		case 4:
			c.ASN = 65515 + int64(b2%6)
		case 5:
			c.ASN = 0
		case 6:
			c.ASN = int64(b2) * 300
		default:
			c.ASN = 64600 + int64(i)
		}
		switch {
		case b2 >= 252:
			c.CIDR = "169.254.0.0/20"
		case b2 >= 248:
			c.CIDR = "not-a-cidr"
		default:
			c.CIDR = fmt.Sprintf("10.%d.0.0/16", b2) // may overlap
		}
		in.Cells = append(in.Cells, c)
	}
	return in
}
