//go:build genv1

package embedded

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/router/refcell"
)

// TestGenerateV1Log writes testdata/v1.log with the reference cell's own
// store (format version 1), the golden input of TestConvertV1Golden:
//
//	go test -tags genv1 -run TestGenerateV1Log ./workload/state/embedded/
//
// It imports the router only under the genv1 tag, so the package's tests
// do not; once the reference cell runs on the state port the golden file
// stays as the record of what version 1 looked like.
func TestGenerateV1Log(t *testing.T) {
	dir := t.TempDir()
	key := edgeauth.Key{ID: "gen", Secret: []byte("a-secret-only-for-this-generator")}
	c, err := refcell.New(refcell.Config{CellID: "gen", Cloud: "aws", Keys: []edgeauth.Key{key}, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c)
	signer, err := edgeauth.NewSigner(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range []struct{ method, tenant, key, value string }{
		{"PUT", "acme", "a", "alpha"},
		{"PUT", "acme", "b", "beta"},
		{"PUT", "acme", "a", "alpha2"},
		{"DELETE", "acme", "b", ""},
		{"PUT", "acme", "~x:y", ""},
		{"PUT", "globex", "k1", "one"},
		{"DELETE", "globex", "k1", ""},
		{"PUT", "initech", "user:1", `{"name":"Peter"}`},
	} {
		req, err := http.NewRequest(op.method, srv.URL+"/kv/"+op.key, bytes.NewReader([]byte(op.value)))
		if err != nil {
			t.Fatal(err)
		}
		signer.SignRequest(req, op.tenant)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			t.Fatalf("%+v: %s", op, resp.Status)
		}
	}
	srv.Close()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "kv.log"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("testdata", "v1.log"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}
