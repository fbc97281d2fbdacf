package cell

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func TestParseIngress(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		in     []string
		want   IngressRanges
		errors []string
	}{
		{"split and sorted", []string{"2606:4700::/32", "173.245.48.0/20", "103.21.244.0/22"},
			IngressRanges{V4: []string{"103.21.244.0/22", "173.245.48.0/20"}, V6: []string{"2606:4700::/32"}}, nil},
		{"duplicates and spaces dropped", []string{" 173.245.48.0/20", "173.245.48.0/20"},
			IngressRanges{V4: []string{"173.245.48.0/20"}}, nil},
		{"ipv6 canonical", []string{"2606:4700:0::/32"}, IngressRanges{V6: []string{"2606:4700::/32"}}, nil},
		{"single host", []string{"198.51.100.7/32"}, IngressRanges{V4: []string{"198.51.100.7/32"}}, nil},
		{"empty", nil, IngressRanges{}, []string{"empty"}},
		{"open v4", []string{"0.0.0.0/0"}, IngressRanges{}, []string{"ingressCIDRs[0]: 0.0.0.0/0 is too broad"}},
		{"open v6", []string{"::/0"}, IngressRanges{}, []string{"::/0 is too broad"}},
		{"broad v4", []string{"128.0.0.0/7"}, IngressRanges{}, []string{"too broad"}},
		{"broad v6", []string{"2000::/3"}, IngressRanges{}, []string{"too broad"}},
		{"not a cidr", []string{"173.245.48.1"}, IngressRanges{}, []string{"not a CIDR block"}},
		{"host bits", []string{"173.245.48.1/20"}, IngressRanges{}, []string{"did you mean 173.245.48.0/20"}},
		{"mapped", []string{"::ffff:198.51.100.0/120"}, IngressRanges{}, []string{"IPv4-mapped"}},
		{"every problem", []string{"x", "0.0.0.0/0", "10.0.0.1/8"}, IngressRanges{},
			[]string{"ingressCIDRs[0]", "ingressCIDRs[1]", "ingressCIDRs[2]"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseIngress(tc.in)
			if len(tc.errors) > 0 {
				if err == nil {
					t.Fatalf("no error, want %v", tc.errors)
				}
				for _, e := range tc.errors {
					if !strings.Contains(err.Error(), e) {
						t.Errorf("error %q lacks %q", err, e)
					}
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestLiteralStrings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   pulumi.StringArrayInput
		want []string
		ok   bool
	}{
		{"literals", pulumi.ToStringArray([]string{"a", "b"}), []string{"a", "b"}, true},
		{"empty", pulumi.StringArray{}, nil, true},
		{"an output element", pulumi.StringArray{pulumi.String("a"), pulumi.String("b").ToStringOutput()}, nil, false},
		{"an output array", pulumi.ToStringArray([]string{"a"}).ToStringArrayOutput(), nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := LiteralStrings(tc.in)
			if ok != tc.ok || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

// FuzzParseIngress: whatever the list, an accepted one holds only
// canonical blocks of the right family, none broader than the minimum.
func FuzzParseIngress(f *testing.F) {
	for _, s := range []string{"173.245.48.0/20,2606:4700::/32", "0.0.0.0/0", "::/0", "10.0.0.0/8,10.0.0.0/8", " 1.2.3.0/24", "x,y", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, list string) {
		r, err := ParseIngress(strings.Split(list, ","))
		if err != nil {
			return
		}
		for _, fam := range []struct {
			blocks []string
			v4     bool
			min    int
		}{{r.V4, true, MinIngressBitsV4}, {r.V6, false, MinIngressBitsV6}} {
			for _, b := range fam.blocks {
				p, err := netip.ParsePrefix(b)
				if err != nil || p.String() != b || p.Masked() != p || p.Addr().Is4() != fam.v4 || p.Bits() < fam.min {
					t.Fatalf("accepted %q from %q", b, list)
				}
			}
		}
		if len(r.V4)+len(r.V6) == 0 {
			t.Fatalf("accepted an empty list from %q", list)
		}
	})
}
