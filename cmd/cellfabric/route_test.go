package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/internal/testkit"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
)

// lockedBuffer collects a command's output while it runs.
type lockedBuffer = testkit.Buffer

const testEdgeSecret = "route-test-edge-secret-0123456789"

// TestRouteCommand runs `cellfabric route` against a real loopback cell that
// verifies the edge signature, then stops it.
func TestRouteCommand(t *testing.T) {
	t.Parallel()
	v, err := edgeauth.NewVerifier([]edgeauth.Key{{ID: "k9", Secret: []byte(testEdgeSecret)}}, edgeauth.VerifierOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cell := httptest.NewServer(v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tenant, _ := edgeauth.TenantFromContext(r.Context())
		io.WriteString(w, "hello "+tenant+" at "+r.URL.Path)
	}), nil))
	defer cell.Close()
	dir := t.TempDir()
	reg := router.Registry{Version: router.SchemaVersion, Epoch: 3,
		Cells:   []router.Cell{{ID: "aws-use1", Cloud: "aws", Region: "us-east-1", Endpoint: cell.URL, Weight: 100}},
		Tenants: []router.Tenant{{ID: "acme", Cell: "aws-use1"}},
	}
	data, _ := json.Marshal(reg)
	regPath := filepath.Join(dir, "registry.json")
	os.WriteFile(regPath, data, 0o644)
	lkg := filepath.Join(dir, "lkg.json")

	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr lockedBuffer
	env := map[string]string{edgeauth.EnvKey: testEdgeSecret, edgeauth.EnvKeyID: "k9"}
	done := make(chan int, 1)
	go func() {
		done <- routeMain(ctx, []string{"--registry", regPath, "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
			"--tenant-from", "path,header", "--last-known-good", lkg, "--log-format", "json"},
			func(k string) string { return env[k] }, &stdout, &stderr)
	}()
	re := regexp.MustCompile(`listening on (http://[0-9.:]+) \(admin (http://[0-9.:]+)\), registry epoch 3`)
	var m []string
	deadline := time.Now().Add(10 * time.Second)
	for m = re.FindStringSubmatch(stdout.String()); m == nil; m = re.FindStringSubmatch(stdout.String()) {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("router did not start: stdout %q stderr %q", stdout.String(), stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	resp, err := http.Get(m[1] + "/t/acme/orders")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "hello acme at /orders" || resp.Header.Get("X-Cell-ID") != "aws-use1" {
		t.Fatalf("through the router: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	resp, err = http.Get(m[2] + "/readyz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("readyz: %v %v", resp, err)
	}
	resp.Body.Close()
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if _, err := os.Stat(lkg); err != nil {
		t.Errorf("last-known-good copy not written: %v", err)
	}
	if strings.Contains(stderr.String()+stdout.String(), testEdgeSecret) {
		t.Error("the edge secret appears in the output")
	}
	if !strings.Contains(stderr.String(), `"key_id":"k9"`) {
		t.Errorf("logs do not say which key signs: %s", stderr.String())
	}
}

func TestRouteCommandErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "r.json")
	data, _ := json.Marshal(router.Registry{Version: 1, Epoch: 1, Cells: []router.Cell{{ID: "cell-a", Cloud: "aws", Region: "r", Endpoint: "http://127.0.0.1:1", Weight: 1}}, Tenants: []router.Tenant{}})
	os.WriteFile(good, data, 0o644)
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, data[:20], 0o644)
	keyFile := filepath.Join(dir, "keys")
	os.WriteFile(keyFile, []byte("k1=short\n"), 0o600)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() }) // not defer: the subtests run after this function returns
	noEnv := func(string) string { return "" }
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{name: "no registry flag", args: nil, wantCode: 2, wantErr: "usage: cellfabric route"},
		{name: "no edge key", args: []string{"--registry", good}, wantCode: 1, wantErr: "no edge signing key"},
		{name: "bad edge key file", args: []string{"--registry", good, "--edge-key-file", keyFile}, wantCode: 1, wantErr: "at least 16"},
		{name: "unknown mode", args: []string{"--registry", good, "--unsigned", "--tenant-from", "cookie"}, wantCode: 1, wantErr: `unknown mode "cookie"`},
		{name: "host mode without pattern", args: []string{"--registry", good, "--unsigned", "--tenant-from", "host"}, wantCode: 1, wantErr: "hostPattern: required"},
		{name: "jwt without keys", args: []string{"--registry", good, "--unsigned", "--tenant-from", "jwt"}, wantCode: 1, wantErr: "no keys"},
		{name: "invalid registry", args: []string{"--registry", bad, "--unsigned"}, wantCode: 1, wantErr: "truncated document"},
		{name: "listen address in use", args: []string{"--registry", good, "--unsigned", "--listen", busy.Addr().String(), "--admin", ""}, wantCode: 1, wantErr: "address already in use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errb lockedBuffer
			// A bound: a case that wrongly starts the router ends anyway.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			code := routeMain(ctx, tt.args, noEnv, &out, &errb)
			if code != tt.wantCode || !strings.Contains(errb.String(), tt.wantErr) {
				t.Fatalf("exit %d stderr %q; want %d %q", code, errb.String(), tt.wantCode, tt.wantErr)
			}
			if strings.Contains(errb.String(), "short") && tt.name == "bad edge key file" {
				t.Error("error shows the key")
			}
		})
	}
}

// TestRoutePprofFlag: /debug/pprof/ is on the admin handler only with
// --pprof.
func TestRoutePprofFlag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want int
	}{
		{name: "default off", args: nil, want: http.StatusNotFound},
		{name: "--pprof", args: []string{"--pprof"}, want: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := routeOptions{}
			fs := o.flagSet()
			if err := fs.Parse(append([]string{"--registry", filepath.Join(t.TempDir(), "r.json"), "--unsigned"}, tt.args...)); err != nil {
				t.Fatal(err)
			}
			rt, _, err := o.cfg.build(context.Background(), slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			rt.AdminHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/debug/pprof/cmdline", nil))
			if rec.Code != tt.want {
				t.Errorf("GET /debug/pprof/cmdline: %d, want %d", rec.Code, tt.want)
			}
		})
	}
}
