package router

import (
	"os"
	"strings"
	"testing"
)

// TestParseRefusesDuplicateKeys: a key written twice in one object is
// refused, wherever it is, and the error names the path of the second one.
// encoding/json alone keeps the last value ("epoch":100,"epoch":999 would
// serve epoch 999).
func TestParseRefusesDuplicateKeys(t *testing.T) {
	t.Parallel()
	cell := `{"id":"aaa","cloud":"aws","region":"r","endpoint":"http://a.example.com"}`
	doc := func(top, cells, tenants string) string {
		return `{"version":1,"epoch":100` + top + `,"cells":[` + cells + `],"tenants":[` + tenants + `]}`
	}
	tenant := func(i int) string { return `{"id":"t` + itoa(i) + `","cell":"aaa"}` }
	fourTenants := tenant(0) + "," + tenant(1) + "," + tenant(2)
	tests := []struct {
		name    string
		doc     string
		wantErr string
	}{
		{name: "top level", doc: doc(`,"epoch":999`, cell, ""), wantErr: `epoch: duplicate key "epoch"`},
		{name: "top level, other case", doc: doc(`,"Epoch":999`, cell, ""), wantErr: `Epoch: duplicate key "Epoch" (the same as "epoch"`},
		{name: "top level, escaped", doc: doc(`,"\u0065poch":999`, cell, ""), wantErr: `epoch: duplicate key "epoch"`},
		{name: "in a cell", doc: doc("", `{"id":"aaa","cloud":"aws","region":"r","endpoint":"http://a.example.com","endpoint":"http://169.254.169.254"}`, ""), wantErr: `cells[0].endpoint: duplicate key "endpoint"`},
		{name: "in a tenant", doc: doc("", cell, fourTenants+`,{"id":"t3","cell":"aaa","cell":"b"}`), wantErr: `tenants[3].cell: duplicate key "cell"`},
		{name: "in a shared route", doc: doc(`,"sharedRoutes":[{"prefix":"/c","cells":[{"cell":"aaa","weight":1,"weight":2}]}]`, cell, ""), wantErr: `sharedRoutes[0].cells[0].weight: duplicate key "weight"`},
		{name: "two at once", doc: doc(`,"epoch":1`, cell, `{"id":"t","id":"u","cell":"aaa"}`), wantErr: "2 duplicate keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for name, parse := range map[string]func([]byte) (*Registry, error){"Parse": Parse, "Decode": Decode} {
				reg, err := parse([]byte(tt.doc))
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("%s error = %v (epoch %v), want it to contain %q", name, err, epochOf(reg), tt.wantErr)
				}
			}
		})
	}
	// The same documents without the duplicate are valid: the test above
	// fails for the duplicate, not for something else.
	if _, err := Parse([]byte(doc("", cell, fourTenants))); err != nil {
		t.Fatalf("valid document refused: %v", err)
	}
}

func epochOf(r *Registry) any {
	if r == nil {
		return nil
	}
	return r.Epoch
}

// TestStoreRefusesDuplicateKeys: the Store (the server's sources and the
// edge Worker's KV read go through it) refuses a document with a duplicate
// key and keeps serving the last good one.
func TestStoreRefusesDuplicateKeys(t *testing.T) {
	t.Parallel()
	s := NewStore(nil)
	if err := s.Update(mustJSON(t, regAt(100)), "test"); err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(mustJSON(t, regAt(101))), `"epoch":101`, `"epoch":101,"epoch":999`, 1)
	if err := s.Update([]byte(bad), "test"); err == nil || !strings.Contains(err.Error(), `epoch: duplicate key "epoch"`) {
		t.Fatalf("Update = %v, want a duplicate key error", err)
	}
	if got := s.Snapshot().Epoch(); got != 100 {
		t.Errorf("serving epoch %d after a refused update, want 100", got)
	}
}

// TestParseStackOutputsRefusesDuplicateKeys: `pulumi stack output --json`
// documents are checked the same way, with paths in the outputs document.
func TestParseStackOutputsRefusesDuplicateKeys(t *testing.T) {
	t.Parallel()
	dev, err := os.ReadFile("testdata/outputs-dev.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		old     string
		new     string
		wantErr string
	}{
		{name: "endpoint of a cell", old: `"endpoint": "https://aws-use1.cells.cellfabric.example.com",`, new: `"endpoint": "https://aws-use1.cells.cellfabric.example.com", "endpoint": "http://169.254.169.254",`, wantErr: `cells.aws-use1.endpoint: duplicate key "endpoint"`},
		{name: "cell id key", old: `"cells": {`, new: `"cells": {"gcp-usc1": {},`, wantErr: `cells.gcp-usc1: duplicate key "gcp-usc1"`},
		{name: "tenant cell", old: `"id": "acme",`, new: `"id": "acme", "cell": "x", `, wantErr: `routing.tenants[0].cell: duplicate key "cell"`},
		{name: "top-level output", old: `"routing": {`, new: `"routing": {}, "routing": {`, wantErr: `routing: duplicate key "routing"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := strings.Replace(string(dev), tt.old, tt.new, 1)
			if doc == string(dev) {
				t.Fatalf("%q not found in the dev outputs", tt.old)
			}
			_, err := ParseStackOutputs([]byte(doc))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}
