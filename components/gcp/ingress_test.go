package gcp

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// cloudflareRanges is Cloudflare's published list (15 IPv4, 7 IPv6).
var cloudflareRanges = []string{"173.245.48.0/20", "103.21.244.0/22", "103.22.200.0/22", "103.31.4.0/22",
	"141.101.64.0/18", "108.162.192.0/18", "190.93.240.0/20", "188.114.96.0/20",
	"197.234.240.0/22", "198.41.128.0/17", "162.158.0.0/15", "104.16.0.0/13",
	"104.24.0.0/14", "172.64.0.0/13", "131.0.72.0/22",
	"2400:cb00::/32", "2606:4700::/32", "2803:f800::/32", "2405:b500::/32",
	"2405:8100::/32", "2a06:98c0::/29", "2c0f:f248::/32"}

// rangesN returns n distinct IPv4 /24s.
func rangesN(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("198.18.%d.0/24", i)
	}
	return out
}

// TestArmorRules: one allow rule per ten ranges in input order, priorities
// counting up from 1000, then the default rule denying "*"; bad lists fail.
func TestArmorRules(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		in     []string
		chunks []int // sizes of the allow rules
		err    string
	}{
		{"one range", []string{"173.245.48.0/20"}, []int{1}, ""},
		{"exactly ten", rangesN(10), []int{10}, ""},
		{"eleven", rangesN(11), []int{10, 1}, ""},
		{"cloudflare", cloudflareRanges, []int{10, 10, 2}, ""},
		{"duplicates dropped", []string{"2400:cb00::/32", "2400:cb00::/32", "173.245.48.0/20"}, []int{2}, ""},
		{"empty", nil, nil, "empty"},
		{"IPv4 any", []string{"173.245.48.0/20", "0.0.0.0/0"}, nil, "0.0.0.0/0"},
		{"IPv6 any", []string{"::/0"}, nil, "::/0"},
		{"host bits", []string{"173.245.48.7/20"}, nil, "did you mean 173.245.48.0/20"},
		{"not a block", []string{"173.245.48.0"}, nil, "not a CIDR block"},
		{"wildcard", []string{"*"}, nil, "not a CIDR block"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rules, err := armorRules(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one mentioning %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(rules) != len(tc.chunks)+1 {
				t.Fatalf("%d rules, want %d allow rules and the default", len(rules), len(tc.chunks))
			}
			var covered []string
			for i, size := range tc.chunks {
				r := rules[i]
				got := r.Match.Config.SrcIpRanges
				if r.Action != "allow" || r.Priority != 1000+i || len(got) != size || *r.Match.VersionedExpr != "SRC_IPS_V1" {
					t.Errorf("rule %d = %s prio %d with %d ranges, want allow prio %d with %d", i, r.Action, r.Priority, len(got), 1000+i, size)
				}
				covered = append(covered, got...)
			}
			var want []string
			for _, s := range tc.in {
				if !slices.Contains(want, s) {
					want = append(want, s)
				}
			}
			slices.Sort(covered)
			slices.Sort(want)
			if !slices.Equal(covered, want) {
				t.Errorf("allow rules cover %v, want %v", covered, want)
			}
			last := rules[len(rules)-1]
			if last.Action != "deny(403)" || last.Priority != 2147483647 || !slices.Equal(last.Match.Config.SrcIpRanges, []string{"*"}) {
				t.Errorf("default rule = %+v", last)
			}
		})
	}
}

// TestRecordedArmorPolicy: on the recorded policy the allow rules cover
// exactly cell.Args.IngressCIDRs, no allow rule admits everyone, the
// default denies, and the backend service carries the policy.
func TestRecordedArmorPolicy(t *testing.T) {
	t.Parallel()
	args := baseArgs()
	args.IngressCIDRs = pulumi.ToStringArray(cloudflareRanges)
	d := deploy(t, args, false)
	pol := d.One(t, typeSecurityPolicy)
	var allowed []string
	sawDefault := false
	prios := map[float64]bool{}
	for _, r := range objs(pol, "rules") {
		m := r["match"].(map[string]any)
		var src []string
		for _, s := range m["config"].(map[string]any)["srcIpRanges"].([]any) {
			src = append(src, s.(string))
		}
		prio := r["priority"].(float64)
		if prios[prio] {
			t.Errorf("priority %v used twice", prio)
		}
		prios[prio] = true
		if len(src) > 10 {
			t.Errorf("rule %v matches %d ranges; Cloud Armor takes 10", prio, len(src))
		}
		switch r["action"] {
		case "allow":
			for _, s := range src {
				if p, err := netip.ParsePrefix(s); s == "*" || err != nil || p.Bits() == 0 {
					t.Errorf("allow rule %v admits %q", prio, s)
				}
			}
			allowed = append(allowed, src...)
		case "deny(403)":
			if prio == 2147483647 && slices.Equal(src, []string{"*"}) {
				sawDefault = true
			}
		default:
			t.Errorf("rule %v has action %v", prio, r["action"])
		}
	}
	wantAllowed := slices.Clone(cloudflareRanges)
	slices.Sort(allowed)
	slices.Sort(wantAllowed)
	if !slices.Equal(allowed, wantAllowed) {
		t.Errorf("allowed %v, want exactly %v", allowed, cloudflareRanges)
	}
	if !sawDefault {
		t.Error("no default rule denying everything else")
	}
	if str(pol, "type") != "CLOUD_ARMOR" {
		t.Errorf("policy type %q", str(pol, "type"))
	}
	if _, ok := in(pol, "advancedOptionsConfig").(map[string]any); ok {
		t.Error("advanced options set; a user-IP header would let clients pick the address Cloud Armor checks")
	}
	be := d.One(t, typeBackend)
	if got := str(be, "securityPolicy"); got == "" || got != plainOut(pol, "selfLink") {
		t.Errorf("backend security policy = %q, want the cell's policy", got)
	}
}

