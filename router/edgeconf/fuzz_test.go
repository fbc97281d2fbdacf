package edgeconf_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/router/edgeconf"
)

// FuzzParse: whatever the CONFIG binding holds, Parse either refuses it or
// returns a config that validates, has every default applied and survives
// a round trip.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "{}", `{"tenantModes":["host","header"],"hostPattern":"{tenant}.example.com"}`,
		`{"cacheSeconds":1,"maxAttempts":8}`, `{"pathPrefix":"/t/","tenantModes":["path"]}`, `[]`, `{"tenantModes":null}`,
		`{"cacheSeconds":1,"cacheSeconds":600}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := edgeconf.Parse(data)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse accepted a config that does not validate: %v", err)
		}
		if c.CacheSeconds == 0 || c.MaxAttempts == 0 || c.TenantHeader == "" || len(c.TenantModes) == 0 {
			t.Fatalf("defaults not applied: %+v", c)
		}
		out, err := c.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := edgeconf.Parse(out); err != nil {
			t.Fatalf("Parse(Marshal(c)) = %v", err)
		}
		// A config naming a key twice is refused.
		if _, err := edgeconf.Parse(append([]byte(`{"maxAttempts":1,`), out[1:]...)); err == nil || !strings.Contains(err.Error(), "duplicate key") {
			t.Fatalf("Parse accepted maxAttempts twice: %v", err)
		}
	})
}

// FuzzParseHealth: a health document read from KV either is refused or is
// usable: a version we read, a time, and a cell map.
func FuzzParseHealth(f *testing.F) {
	for _, s := range []string{`{"version":1,"checkedAt":"2026-03-01T12:00:00Z","cells":{"a":false}}`, `{}`, `null`, `{"version":1}`,
		`{"version":1,"checkedAt":"2026-03-01T12:00:00Z","cells":{"a":false,"a":true}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := edgeconf.ParseHealth(data)
		if err != nil {
			return
		}
		if h.Version != edgeconf.HealthVersion || h.CheckedAt.IsZero() || h.Cells == nil || len(h.Cells) > edgeconf.MaxHealthCells {
			t.Fatalf("ParseHealth accepted %q as %+v", data, h)
		}
		// An accepted document names "version" (in some spelling); naming
		// it once more must be refused.
		again := append([]byte(`{"version":1,`), bytes.TrimLeft(data, " \t\r\n")[1:]...)
		if _, err := edgeconf.ParseHealth(again); err == nil || !strings.Contains(err.Error(), "duplicate key") {
			t.Fatalf("ParseHealth(%q) = %v, want a duplicate key error", again, err)
		}
	})
}
