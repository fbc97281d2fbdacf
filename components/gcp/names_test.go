package gcp

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
)

var (
	computeNameRe = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)
	accountIDRe   = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])$`)
	databaseIDRe  = regexp.MustCompile(`^[a-z][a-z0-9-]*[a-z0-9]$`)
	uuidLikeRe    = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	secretIDRe    = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	loggingNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
)

// TestNamesWithinLimits checks every physical name against its API's rule
// for short and longest cell ids and short and long stack names.
func TestNamesWithinLimits(t *testing.T) {
	t.Parallel()
	longStack := "organization-platform-production-europe-" + strings.Repeat("x", 80)
	cases := []struct {
		name, project, stack, cell string
	}{
		{"shortest id", "cellfabric", "dev", "abc"},
		{"longest id (20)", "cellfabric", "dev", "gcp-europe-west1-a01"},
		{"longest id, long stack", "a-very-long-pulumi-project-name", longStack, "gcp-europe-west1-a01"},
		{"id ending in a digit", "p", "s", "c-9"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if len(tc.cell) > 20 {
				t.Fatalf("test id %q is longer than a cell id may be", tc.cell)
			}
			n := newNames(tc.project, tc.stack, tc.cell, tc.cell+".cells.example.com")
			check := func(what, name string, lo, hi int, re *regexp.Regexp) {
				t.Helper()
				if len(name) < lo || len(name) > hi || !re.MatchString(name) {
					t.Errorf("%s %q (%d chars) breaks %d–%d %s", what, name, len(name), lo, hi, re)
				}
				if !strings.HasPrefix(name, tc.cell[:min(len(tc.cell), 3)]) {
					t.Errorf("%s %q does not start with the cell id", what, name)
				}
			}
			for what, name := range map[string]string{
				"network": n.Network, "subnetwork": n.Subnetwork, "NEG": n.NEG, "backend": n.Backend,
				"security policy": n.SecurityPolicy, "URL map": n.URLMap, "certificate": n.Certificate,
				"SSL policy": n.SSLPolicy, "proxy": n.Proxy, "address": n.Address, "forwarding rule": n.ForwardingRule,
			} {
				check(what, name, 1, 63, computeNameRe)
			}
			check("Cloud Run service", n.Service, 1, 49, computeNameRe)
			check("service account", n.ServiceAccount, 6, 30, accountIDRe)
			check("database", n.Database, 4, 63, databaseIDRe)
			if uuidLikeRe.MatchString(n.Database) {
				t.Errorf("database id %q looks like a UUID", n.Database)
			}
			check("secret", n.Secret, 1, 255, secretIDRe)
			for what, name := range map[string]string{"log bucket": n.LogBucket, "sink": n.LogSink, "exclusion": n.LogExclusion} {
				check(what, name, 1, 100, loggingNameRe)
			}
		})
	}
}

// TestNamesSeparateStacksAndCells: the same cell id in two stacks (or two
// projects) gets different names; different cells differ; the same inputs
// give the same names; the certificate alone follows the hostname.
func TestNamesSeparateStacksAndCells(t *testing.T) {
	t.Parallel()
	a := newNames("cellfabric", "dev", "gcp-euw1", "h1.example.com")
	if again := newNames("cellfabric", "dev", "gcp-euw1", "h1.example.com"); !reflect.DeepEqual(a, again) {
		t.Fatal("names are not deterministic")
	}
	others := map[string]names{
		"another stack":   newNames("cellfabric", "staging", "gcp-euw1", "h1.example.com"),
		"another project": newNames("other", "dev", "gcp-euw1", "h1.example.com"),
		"another cell":    newNames("cellfabric", "dev", "gcp-usc1", "h1.example.com"),
	}
	for what, b := range others {
		va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
		for i := range va.NumField() {
			if va.Field(i).String() == vb.Field(i).String() {
				t.Errorf("%s: %s is %q in both", what, va.Type().Field(i).Name, va.Field(i).String())
			}
		}
	}
	h2 := newNames("cellfabric", "dev", "gcp-euw1", "h2.example.com")
	if h2.Certificate == a.Certificate {
		t.Error("the certificate name does not change with the hostname")
	}
	h2.Certificate = a.Certificate
	if !reflect.DeepEqual(a, h2) {
		t.Error("a hostname change renames more than the certificate")
	}
	// Within one cell, names of one API never collide.
	seen := map[string]string{}
	for what, name := range map[string]string{"network": a.Network, "subnetwork": a.Subnetwork, "NEG": a.NEG,
		"backend": a.Backend, "policy": a.SecurityPolicy, "urlmap": a.URLMap, "cert": a.Certificate, "tls": a.SSLPolicy,
		"address": a.Address} {
		if prev, dup := seen[name]; dup {
			t.Errorf("%s and %s share %q", what, prev, name)
		}
		seen[name] = what
	}
}

// TestPhysicalName covers the cut: the readable prefix shrinks, the hash
// stays, and no hyphen is left before it.
func TestPhysicalName(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, cell, part, hash string
		max                    int
		want                   string
	}{
		{"fits", "gcp-euw1", "sa", "abc123", 30, "gcp-euw1-sa-abc123"},
		{"no part", "gcp-euw1", "", "abc123", 30, "gcp-euw1-abc123"},
		{"cut", "gcp-europe-west1-a01", "workloads", "abc123", 30, "gcp-europe-west1-a01-wo-abc123"},
		{"cut at a hyphen", "gcp-europe-west1-a01", "sa", "abc123", 27, "gcp-europe-west1-a01-abc123"},
		{"cut leaves a hyphen", "gcp-europe-west1-a01", "sa", "abc123", 24, "gcp-europe-west1-abc123"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := physicalName(tc.cell, tc.part, tc.hash, tc.max)
			if got != tc.want || len(got) > tc.max {
				t.Errorf("physicalName = %q (%d), want %q", got, len(got), tc.want)
			}
		})
	}
}
