package fabric

import (
	"strings"
	"testing"
)

func TestValidCellID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		id   string
		want bool
	}{
		{"shortest", "aws", true},
		{"typical", "aws-use1", true},
		{"longest", strings.Repeat("a", MaxCellIDLen), true},
		{"digits inside", "a1b2", true},
		{"double hyphen inside", "a--b", true},
		{"empty", "", false},
		{"too short", "ab", false},
		{"too long", strings.Repeat("a", MaxCellIDLen+1), false},
		{"starts with a digit", "1aws", false},
		{"starts with a hyphen", "-aws", false},
		{"ends with a hyphen", "aws-", false},
		{"upper case", "Aws-use1", false},
		{"underscore", "aws_use1", false},
		{"dot", "aws.use1", false},
		{"non-ascii", "awsé1", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ValidCellID(tc.id); got != tc.want {
				t.Errorf("ValidCellID(%q) = %v, want %v", tc.id, got, tc.want)
			}
		})
	}
}

func TestValidTenantID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		id   string
		want bool
	}{
		{"one letter", "a", true},
		{"one digit", "7", true},
		{"starts with a digit", "1acme", true},
		{"longest label", strings.Repeat("a", MaxTenantIDLen), true},
		{"empty", "", false},
		{"too long", strings.Repeat("a", MaxTenantIDLen+1), false},
		{"leading hyphen", "-acme", false},
		{"trailing hyphen", "acme-", false},
		{"upper case", "Acme", false},
		{"dot", "ac.me", false},
		{"space", "ac me", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ValidTenantID(tc.id); got != tc.want {
				t.Errorf("ValidTenantID(%q) = %v, want %v", tc.id, got, tc.want)
			}
		})
	}
}

func TestValidKeyID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		id   string
		want bool
	}{
		{"default", DefaultKeyID, true},
		{"mixed case and punctuation", "Key_2026-12.a", true},
		{"longest", strings.Repeat("k", MaxKeyIDLen), true},
		{"empty", "", false},
		{"too long", strings.Repeat("k", MaxKeyIDLen+1), false},
		{"equals would break id=secret lists", "k=1", false},
		{"comma would break lists", "k,1", false},
		{"space", "k 1", false},
		{"slash", "k/1", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ValidKeyID(tc.id); got != tc.want {
				t.Errorf("ValidKeyID(%q) = %v, want %v", tc.id, got, tc.want)
			}
		})
	}
}

// Every cell id is a valid tenant-style DNS label: cell ids become DNS
// labels (<id>.cells.<domain>).
func FuzzCellIDIsDNSLabel(f *testing.F) {
	for _, s := range []string{"aws", "aws-use1", "a--b", "1ab", "ab-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidCellID(s) && !ValidDNSLabel(s) {
			t.Fatalf("cell id %q is not a DNS label", s)
		}
	})
}
