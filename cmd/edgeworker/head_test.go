package main

import (
	"slices"
	"testing"
)

func TestParseRequestHead(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		method  string
		url     string
		hasBody bool
		header  headerList
	}{
		{"no headers", "GET\nhttps://e.example/x\n0", "GET", "https://e.example/x", false, nil},
		{"body and headers", "POST\nhttps://e.example/\n1\ncontent-length\n3\nx-tenant-id\nacme", "POST", "https://e.example/", true,
			headerList{"content-length", "3", "x-tenant-id", "acme"}},
		{"empty value kept", "GET\nhttps://e.example/\n0\ncf-connecting-ip\n\nx-a\n1, 2", "GET", "https://e.example/", false,
			headerList{"cf-connecting-ip", "", "x-a", "1, 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := parseRequestHead(tt.in)
			if h.method != tt.method || h.url != tt.url || h.hasBody != tt.hasBody || !slices.Equal(h.header, tt.header) {
				t.Fatalf("parseRequestHead(%q) = %+v", tt.in, h)
			}
		})
	}
}

func TestHeaderListLookup(t *testing.T) {
	h := headerList{"x-tenant-id", "acme", "cf-connecting-ip", ""}
	tests := []struct {
		name, header, want string
		found              bool
	}{
		{"any case", "X-Tenant-ID", "acme", true},
		{"present and empty", "CF-Connecting-IP", "", true},
		{"absent", "X-Request-ID", "", false},
		{"a value is not a name", "acme", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok := h.lookup(tt.header)
			if v != tt.want || ok != tt.found || h.Get(tt.header) != tt.want {
				t.Fatalf("lookup(%q) = %q, %v; want %q, %v", tt.header, v, ok, tt.want, tt.found)
			}
		})
	}
}
