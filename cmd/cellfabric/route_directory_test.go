package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/control/directory/dirhttp"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
)

// The tests of `cellfabric route --directory`: real cells, a real control
// API (dirhttp.Handler over an in-memory directory.Directory) and the
// router started as the command, all on loopback.

// routeDirTest is the world of one test: two cells that check the edge
// signature and say who they are, the registry file naming them, and the
// control API of a directory validated against the same registry.
type routeDirTest struct {
	reg     router.Registry
	regPath string
	snap    *router.Snapshot
	dir     *directory.Directory
	api     *httptest.Server
	client  *dirhttp.Client // signed with tenantsTestKey
	keyFile string          // tenantsTestKey as id=secret
	env     map[string]string
}

func newRouteDirTest(t *testing.T, policy fabric.Policy) *routeDirTest {
	t.Helper()
	edge := edgeauth.Key{ID: "k9", Secret: []byte(testEdgeSecret)}
	v, err := edgeauth.NewVerifier([]edgeauth.Key{edge}, edgeauth.VerifierOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cell := func(id string) string {
		srv := httptest.NewServer(v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tn, _ := edgeauth.TenantFromContext(r.Context())
			io.WriteString(w, tn+"@"+id)
		}), nil))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	w := &routeDirTest{env: map[string]string{edgeauth.EnvKey: testEdgeSecret, edgeauth.EnvKeyID: edge.ID}}
	w.reg = router.Registry{Version: router.SchemaVersion, Epoch: 1, UnknownTenants: policy,
		Cells: []router.Cell{
			{ID: "aws-a", Cloud: "aws", Region: "us-east-1", Endpoint: cell("aws-a"), Weight: 100},
			{ID: "gcp-b", Cloud: "gcp", Region: "us-central1", Endpoint: cell("gcp-b"), Weight: 100},
		},
		Tenants: []router.Tenant{{ID: "acme", Cell: "aws-a"}},
	}
	if w.snap, err = router.Compile(&w.reg); err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(w.reg)
	if err != nil {
		t.Fatal(err)
	}
	w.regPath = filepath.Join(t.TempDir(), "registry.json")
	w.keyFile = filepath.Join(t.TempDir(), "control.key")
	if err := os.WriteFile(w.regPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(w.keyFile, []byte(tenantsTestKey.ID+"="+string(tenantsTestKey.Secret)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if w.dir, err = directory.New(directory.Config{KV: directory.NewMemory(nil), Registry: func() *router.Snapshot { return w.snap }, Settle: directory.SettleMemory}); err != nil {
		t.Fatal(err)
	}
	cv, err := edgeauth.NewVerifier([]edgeauth.Key{tenantsTestKey}, edgeauth.VerifierOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.api = httptest.NewServer(dirhttp.Handler(w.dir, cv))
	t.Cleanup(w.api.Close)
	if w.client, err = dirhttp.NewClient(dirhttp.ClientConfig{BaseURL: w.api.URL, Key: tenantsTestKey}); err != nil {
		t.Fatal(err)
	}
	return w
}

// routeRun is a `cellfabric route` running in the test.
type routeRun struct {
	proxy, admin   string
	stdout, stderr *lockedBuffer
}

// startRoute runs `cellfabric route` on the world's registry with args
// added, and waits until it listens. It is stopped when the test ends.
func (w *routeDirTest) startRoute(t *testing.T, env map[string]string, args ...string) *routeRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &routeRun{stdout: new(lockedBuffer), stderr: new(lockedBuffer)}
	done := make(chan int, 1)
	args = append([]string{"--registry", w.regPath, "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--tenant-from", "path", "--log-format", "json"}, args...)
	go func() { done <- routeMain(ctx, args, func(k string) string { return env[k] }, r.stdout, r.stderr) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("route exited %d: %s", code, r.stderr.String())
		}
	})
	re := regexp.MustCompile(`listening on (http://[0-9.:]+) \(admin (http://[0-9.:]+)\)`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := re.FindStringSubmatch(r.stdout.String()); m != nil {
			r.proxy, r.admin = m[1], m[2]
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("router did not start: stdout %q stderr %q", r.stdout.String(), r.stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// get sends a request for tenant through the router: status, the cell
// that answered (X-Cell-ID), the body and the Retry-After header.
func (r *routeRun) get(t *testing.T, tenant string) (status int, cell, body, retryAfter string) {
	t.Helper()
	resp, err := http.Get(r.proxy + "/t/" + tenant + "/x")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Cell-ID"), string(b), resp.Header.Get("Retry-After")
}

// routesTo waits, up to a deadline, until tenant's requests are answered
// by cell; it fails the test with the last answer otherwise.
func (r *routeRun) routesTo(t *testing.T, tenant, cell string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, got, body, _ := r.get(t, tenant)
		if status == 200 && got == cell && body == tenant+"@"+cell {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("tenant %s: last answer %d from %q (%q), want 200 from %s\nlogs: %s", tenant, status, got, body, cell, r.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// adminJSON decodes GET path on the admin listener into out.
func (r *routeRun) adminJSON(t *testing.T, path string, out any) {
	t.Helper()
	resp, err := http.Get(r.admin + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// metric returns the value of the metric line starting with name (with
// its labels) on /metrics, or "" when there is none.
func (r *routeRun) metric(t *testing.T, name string) string {
	t.Helper()
	resp, err := http.Get(r.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	return ""
}

// (a) A tenant added through the control API after the router started
// routes to its cell within a few polls, and a change of its cell moves
// it; the registry's tenants route meanwhile.
func TestRouteFollowsRemoteDirectory(t *testing.T) {
	t.Parallel()
	w := newRouteDirTest(t, fabric.PolicyReject)
	env := map[string]string{EnvControlKey: tenantsTestKey.ID + "=" + string(tenantsTestKey.Secret)}
	for k, v := range w.env {
		env[k] = v
	}
	r := w.startRoute(t, env, "--directory", w.api.URL, "--directory-poll", "50ms")
	if !strings.Contains(r.stdout.String(), "tenant directory "+w.api.URL) {
		t.Errorf("the start line does not name the directory: %q", r.stdout.String())
	}
	r.routesTo(t, "acme", "aws-a")
	if status, _, body, _ := r.get(t, "newco"); status != 404 || !strings.Contains(body, "unknown_tenant") {
		t.Fatalf("newco before it is added: %d %q, want 404 unknown_tenant", status, body)
	}

	ctx := context.Background()
	if _, err := w.client.Put(ctx, router.Tenant{ID: "newco", Cell: "gcp-b", Failover: []string{"aws-a"}}, directory.PutOptions{IfAbsent: true}); err != nil {
		t.Fatal(err)
	}
	r.routesTo(t, "newco", "gcp-b")
	if _, err := w.client.Put(ctx, router.Tenant{ID: "newco", Cell: "aws-a"}, directory.PutOptions{IfEpoch: 1}); err != nil {
		t.Fatal(err)
	}
	r.routesTo(t, "newco", "aws-a")
	// A directory entry wins over the registry's.
	if _, err := w.client.Put(ctx, router.Tenant{ID: "acme", Cell: "gcp-b"}, directory.PutOptions{IfAbsent: true}); err != nil {
		t.Fatal(err)
	}
	r.routesTo(t, "acme", "gcp-b")
	var st struct {
		Feed, Loaded bool
		Tenants      int
	}
	r.adminJSON(t, "/admin/directory", &st)
	if !st.Feed || !st.Loaded || st.Tenants != 2 {
		t.Errorf("/admin/directory: %+v, want a loaded feed holding 2 tenants", st)
	}
	if strings.Contains(r.stdout.String()+r.stderr.String(), string(tenantsTestKey.Secret)) {
		t.Error("the control key's secret appears in the output")
	}
}

// (b) The directory cannot be read at start — a wrong control key, or
// nothing listening — and the router still serves the registry's tenants,
// and says in its logs and metrics that the directory is unreadable.
func TestRouteDirectoryUnreadable(t *testing.T) {
	t.Parallel()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + closed.Addr().String()
	closed.Close()
	tests := []struct {
		name string
		url  func(w *routeDirTest) string
		key  string // the control key the router signs with
		log  string // what its log says of the failure
	}{
		{name: "wrong control key", url: func(w *routeDirTest) string { return w.api.URL },
			key: tenantsTestKey.ID + "=not-the-control-secret-of-the-api", log: "HTTP 401"},
		{name: "nothing listening", url: func(*routeDirTest) string { return down },
			key: tenantsTestKey.ID + "=" + string(tenantsTestKey.Secret), log: "dial tcp " + closed.Addr().String() + ": connect: connection refused; check the URL (--directory)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newRouteDirTest(t, fabric.PolicyReject)
			keyFile := filepath.Join(t.TempDir(), "key")
			if err := os.WriteFile(keyFile, []byte(tt.key+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			r := w.startRoute(t, w.env, "--directory", tt.url(w), "--directory-poll", "20ms", "--control-key-file", keyFile)
			r.routesTo(t, "acme", "aws-a")
			re := regexp.MustCompile(`"msg":"tenant directory load failed; routing with the registry's tenants only until it loads".*` + regexp.QuoteMeta(tt.log))
			waitFor(t, r.stderr, re)
			if v := r.metric(t, "cellfabric_router_directory_loaded"); v != "0" {
				t.Errorf("cellfabric_router_directory_loaded %q, want 0", v)
			}
			if v := r.metric(t, `cellfabric_router_directory_feed_errors_total{op="load"}`); v == "" || v == "0" {
				t.Errorf(`cellfabric_router_directory_feed_errors_total{op="load"} %q, want > 0`, v)
			}
			// Still serving, after the failures.
			r.routesTo(t, "acme", "aws-a")
		})
	}
}

// (c) Policy place: an unknown tenant's first request records its
// placement in the directory; a second router routes it to the same cell
// from the directory. While the control API is down, held tenants keep
// routing and a new one is refused as the flag's help says.
func TestRoutePlacesUnknownTenantInDirectory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newRouteDirTest(t, fabric.PolicyPlace)
	args := []string{"--directory", w.api.URL, "--directory-poll", "50ms", "--control-key-file", w.keyFile}
	first := w.startRoute(t, w.env, args...)
	want, err := directory.PlaceAtRequest(w.snap, "newco", nil)
	if err != nil {
		t.Fatal(err)
	}
	first.routesTo(t, "newco", want.Cell)
	stored, err := w.client.Get(ctx, "newco")
	if err != nil || stored.Cell != want.Cell || stored.Epoch != 1 {
		t.Fatalf("the directory after the first request: %+v, %v; want newco on %s at epoch 1", stored, err, want.Cell)
	}
	if v := first.metric(t, `cellfabric_router_directory_placements_total{result="recorded"}`); v != "1" {
		t.Errorf(`placements recorded %q, want 1`, v)
	}

	second := w.startRoute(t, w.env, args...)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var st struct{ Loaded bool }
		second.adminJSON(t, "/admin/directory", &st)
		if st.Loaded {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the second router never loaded the directory: %s", second.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	var ex struct{ Source, Chosen string }
	second.adminJSON(t, "/admin/route?tenant=newco", &ex)
	if ex.Source != "directory" || ex.Chosen != want.Cell {
		t.Fatalf("the second router's /admin/route for newco: %+v, want source directory, chosen %s", ex, want.Cell)
	}
	second.routesTo(t, "newco", want.Cell)
	if v := second.metric(t, `cellfabric_router_directory_placements_total{result="recorded"}`); v != "0" {
		t.Errorf("the second router placed newco again (recorded %q)", v)
	}

	// The control API goes away: the data plane keeps serving what it
	// holds; a tenant in neither cannot be recorded and is refused.
	w.api.Close()
	second.routesTo(t, "newco", want.Cell)
	second.routesTo(t, "acme", "aws-a")
	status, _, body, retry := second.get(t, "other")
	if status != 503 || !strings.Contains(body, "placement_failed") || retry != fmt.Sprint(router.PlacementFailedRetryAfter) {
		t.Fatalf("an unknown tenant with the control API down: %d %q Retry-After %q; want 503 placement_failed", status, body, retry)
	}
}

// (d) The directory's flags refuse what cannot work, saying what to fix,
// before anything listens.
func TestRouteDirectoryFlagErrors(t *testing.T) {
	t.Parallel()
	w := newRouteDirTest(t, fabric.PolicyReject)
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	edgeAsControl := write("edge-as-control", "ctl="+testEdgeSecret+"\n")
	twoKeys := write("two", "a=first-control-secret-0123\nb=second-control-secret-012\n")
	base := []string{"--registry", w.regPath, "--listen", "127.0.0.1:0", "--admin", ""}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want []string
	}{
		{name: "directory without a key", args: []string{"--directory", w.api.URL},
			want: []string{"--directory needs the control key", "--control-key-file FILE", "CELLFABRIC_CONTROL_KEY"}},
		{name: "URL without a scheme", args: []string{"--directory", "127.0.0.1:9091", "--control-key-file", w.keyFile},
			want: []string{"--directory", `"127.0.0.1:9091"`, "http(s)://host[:port]"}},
		{name: "URL not http", args: []string{"--directory", "ftp://dir.example.com", "--control-key-file", w.keyFile},
			want: []string{"--directory", "http(s)://host[:port]"}},
		{name: "URL with a query", args: []string{"--directory", w.api.URL + "?x=1", "--control-key-file", w.keyFile},
			want: []string{"--directory", "without query"}},
		{name: "key file without directory", args: []string{"--control-key-file", w.keyFile},
			want: []string{"--control-key-file is only used with --directory"}},
		{name: "key file missing", args: []string{"--directory", w.api.URL, "--control-key-file", filepath.Join(dir, "absent")},
			want: []string{"reading the control key", "--control-key-file"}},
		{name: "two keys", args: []string{"--directory", w.api.URL, "--control-key-file", twoKeys},
			want: []string{"2 keys; give exactly one"}},
		{name: "control key is the edge key", args: []string{"--directory", w.api.URL, "--control-key-file", edgeAsControl},
			want: []string{"--control-key-file", "same secret as edge key k9", "generate a separate control key"}},
		{name: "control key from the environment is the edge key", args: []string{"--directory", w.api.URL},
			env:  map[string]string{EnvControlKey: "ctl=" + testEdgeSecret},
			want: []string{"same secret as edge key k9"}},
		{name: "negative poll", args: []string{"--directory", w.api.URL, "--control-key-file", w.keyFile, "--directory-poll", "-1s"},
			want: []string{"--directory-poll -1s", "positive"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{}
			for k, v := range w.env {
				env[k] = v
			}
			for k, v := range tt.env {
				env[k] = v
			}
			var out, errb lockedBuffer
			// A bound: a case that wrongly starts the router ends anyway.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			code := routeMain(ctx, append(append([]string{}, base...), tt.args...), func(k string) string { return env[k] }, &out, &errb)
			if code != 1 {
				t.Fatalf("exit %d, want 1; stderr %q", code, errb.String())
			}
			for _, s := range tt.want {
				if !strings.Contains(errb.String(), s) {
					t.Errorf("stderr %q does not say %q", errb.String(), s)
				}
			}
			if strings.Contains(out.String(), "listening") {
				t.Errorf("the router started: %q", out.String())
			}
			if strings.Contains(errb.String(), testEdgeSecret) || strings.Contains(errb.String(), "control-secret") {
				t.Error("an error shows a secret")
			}
		})
	}
}
