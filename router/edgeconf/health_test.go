package edgeconf_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeconf"
)

func TestParseHealth(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	good := `{"version":1,"checkedAt":"2026-03-01T12:00:00Z","epoch":7,"cells":{"a":true,"b":false},"probes":{"b":{"error":"connection refused","ms":3}}}`
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{name: "good", in: good},
		{name: "extra fields are ignored", in: `{"version":1,"checkedAt":"2026-03-01T12:00:00Z","cells":{},"note":"x"}`},
		{name: "version", in: `{"version":2,"checkedAt":"2026-03-01T12:00:00Z","cells":{}}`, wantErr: "version: got 2"},
		{name: "no time", in: `{"version":1,"cells":{}}`, wantErr: "checkedAt: required"},
		{name: "no cells", in: `{"version":1,"checkedAt":"2026-03-01T12:00:00Z"}`, wantErr: "cells: required"},
		{name: "bad value", in: `{"version":1,"checkedAt":"2026-03-01T12:00:00Z","cells":{"a":"yes"}}`, wantErr: "health document"},
		{name: "truncated", in: good[:40], wantErr: "health document"},
		{name: "trailing", in: good + "{}", wantErr: "trailing data"},
		{name: "duplicate cell", in: `{"version":1,"checkedAt":"2026-03-01T12:00:00Z","cells":{"a":false,"a":true}}`, wantErr: `cells.a: duplicate key "a"`},
		{name: "duplicate time", in: `{"version":1,"checkedAt":"2026-03-01T12:00:00Z","cells":{},"checkedAt":"2030-01-01T00:00:00Z"}`, wantErr: `checkedAt: duplicate key "checkedAt"`},
		{name: "too large", in: strings.Repeat(" ", edgeconf.MaxHealthBytes+1), wantErr: "byte limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, err := edgeconf.ParseHealth([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseHealth() error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.in == good {
				if !h.CheckedAt.Equal(at) || h.Epoch != 7 || h.Probes["b"].Error != "connection refused" {
					t.Errorf("ParseHealth() = %+v", h)
				}
				hv := router.HealthMap(h.Cells)
				if !hv.Healthy("a") || hv.Healthy("b") || !hv.Healthy("unlisted") {
					t.Errorf("cells as a HealthMap: a=%v b=%v unlisted=%v", hv.Healthy("a"), hv.Healthy("b"), hv.Healthy("unlisted"))
				}
			}
		})
	}
}

func TestHealthFresh(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	h := edgeconf.Health{Version: 1, CheckedAt: at, Cells: map[string]bool{}}
	tests := []struct {
		name string
		now  time.Time
		want bool
	}{
		{"just written", at, true},
		{"at the limit", at.Add(time.Minute), true},
		{"past the limit", at.Add(time.Minute + time.Second), false},
		{"from the future", at.Add(-time.Hour), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := h.Fresh(tt.now, time.Minute); got != tt.want {
				t.Fatalf("Fresh() = %v, want %v", got, tt.want)
			}
		})
	}
	if (edgeconf.Health{}).Fresh(at, time.Hour) {
		t.Error("a document without a time is fresh")
	}
}

func TestHealthMarshalRoundTrip(t *testing.T) {
	t.Parallel()
	h := edgeconf.Health{Version: edgeconf.HealthVersion, CheckedAt: time.Unix(1_700_000_000, 0).UTC(), Epoch: 3}
	data, err := h.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := edgeconf.ParseHealth(data)
	if err != nil {
		t.Fatalf("ParseHealth(Marshal()) = %v (document %s)", err, data)
	}
	if back.Cells == nil || !back.CheckedAt.Equal(h.CheckedAt) || back.Epoch != 3 {
		t.Fatalf("round trip = %+v", back)
	}
}
