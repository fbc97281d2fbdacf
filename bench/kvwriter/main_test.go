package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/workload/refcell"
	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/embedded"
)

// signedCell is a reference cell behind a stand-in for the router that
// signs each request for its X-Tenant-ID.
func signedCell(t *testing.T) string {
	t.Helper()
	key := edgeauth.Key{ID: "k1", Secret: []byte("kvwriter-test-edge-key-01234567")}
	cell, err := refcell.New(refcell.Config{CellID: "aws-use1", Cloud: "aws", Keys: []edgeauth.Key{key}, Store: state.New(embedded.New())})
	if err != nil {
		t.Fatal(err)
	}
	signer, err := edgeauth.NewSigner(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		out := httptest.NewRequest(r.Method, "http://cell"+r.URL.Path, bytes.NewReader(body))
		signer.SignRequest(out, r.Header.Get("X-Tenant-ID"))
		cell.ServeHTTP(w, out)
	}))
	t.Cleanup(func() {
		srv.Close()
		cell.Close()
	})
	return srv.URL
}

func TestKVWriter(t *testing.T) {
	t.Parallel()
	// A cell whose store refuses every write and holds no key.
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Cell-ID", "aws-use1")
		if r.Method == http.MethodGet {
			http.NotFound(w, r)
			return
		}
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	t.Cleanup(broken.Close)
	tests := []struct {
		name string
		args []string
		code int
		want *regexp.Regexp
	}{
		{"writes and verifies", []string{"--url", signedCell(t), "--writers", "4", "--keys", "10", "--duration", "300ms", "--every", "100ms"}, 0,
			regexp.MustCompile(`(?m)^RESULT\tacme\t[1-9]\d*\t0\t\d+\t40\t40\t0\t0$`)},
		{"nothing acknowledged is a failure", []string{"--url", broken.URL, "--writers", "2", "--duration", "100ms"}, 1,
			regexp.MustCompile(`(?m)^RESULT\tacme\t0\t[1-9]\d*\t`)},
		{"bad url", []string{"--url", "127.0.0.1:8080"}, 2, regexp.MustCompile(`give http`)},
		{"stray argument", []string{"extra"}, 2, regexp.MustCompile(`Usage`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errb strings.Builder
			code := run(context.Background(), tt.args, &out, &errb)
			if code != tt.code || !tt.want.MatchString(out.String()+errb.String()) {
				t.Errorf("exit %d, want %d matching %s:\n%s%s", code, tt.code, tt.want, out.String(), errb.String())
			}
		})
	}
}
