package refcell

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/embedded"
)

var (
	testKey  = edgeauth.Key{ID: "k1", Secret: []byte("reference-cell-test-secret-0123")}
	otherKey = edgeauth.Key{ID: "k2", Secret: []byte("another-edge-secret-for-rotation")}
)

// testCell starts a cell behind a loopback server.
func testCell(t *testing.T, cfg Config) (*Cell, *httptest.Server) {
	t.Helper()
	if cfg.CellID == "" {
		cfg.CellID, cfg.Cloud, cfg.Region = "aws-use1", "aws", "us-east-1"
	}
	if cfg.Keys == nil {
		cfg.Keys = []edgeauth.Key{testKey}
	}
	if cfg.Store == nil {
		cfg.Store, cfg.StoreKind = state.New(embedded.New()), "embedded"
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c)
	t.Cleanup(func() {
		srv.Close()
		c.Close()
	})
	return c, srv
}

func signer(t testing.TB, k edgeauth.Key, now func() time.Time) *edgeauth.Signer {
	t.Helper()
	s, err := edgeauth.NewSigner(k, now)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %q: %v", r.body, err)
	}
}

// send issues a request to the cell, signed for tenant by s when s is not
// nil; edit, when set, changes the request after signing.
func send(t *testing.T, base, method, path, tenant string, body []byte, s *edgeauth.Signer, edit func(*http.Request)) reply {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if s != nil {
		s.SignRequest(req, tenant)
	}
	if edit != nil {
		edit(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}
