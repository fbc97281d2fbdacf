package router

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// FuzzParse: any input either fails cleanly or yields a registry that
// compiles, decides without panicking and survives a round trip.
func FuzzParse(f *testing.F) {
	dev, _ := os.ReadFile("testdata/registry-dev.golden.json")
	f.Add(dev)
	f.Add([]byte(`{"version":1,"epoch":1,"cells":[{"id":"aaa","cloud":"aws","region":"r","endpoint":"http://a"}],"tenants":[{"id":"t","cell":"aaa"}],"unknownTenants":"place"}`))
	f.Add([]byte(`{"version":1,"epoch":1,"cells":[],"tenants":[]}`))
	f.Add([]byte(`{"version":1`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"version":1,"epoch":1,"cells":[{"id":"aaa","cloud":"aws","region":"r","endpoint":"http://a","endpoint":"http://169.254.169.254"}],"tenants":[{"id":"t","cell":"aaa","Cell":"b"}],"epoch":2}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		reg, err := Parse(data)
		if err != nil {
			return
		}
		// An accepted document names "epoch" (in some spelling); naming it
		// once more must be refused.
		if _, err := Parse(withKey(data, `"epoch":1`)); err == nil || !strings.Contains(err.Error(), "duplicate key") {
			t.Fatalf("Parse accepted a second epoch: %v", err)
		}
		s, err := Compile(reg)
		if err != nil {
			t.Fatalf("Parse accepted what Compile refuses: %v", err)
		}
		for _, tn := range []string{"", "t", "acme", "unknown-x"} {
			for _, p := range []string{"/", "/catalog/x"} {
				d := s.Decide(Request{Method: "POST", Path: p, Tenant: tn, Rand: uint64(len(data))}, HealthMap{"aaa": false})
				if d.Forward() && d.Len() == 0 {
					t.Fatal("forward without a cell")
				}
				_ = d.Message()
			}
		}
		again, err := json.Marshal(reg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(again); err != nil {
			t.Fatalf("re-encoded registry does not parse: %v\n%s", err, again)
		}
	})
}

// FuzzParseStackOutputs: stack outputs never make FromStackOutputs panic,
// and what it returns is valid.
func FuzzParseStackOutputs(f *testing.F) {
	dev, _ := os.ReadFile("testdata/outputs-dev.json")
	f.Add(dev, int64(1))
	f.Add([]byte(`{"cells":{"aaa":{"id":"aaa","cloud":"aws","region":"r","endpoint":"http://a"}},"routing":{"tenants":[{"id":"t","cell":"b"}]}}`), int64(2))
	f.Add([]byte(`{"cells":{"aaa":{"id":"aaa","cloud":"aws","region":"r","endpoint":"http://a"},"aaa":{}},"routing":{"tenants":[]}}`), int64(3))
	f.Fuzz(func(t *testing.T, data []byte, epoch int64) {
		out, err := ParseStackOutputs(data)
		if err != nil {
			return
		}
		// Accepted outputs name "cells"; naming it once more must be refused.
		if _, err := ParseStackOutputs(withKey(data, `"cells":{}`)); err == nil || !strings.Contains(err.Error(), "duplicate key") {
			t.Fatalf("ParseStackOutputs accepted a second cells output: %v", err)
		}
		reg, err := FromStackOutputs(out, epoch)
		if err != nil {
			return
		}
		if err := reg.Validate(); err != nil {
			t.Fatalf("FromStackOutputs returned an invalid registry: %v", err)
		}
	})
}

// withKey inserts the member kv first in the top-level object of doc.
func withKey(doc []byte, kv string) []byte {
	doc = bytes.TrimLeft(doc, " \t\r\n")
	return append([]byte("{"+kv+","), doc[1:]...)
}
