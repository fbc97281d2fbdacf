package main

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/router/server"
)

// TestRouteCellCAFile: with --cell-ca-file, `cellfabric route` reaches a
// cell behind TLS whose certificate the file holds, on every engine, and
// without it does not (the system's roots do not hold it); a file that
// is missing, holds no certificate or a broken one stops the start with
// what is wrong.
func TestRouteCellCAFile(t *testing.T) {
	t.Parallel()
	v, err := edgeauth.NewVerifier([]edgeauth.Key{{ID: "k9", Secret: []byte(testEdgeSecret)}}, edgeauth.VerifierOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cell := httptest.NewTLSServer(v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tenant, _ := edgeauth.TenantFromContext(r.Context())
		io.WriteString(w, "hello "+tenant)
	}), nil))
	t.Cleanup(cell.Close)
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	certPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cell.Certificate().Raw}))
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("not a key")}))
	caFile := write("ca.pem", keyPEM+certPEM) // a block that is not a certificate is skipped
	data, _ := json.Marshal(router.Registry{Version: router.SchemaVersion, Epoch: 4,
		Cells:   []router.Cell{{ID: "secure", Cloud: "aws", Region: "r", Endpoint: cell.URL, Weight: 100}},
		Tenants: []router.Tenant{{ID: "acme", Cell: "secure"}},
	})
	regPath := write("registry.json", string(data))
	env := map[string]string{edgeauth.EnvKey: testEdgeSecret, edgeauth.EnvKeyID: "k9"}
	getenv := func(k string) string { return env[k] }

	type serveCase struct {
		name       string
		args       []string
		wantStatus int
		wantBody   string
	}
	var serving []serveCase
	for _, e := range server.Engines {
		serving = append(serving, serveCase{name: "trusted on " + string(e), args: []string{"--engine", string(e), "--cell-ca-file", caFile}, wantStatus: 200, wantBody: "hello acme"})
	}
	serving = append(serving, serveCase{name: "without the file", wantStatus: http.StatusBadGateway, wantBody: "upstream_unavailable"})
	for _, tt := range serving {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			var stdout, stderr lockedBuffer
			done := make(chan int, 1)
			go func() {
				done <- routeMain(ctx, append([]string{"--registry", regPath, "--listen", "127.0.0.1:0", "--admin", ""}, tt.args...), getenv, &stdout, &stderr)
			}()
			defer func() {
				cancel()
				if code := <-done; code != 0 {
					t.Errorf("exit %d: %s", code, stderr.String())
				}
			}()
			re := regexp.MustCompile(`listening on (http://[0-9.:]+),`)
			var m []string
			deadline := time.Now().Add(10 * time.Second)
			for m = re.FindStringSubmatch(stdout.String()); m == nil; m = re.FindStringSubmatch(stdout.String()) {
				if time.Now().After(deadline) {
					t.Fatalf("router did not start: stdout %q stderr %q", stdout.String(), stderr.String())
				}
				time.Sleep(5 * time.Millisecond)
			}
			req, _ := http.NewRequest("GET", m[1]+"/x", nil)
			req.Header.Set("X-Tenant-ID", "acme")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus || !strings.Contains(string(body), tt.wantBody) {
				t.Fatalf("through the router: %d %q, want %d with %q", resp.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
		})
	}

	refused := []struct {
		name, file, want string
	}{
		{name: "missing file", file: filepath.Join(dir, "nope.pem"), want: "--cell-ca-file: open "},
		{name: "no PEM at all", file: write("text.pem", "just some text\n"), want: "holds no PEM certificate"},
		{name: "a key but no certificate", file: write("key.pem", keyPEM), want: "holds no PEM certificate"},
		{name: "a broken certificate", file: write("broken.pem", certPEM+string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("garbage")}))), want: "certificate 2: x509: "},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errb lockedBuffer
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			code := routeMain(ctx, []string{"--registry", regPath, "--unsigned", "--listen", "127.0.0.1:0", "--admin", "", "--cell-ca-file", tt.file}, func(string) string { return "" }, &out, &errb)
			if code != 1 || !strings.Contains(errb.String(), tt.want) {
				t.Fatalf("exit %d stderr %q; want 1 and %q", code, errb.String(), tt.want)
			}
		})
	}
}