// TestPublicEntryIsHTTPSOnly: one global forwarding rule, port 443, on the
// external managed scheme, to an HTTPS proxy with the managed certificate
// for Hostname and a TLS 1.2+ policy; the backend is the serverless NEG of
// the cell's service.
func TestPublicEntryIsHTTPSOnly(t *testing.T) {
	t.Parallel()
	d := deploy(t, baseArgs(), false)
	fr := d.One(t, typeForwardingRule)
	proxy := d.One(t, typeProxy)
	if str(fr, "portRange") != "443" || str(fr, "loadBalancingScheme") != "EXTERNAL_MANAGED" || str(fr, "ipProtocol") != "TCP" {
		t.Errorf("forwarding rule = %v", fr.Inputs)
	}
	if str(fr, "target") != proxy.ID || str(fr, "ipAddress") != plainOut(d.One(t, typeAddress), "address") {
		t.Errorf("forwarding rule does not join the cell's address to its proxy: %v", fr.Inputs)
	}
	if len(d.Rec.OfType("gcp:compute/targetHttpProxy:TargetHttpProxy")) != 0 {
		t.Error("a plain-HTTP proxy exists")
	}
	cert := d.One(t, typeCert)
	if got := in(cert, "managed", "domains"); fmt.Sprint(got) != "["+testHostname+"]" {
		t.Errorf("certificate domains %v", got)
	}
	if certs := in(proxy, "sslCertificates"); fmt.Sprint(certs) != "["+cert.ID+"]" {
		t.Errorf("proxy certificates %v, want [%s]", certs, cert.ID)
	}
	tls := d.One(t, typeSSLPolicy)
	if str(proxy, "sslPolicy") != tls.ID || str(tls, "minTlsVersion") != "TLS_1_2" {
		t.Errorf("TLS policy %v on proxy %v", tls.Inputs, proxy.Inputs)
	}
	if str(proxy, "urlMap") != d.One(t, typeURLMap).ID || str(d.One(t, typeURLMap), "defaultService") != d.One(t, typeBackend).ID {
		t.Error("proxy → URL map → backend chain broken")
	}
	neg := d.One(t, typeNEG)
	if str(neg, "networkEndpointType") != "SERVERLESS" || str(neg, "cloudRun", "service") != str(d.One(t, typeService), "name") || str(neg, "region") != testRegion {
		t.Errorf("NEG = %v", neg.Inputs)
	}
	backends := objs(d.One(t, typeBackend), "backends")
	if len(backends) != 1 || backends[0]["group"] != neg.ID {
		t.Errorf("backends = %v, want the NEG", backends)
	}
	if str(d.One(t, typeBackend), "loadBalancingScheme") != "EXTERNAL_MANAGED" {
		t.Error("backend scheme differs from the forwarding rule's")
	}
}

// FuzzArmorRules: whatever the edge's list holds, armorRules either refuses
// it or returns rules that admit exactly its valid, distinct blocks, ten at
// most per rule, never a /0, and deny the rest.
func FuzzArmorRules(f *testing.F) {
	f.Add("173.245.48.0/20,2400:cb00::/32")
	f.Add("0.0.0.0/0")
	f.Add("")
	f.Add(strings.Join(cloudflareRanges, ","))
	f.Add("10.0.0.1/8,::/0,x")
	f.Fuzz(func(t *testing.T, list string) {
		in := strings.Split(list, ",")
		rules, err := armorRules(in)
		if err != nil {
			return
		}
		var covered []string
		for _, r := range rules[:len(rules)-1] {
			if r.Action != "allow" || len(r.Match.Config.SrcIpRanges) > armorRangesPerRule {
				t.Fatalf("bad allow rule %+v", r)
			}
			for _, s := range r.Match.Config.SrcIpRanges {
				p, err := netip.ParsePrefix(s)
				if err != nil || p.Bits() == 0 || p.Masked() != p {
					t.Fatalf("allow rule admits %q", s)
				}
			}
			covered = append(covered, r.Match.Config.SrcIpRanges...)
		}
		for _, s := range in {
			p, _ := netip.ParsePrefix(strings.TrimSpace(s))
			if !slices.Contains(covered, p.String()) {
				t.Fatalf("%q accepted but not admitted", s)
			}
		}
		if last := rules[len(rules)-1]; last.Action != armorDeny || last.Priority != armorDefaultPriority {
			t.Fatalf("default rule %+v", last)
		}
	})
}
