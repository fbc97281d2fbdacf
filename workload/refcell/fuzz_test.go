package refcell

import (
	"bytes"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/embedded"
)

// FuzzKV: any key, value and method a signed client sends gets a 2xx, a
// 4xx the client can act on, never a 5xx or a panic; a key the port refuses
// is never stored.
func FuzzKV(f *testing.F) {
	f.Add("PUT", "plan", []byte("gold"))
	f.Add("GET", "a%2Fb", []byte{})
	f.Add("PUT", "..", []byte{})
	f.Add("DELETE", "~meta", []byte{})
	f.Add("PUT", "k", make([]byte, 300<<10))
	c, err := New(Config{CellID: "aws-use1", Cloud: "aws", Region: "us-east-1", Keys: []edgeauth.Key{testKey}, Store: state.New(embedded.New())})
	if err != nil {
		f.Fatal(err)
	}
	s := signer(f, testKey, nil)
	f.Fuzz(func(t *testing.T, method, key string, value []byte) {
		switch method {
		case "GET", "HEAD", "PUT", "DELETE", "POST":
		default:
			return
		}
		u := &url.URL{Scheme: "http", Host: "cell.test", Path: "/kv/" + key}
		req := httptest.NewRequest(method, u.String(), nil)
		if method == "PUT" || method == "POST" {
			req = httptest.NewRequest(method, u.String(), bytes.NewReader(value))
		}
		s.SignRequest(req, "acme")
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s /kv/%q: %d %s", method, key, rec.Code, rec.Body)
		}
		if method == "PUT" && rec.Code < 300 && state.ValidKey(req.URL.Path[len("/kv/"):]) != nil {
			t.Fatalf("stored an invalid key %q", key)
		}
	})
}
