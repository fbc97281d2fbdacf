package refcell

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router/edgeauth"
)

func TestNewRefusesBadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"no cell id", Config{Cloud: "aws", Keys: []edgeauth.Key{testKey}}, []string{"cell id", "CELLFABRIC_CELL_ID"}},
		{"no cloud", Config{CellID: "c1", Keys: []edgeauth.Key{testKey}}, []string{"cloud", "CELLFABRIC_CLOUD"}},
		{"no key", Config{CellID: "c1", Cloud: "aws"}, []string{"edge keys", "CELLFABRIC_EDGE_KEY"}},
		{"short key", Config{CellID: "c1", Cloud: "aws", Keys: []edgeauth.Key{{ID: "k1", Secret: []byte("short")}}}, []string{"at least 16"}},
		{"everything missing", Config{}, []string{"cell id", "cloud", "edge keys"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := New(tt.cfg)
			if err == nil {
				c.Close()
				t.Fatal("New accepted the config")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "short") && tt.name == "short key" {
				t.Errorf("error %q leaks the secret", err)
			}
		})
	}
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	c, srv := testCell(t, Config{CellID: "gcp-usc1", Cloud: "gcp", Region: "us-central1"})
	r := send(t, srv.URL, "GET", "/healthz", "", nil, nil, nil)
	if r.status != 200 || r.header.Get("X-Cell-ID") != "gcp-usc1" {
		t.Fatalf("healthz: %d %v %s", r.status, r.header, r.body)
	}
	var h healthBody
	r.json(t, &h)
	if h.Status != "ok" || h.Cell != "gcp-usc1" || h.Cloud != "gcp" || h.Region != "us-central1" || h.Store.Kind != "embedded" || !h.Store.OK {
		t.Errorf("healthz body: %+v", h)
	}
	if r := send(t, srv.URL, "HEAD", "/healthz", "", nil, nil, nil); r.status != 200 {
		t.Errorf("HEAD /healthz: %d", r.status)
	}
	// Other methods on the health path need a signature like any path.
	if r := send(t, srv.URL, "POST", "/healthz", "", nil, nil, nil); r.status != http.StatusUnauthorized {
		t.Errorf("unsigned POST /healthz: %d, want 401", r.status)
	}
	c.Close()
	r = send(t, srv.URL, "GET", "/healthz", "", nil, nil, nil)
	if r.status != http.StatusServiceUnavailable {
		t.Errorf("healthz after Close: %d, want 503", r.status)
	}
	if r := send(t, srv.URL, "GET", "/x", "acme", nil, signer(t, testKey, nil), nil); r.status != http.StatusServiceUnavailable {
		t.Errorf("request after Close: %d, want 503", r.status)
	}
}

func TestSignatures(t *testing.T) {
	t.Parallel()
	c, srv := testCell(t, Config{Keys: []edgeauth.Key{testKey, otherKey}})
	good := signer(t, testKey, nil)
	rotated := signer(t, otherKey, nil)
	forged := signer(t, edgeauth.Key{ID: "k1", Secret: []byte("not-the-edge-secret-at-all-xxxx")}, nil)
	unknown := signer(t, edgeauth.Key{ID: "k7", Secret: []byte("reference-cell-test-secret-0123")}, nil)
	stale := signer(t, testKey, func() time.Time { return time.Now().Add(-5 * time.Minute) })
	tests := []struct {
		name   string
		s      *edgeauth.Signer
		edit   func(*http.Request)
		status int
		reason string
	}{
		{"signed", good, nil, 200, ""},
		{"signed with the second key", rotated, nil, 200, ""},
		{"unsigned", nil, nil, 401, edgeauth.ReasonMissing},
		{"forged secret", forged, nil, 401, edgeauth.ReasonBadSignature},
		{"unknown key id", unknown, nil, 401, edgeauth.ReasonUnknownKey},
		{"stale", stale, nil, 401, edgeauth.ReasonStale},
		{"tenant changed after signing", good, func(r *http.Request) { r.Header.Set("X-Tenant-ID", "globex") }, 401, edgeauth.ReasonBadSignature},
		{"path changed after signing", good, func(r *http.Request) { r.URL.Path = "/kv/other" }, 401, edgeauth.ReasonBadSignature},
		{"method changed after signing", good, func(r *http.Request) { r.Method = "DELETE" }, 401, edgeauth.ReasonBadSignature},
		{"garbage signature", nil, func(r *http.Request) { r.Header.Set(edgeauth.SignatureHeader, "v1,kid=k1,ts=1,sig=!!") }, 401, edgeauth.ReasonMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := send(t, srv.URL, "GET", "/hello/world?x=1", "acme", nil, tt.s, tt.edit)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if r.header.Get("X-Cell-ID") != "aws-use1" {
				t.Errorf("X-Cell-ID = %q", r.header.Get("X-Cell-ID"))
			}
			if tt.status != 200 {
				var e struct{ Reason string }
				r.json(t, &e)
				if e.Reason != tt.reason {
					t.Errorf("reason %q, want %q", e.Reason, tt.reason)
				}
				return
			}
			var e echoBody
			r.json(t, &e)
			want := echoBody{Cell: "aws-use1", Cloud: "aws", Region: "us-east-1", Tenant: "acme", Method: "GET", Path: "/hello/world", Query: "x=1"}
			if e != want {
				t.Errorf("echo %+v, want %+v", e, want)
			}
		})
	}
	t.Run("rejections are counted", func(t *testing.T) {
		before := c.Rejected()
		send(t, srv.URL, "GET", "/", "", nil, nil, nil)
		if c.Rejected() != before+1 {
			t.Errorf("Rejected went from %d to %d", before, c.Rejected())
		}
	})
}

func TestEchoWithoutTenant(t *testing.T) {
	t.Parallel()
	_, srv := testCell(t, Config{})
	r := send(t, srv.URL, "POST", "/catalog/items", "", []byte("x"), signer(t, testKey, nil), func(r *http.Request) { r.Header.Set("X-Request-ID", "req-1") })
	var e echoBody
	r.json(t, &e)
	if r.status != 200 || e.Tenant != "" || e.Path != "/catalog/items" || e.Method != "POST" || e.RequestID != "req-1" {
		t.Errorf("shared-route echo: %d %+v", r.status, e)
	}
}
