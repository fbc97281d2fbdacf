package plan

import (
	"net/netip"
	"testing"
)

func TestAWSAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cidr string
		want bool
	}{
		{"first link-local pool slot", "169.254.64.0/30", true},
		{"APIPA slot", "169.254.21.0/30", true},
		{"reserved 169.254.0.0/30", "169.254.0.0/30", false},
		{"reserved 169.254.5.0/30", "169.254.5.0/30", false},
		{"reserved 169.254.169.252/30", "169.254.169.252/30", false},
		{"next to reserved", "169.254.5.4/30", true},
		{"not a /30", "169.254.64.0/29", false},
		{"host bits", "169.254.64.1/30", false},
		{"outside link-local", "10.0.0.0/30", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := AWSAccepts(netip.MustParsePrefix(tt.cidr)); got != tt.want {
				t.Errorf("AWSAccepts(%s) = %v, want %v", tt.cidr, got, tt.want)
			}
		})
	}
}

func TestInAPIPA(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr string
		want bool
	}{
		{"169.254.20.255", false},
		{"169.254.21.0", true},
		{"169.254.22.255", true},
		{"169.254.23.0", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			t.Parallel()
			if got := InAPIPA(netip.MustParseAddr(tt.addr)); got != tt.want {
				t.Errorf("InAPIPA(%s) = %v, want %v", tt.addr, got, tt.want)
			}
		})
	}
}

// The pools are what the documentation promises: inside link-local, apart
// from each other and from every /30 AWS rejects, and of the stated sizes.
func TestPools(t *testing.T) {
	t.Parallel()
	if APIPAPool.String() != "169.254.21.0-169.254.22.255" || LinkLocalPool.String() != "169.254.64.0-169.254.127.255" {
		t.Fatalf("pools are %s and %s", APIPAPool, LinkLocalPool)
	}
	if APIPAPool.Slots != APIPASlots || LinkLocalPool.Slots != LinkLocalSlots {
		t.Fatal("pool sizes disagree with the slot constants")
	}
	for _, p := range []Pool{APIPAPool, LinkLocalPool} {
		if !LinkLocal.Contains(p.First) || !LinkLocal.Contains(p.Last()) {
			t.Errorf("pool %s leaves 169.254.0.0/16", p)
		}
		// Every address the pool holds is outside the other pool, the /30s
		// AWS rejects and the metadata blocks.
		for i := range p.Slots {
			s := p.Slot(i)
			if !p.Contains(s.Addr()) || !p.Contains(host(s, 3)) {
				t.Fatalf("slot %d (%s) is not inside pool %s", i, s, p)
			}
			for _, q := range []Pool{APIPAPool, LinkLocalPool} {
				if q != p && (q.Contains(s.Addr()) || q.Contains(host(s, 3))) {
					t.Fatalf("slot %s of %s is also in %s", s, p, q)
				}
			}
			for _, r := range append(AWSReserved, netip.MustParsePrefix("169.254.169.0/24"), netip.MustParsePrefix("169.254.170.0/24")) {
				if r.Overlaps(s) {
					t.Fatalf("slot %s overlaps %s", s, r)
				}
			}
		}
	}
	if got := APIPAPool.Slot(APIPASlots - 1); got.String() != "169.254.22.252/30" {
		t.Errorf("last APIPA slot = %s", got)
	}
	if got := LinkLocalPool.Slot(LinkLocalSlots - 1); got.String() != "169.254.127.252/30" {
		t.Errorf("last link-local slot = %s", got)
	}
	if LinkLocalPool.Contains(netip.MustParseAddr("169.254.128.0")) || APIPAPool.Contains(netip.MustParseAddr("169.254.20.255")) {
		t.Error("Contains reaches past a pool's ends")
	}
}
