package azure

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/components/cell"
)

// TestParseIngress covers each rule of parseIngress, good and bad.
func TestParseIngress(t *testing.T) {
	t.Parallel()
	// The generic rules are cell.ParseIngress's (tested there); these
	// are the Azure-specific ones and proof that the generic ones apply.
	cases := []struct {
		name   string
		in     []string
		v4, v6 []string
		errs   []string
	}{
		{"cloudflare mix", []string{"173.245.48.0/20", "2400:cb00::/32", "104.16.0.0/13"},
			[]string{"104.16.0.0/13", "173.245.48.0/20"}, []string{"2400:cb00::/32"}, nil},
		{"open v4", []string{"0.0.0.0/0"}, nil, nil, []string{"0.0.0.0/0 is too broad"}},
		{"v6 only", []string{"2400:cb00::/32"}, nil, nil, []string{"no IPv4 block"}},
		{"empty", nil, nil, nil, []string{"empty"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseIngress(tc.in)
			if len(tc.errs) > 0 {
				if err == nil {
					t.Fatalf("parseIngress(%v) accepted: %+v", tc.in, got)
				}
				for _, w := range tc.errs {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not say %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.V4, tc.v4) || !slices.Equal(got.V6, tc.v6) {
				t.Errorf("got v4 %v v6 %v, want %v %v", got.V4, got.V6, tc.v4, tc.v6)
			}
		})
	}
}

// FuzzParseIngress: whatever the edge's list holds, parseIngress never
// panics, and what it accepts is never open: at least one IPv4 block, each
// a canonical block no broader than the limits.
func FuzzParseIngress(f *testing.F) {
	f.Add("173.245.48.0/20,2400:cb00::/32")
	f.Add("0.0.0.0/0")
	f.Add("::/0,10.0.0.0/8")
	f.Add("1.2.3.4/33,,")
	f.Add("::ffff:1.2.3.0/120")
	f.Fuzz(func(t *testing.T, list string) {
		r, err := parseIngress(strings.Split(list, ","))
		if err != nil {
			return
		}
		if len(r.V4) == 0 {
			t.Fatalf("accepted %q with no IPv4 block", list)
		}
		for _, c := range append(append([]string{}, r.V4...), r.V6...) {
			p, err := netip.ParsePrefix(c)
			if err != nil || p.Masked() != p || p.String() != c {
				t.Fatalf("accepted non-canonical %q from %q", c, list)
			}
			if p.Bits() < cell.MinIngressBitsV4 || (p.Addr().Is6() && p.Bits() < cell.MinIngressBitsV6) {
				t.Fatalf("accepted broad %q from %q", c, list)
			}
		}
		for _, c := range r.V4 {
			if !netip.MustParsePrefix(c).Addr().Is4() {
				t.Fatalf("%q sorted as IPv4", c)
			}
		}
	})
}
