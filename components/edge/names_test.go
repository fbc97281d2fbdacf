package edge

import (
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/stacks"
)

func TestDefaultName(t *testing.T) {
	t.Parallel()
	tests := []struct{ project, stack, want string }{
		{"cellfabric", "dev", "cellfabric-dev"},
		{"CellFabric", "prod.eu_1", "cellfabric-prod-eu-1"},
		{"9lives", "x", "cf-9lives-x"},
		{"a-very-long-project-name-for-cellfabric", "production-europe", "a-very-long-project-name-for-cellfabric"},
		{"p", "stack-with-trailing-cut-------------------", "p-stack-with-trailing-cut"},
	}
	for _, tt := range tests {
		t.Run(tt.project+"/"+tt.stack, func(t *testing.T) {
			t.Parallel()
			got := defaultName(tt.project, tt.stack)
			if got != tt.want {
				t.Errorf("defaultName = %q, want %q", got, tt.want)
			}
			if !validName(got) {
				t.Errorf("%q is not a valid name", got)
			}
		})
	}
}

func TestWildcardSuffix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, suffix string
		ok              bool
	}{
		{"{tenant}.example.com", "example.com", true},
		{"{tenant}.t.example.com", "t.example.com", true},
		{"{tenant}-app.example.com", "", false},
		{"app-{tenant}.example.com", "", false},
		{"x.{tenant}.example.com", "", false},
		{"{tenant}.", "", false},
		{"{tenant}.{tenant}.example.com", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			t.Parallel()
			s, ok := wildcardSuffix(tt.pattern)
			if s != tt.suffix || ok != tt.ok {
				t.Errorf("wildcardSuffix = %q, %v; want %q, %v", s, ok, tt.suffix, tt.ok)
			}
		})
	}
}

func TestValidHost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		host string
		ok   bool
	}{
		{"example.com", true},
		{"a-b.c1.example.com", true},
		{"localhost", true},
		{"", false},
		{"Example.com", false},
		{"-a.example.com", false},
		{"a..example.com", false},
		{"*.example.com", false},
		{"a.example.com.", false},
		{strings.Repeat("a", 64) + ".com", false},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			t.Parallel()
			if got := validHost(tt.host); got != tt.ok {
				t.Errorf("validHost(%q) = %v", tt.host, got)
			}
		})
	}
}

// TestLoadBalancerRegion: every region cellfabric knows maps to a
// Cloudflare region code; an unknown region maps to nothing.
func TestLoadBalancerRegion(t *testing.T) {
	t.Parallel()
	for _, cloud := range []fabric.Cloud{fabric.AWS, fabric.Azure, fabric.GCP} {
		regions := stacks.Regions(cloud)
		if len(regions) < 20 {
			t.Fatalf("%s: only %d regions in stacks' table", cloud, len(regions))
		}
		for _, region := range regions {
			code, ok := LoadBalancerRegion(cloud, region)
			if !ok || !validLBRegion(code) {
				t.Errorf("%s %s maps to %q, not a Cloudflare region", cloud, region, code)
			}
		}
	}
	tests := []struct {
		cloud        fabric.Cloud
		region, want string
		ok           bool
	}{
		{fabric.AWS, "us-east-1", "ENAM", true},
		{fabric.Azure, "WestEurope", "WEU", true},
		{fabric.GCP, "asia-southeast1", "SEAS", true},
		{fabric.GCP, "mars-north1", "", false},
	}
	for _, tt := range tests {
		if got, ok := LoadBalancerRegion(tt.cloud, tt.region); got != tt.want || ok != tt.ok {
			t.Errorf("LoadBalancerRegion(%s, %s) = %q, %v", tt.cloud, tt.region, got, ok)
		}
	}
}
