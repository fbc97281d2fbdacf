package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/workload/state/emulator"
)

// kv sends a key/value request for tenant through local's router and
// returns the status, ETag and body.
func (lr *localRun) kv(t *testing.T, method, tenant, key, body string) (int, string, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, lr.proxy+"/kv/"+key, rd)
	req.Header.Set("X-Tenant-ID", tenant)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("ETag"), string(b)
}

// storeLine is the banner's store line: the kind, and the emulator's
// address when there is one.
var storeLine = regexp.MustCompile(`store +(\S+?),? (?:on .* at (\S+),)?`)

// emulatorAddr returns the host:port of local's emulator from its banner.
func (lr *localRun) emulatorAddr(t *testing.T, kind string) string {
	t.Helper()
	m := storeLine.FindStringSubmatch(lr.stdout.String())
	if m == nil || m[1] != kind || m[2] == "" {
		t.Fatalf("the banner names no %s emulator:\n%s", kind, lr.stdout.String())
	}
	return strings.TrimPrefix(strings.SplitN(strings.TrimPrefix(m[2], "http://"), "/", 2)[0], "")
}

// healthStore is the store kind a local cell's /healthz reports.
func healthStore(t *testing.T, endpoint string) string {
	t.Helper()
	resp, err := http.Get(endpoint + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h struct {
		Status string
		Store  struct{ Kind string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %d %v %+v", resp.StatusCode, err, h)
	}
	return h.Store.Kind
}

// TestLocalStoreKeepsDataAcrossRestarts: `cellfabric local --store X
// --data-dir D` keeps the cells' data in X (the emulator it starts, or the
// embedded store); stopped, it leaves no emulator behind; started again
// with the same D, a tenant reads what it wrote before, at the same ETag.
// azurite saves its database every 5 s and when asked to stop: the value
// is read back although local stops at once after writing it.
func TestLocalStoreKeepsDataAcrossRestarts(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"embedded", "dynamodb", "azuretable"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			args := []string{"--stack", "dev", "--store", kind, "--data-dir", dir}
			lr := startLocal(t, args...)
			if got := healthStore(t, lr.cellStates(t)["aws-use1"].Endpoint); got != kind {
				t.Fatalf("the cell's store is %q, want %q", got, kind)
			}
			code, etag, body := lr.kv(t, "PUT", "acme", "plan", "gold")
			if code != http.StatusCreated || etag == "" {
				t.Fatalf("PUT: %d %q %s", code, etag, body)
			}
			// Another tenant, on another cell (and table), sees nothing.
			if code, _, body := lr.kv(t, "GET", "globex", "plan", ""); code != http.StatusNotFound {
				t.Errorf("globex reads acme's key: %d %s", code, body)
			}
			var addr string
			if kind != "embedded" {
				addr = lr.emulatorAddr(t, kind)
			}
			if code := lr.stop(t); code != 0 {
				t.Fatalf("local exited with %d: %s", code, lr.stderr.String())
			}
			if addr != "" {
				if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
					c.Close()
					t.Fatalf("the %s emulator still answers on %s after local stopped", kind, addr)
				}
			}

			again := startLocal(t, args...)
			code, etag2, body := again.kv(t, "GET", "acme", "plan", "")
			if code != 200 || body != "gold" || etag2 != etag {
				t.Fatalf("after a restart: %d %q ETag %s; want 200 gold ETag %s", code, body, etag2, etag)
			}
		})
	}
}

// TestLocalStoreFirestore: the cells keep their data in the Firestore
// emulator, which cannot keep it on disk: --data-dir with it is refused.
func TestLocalStoreFirestore(t *testing.T) {
	t.Parallel()
	lr := startLocal(t, "--stack", "dev", "--store", "firestore")
	if got := healthStore(t, lr.cellStates(t)["gcp-usc1"].Endpoint); got != "firestore" {
		t.Fatalf("the cell's store is %q, want firestore", got)
	}
	if code, _, body := lr.kv(t, "PUT", "globex", "plan", "silver"); code != http.StatusCreated {
		t.Fatalf("PUT: %d %s", code, body)
	}
	if code, _, body := lr.kv(t, "GET", "globex", "plan", ""); code != 200 || body != "silver" {
		t.Fatalf("GET: %d %s", code, body)
	}
	if code, _, body := lr.kv(t, "GET", "acme", "plan", ""); code != http.StatusNotFound {
		t.Errorf("acme reads globex's key: %d %s", code, body)
	}

	var stdout, stderr lockedBuffer
	code := localMain(context.Background(), []string{"--dir", "../..", "--store", "firestore", "--data-dir", t.TempDir()}, nil, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "in memory only") || !strings.Contains(stderr.String(), "leave out --data-dir") {
		t.Errorf("firestore with --data-dir: exit %d, %s", code, stderr.String())
	}
}

// TestLocalStoreNotInstalled: without the emulator, local says what to
// install and starts nothing. (Not parallel: it sets the environment.)
func TestLocalStoreNotInstalled(t *testing.T) {
	empty := t.TempDir()
	t.Setenv(emulator.EnvDynaliteDir, empty)
	var stdout, stderr lockedBuffer
	code := localMain(context.Background(), []string{"--dir", "../..", "--store", "dynamodb", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"}, nil, &stdout, &stderr)
	want := fmt.Sprintf("--store dynamodb: dynalite is not installed in %s=%s", emulator.EnvDynaliteDir, empty)
	if code != 1 || !strings.Contains(stderr.String(), want) || !strings.Contains(stderr.String(), "npm install --prefix") {
		t.Errorf("exit %d, stderr %q; want 1 with %q", code, stderr.String(), want)
	}
}
