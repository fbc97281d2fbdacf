package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/control/directory/dirhttp"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
)

var tenantsTestKey = edgeauth.Key{ID: "ctl", Secret: []byte("a-control-secret-for-the-tests")}

// dirServer is a tenant directory over Memory behind its control API on
// loopback; wrap, when set, sits in front of the handler.
type dirServer struct {
	dir     *directory.Directory
	mem     *directory.Memory
	srv     *httptest.Server
	keyFile string
}

func newDirServer(t *testing.T, wrap func(http.Handler) http.Handler) *dirServer {
	t.Helper()
	reg := &router.Registry{Version: router.SchemaVersion, Epoch: 1, Cells: []router.Cell{
		{ID: "aws-use1", Cloud: "aws", Region: "us-east-1", Endpoint: "https://a.example.com", Weight: 100, Geo: "us"},
		{ID: "azure-weu", Cloud: "azure", Region: "westeurope", Endpoint: "https://b.example.com", Weight: 100, Geo: "eu"},
		{ID: "gcp-euw1", Cloud: "gcp", Region: "europe-west1", Endpoint: "https://c.example.com", Weight: 100, Geo: "eu"},
		{ID: "gcp-usc1", Cloud: "gcp", Region: "us-central1", Endpoint: "https://d.example.com", Weight: 50, Geo: "us", State: fabric.CellActive},
	}}
	snap, err := router.Compile(reg)
	if err != nil {
		t.Fatal(err)
	}
	s := &dirServer{mem: directory.NewMemory(nil)}
	if s.dir, err = directory.New(directory.Config{KV: s.mem, Registry: func() *router.Snapshot { return snap }}); err != nil {
		t.Fatal(err)
	}
	v, err := edgeauth.NewVerifier([]edgeauth.Key{tenantsTestKey}, edgeauth.VerifierOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = dirhttp.Handler(s.dir, v)
	if wrap != nil {
		h = wrap(h)
	}
	s.srv = httptest.NewServer(h)
	t.Cleanup(s.srv.Close)
	s.keyFile = filepath.Join(t.TempDir(), "control.key")
	if err := os.WriteFile(s.keyFile, []byte(tenantsTestKey.ID+"="+string(tenantsTestKey.Secret)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

var noEnv = tenantsEnv{getenv: func(string) string { return "" }, localKeyFile: func() string { return "" }, terminal: func(io.Writer) bool { return false }}

// run runs `cellfabric tenants args...` against the server.
func (s *dirServer) run(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	if len(args) > 0 {
		args = append(args, "--api", s.srv.URL, "--key-file", s.keyFile)
	}
	var out, errb bytes.Buffer
	code := tenantsMain(ctx, args, &out, &errb, noEnv)
	if strings.Contains(out.String()+errb.String(), string(tenantsTestKey.Secret)) {
		t.Fatal("the control key's secret was printed")
	}
	return code, out.String(), errb.String()
}

func (s *dirServer) entry(t *testing.T, id string) (router.Tenant, bool) {
	t.Helper()
	e, found, err := s.dir.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return e, found
}

func TestTenantsCommands(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newDirServer(t, nil)
	steps := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{name: "add", args: []string{"add", "acme", "--cell", "aws-use1", "--failover", "gcp-usc1"}, stdout: []string{"TENANT", "acme", "aws-use1", "gcp-usc1", "active"}},
		{name: "add with the id last", args: []string{"add", "--cell", "azure-weu", "--residency", "eu", "globex"}, stdout: []string{"globex", "azure-weu", "eu"}},
		{name: "add again with another cell", args: []string{"add", "acme", "--cell", "gcp-usc1"}, code: 1, stderr: []string{`tenant "acme" is already in the directory`, "HTTP 409 exists"}},
		{name: "add without a cell", args: []string{"add", "acme"}, code: 2, stderr: []string{"--cell is required", "use place"}},
		{name: "add to an unknown cell", args: []string{"add", "newco", "--cell", "nowhere"}, code: 1, stderr: []string{`tenant "newco"`, `unknown cell "nowhere"`, "the registry's cells:"}},
		{name: "add against residency", args: []string{"add", "euro", "--cell", "aws-use1", "--residency", "eu"}, code: 1, stderr: []string{`tenant "euro" must stay in "eu" but primary cell "aws-use1" is in "us"`}},
		{name: "add a bad id", args: []string{"add", "Bad_Id", "--cell", "aws-use1"}, code: 1, stderr: []string{`"Bad_Id" is not a valid tenant id`}},
		{name: "show", args: []string{"show", "acme", "-o", "json"}, stdout: []string{`"id": "acme"`, `"epoch": 1`}},
		{name: "set", args: []string{"set", "acme", "--cell", "gcp-usc1", "--failover", "aws-use1"}, stdout: []string{"acme", "gcp-usc1", "aws-use1", "2"}},
		{name: "set at a stale epoch", args: []string{"set", "acme", "--state", "readonly", "--if-epoch", "1"}, code: 1, stderr: []string{`tenant "acme" is at epoch 2, not 1`}},
		{name: "set nothing", args: []string{"set", "acme"}, code: 2, stderr: []string{"nothing to change"}},
		{name: "set an absent tenant", args: []string{"set", "ghost", "--cell", "aws-use1"}, code: 1, stderr: []string{`tenant "ghost" is not in the directory: add it`}},
		{name: "place", args: []string{"place", "euro", "--residency", "eu"}, stdout: []string{"euro", "azure-weu", "gcp-euw1", "eu", "1"}},
		{name: "place nowhere", args: []string{"place", "asia", "--residency", "ap"}, code: 1, stderr: []string{`tenant "asia"`, "no_eligible_cell"}},
		{name: "list", args: []string{"list"}, stdout: []string{"acme", "euro", "globex"}},
		{name: "list a page", args: []string{"list", "--limit", "2"}, stdout: []string{"acme", "euro"}, stderr: []string{"more tenants: cellfabric tenants list --cursor"}},
		{name: "list as json", args: []string{"list", "-o", "json"}, stdout: []string{`"id": "globex"`}},
		{name: "remove", args: []string{"remove", "globex"}, stdout: []string{"tenant globex removed at epoch 2"}},
		{name: "remove again", args: []string{"remove", "globex"}, code: 1, stderr: []string{`tenant "globex" is not in the directory`}},
		{name: "show the removed", args: []string{"show", "globex"}, code: 1, stderr: []string{`tenant "globex" is not in the directory`, "404"}},
		{name: "unknown subcommand", args: []string{"frobnicate"}, code: 2, stderr: []string{`unknown subcommand "frobnicate"`, "add, place"}},
		{name: "bad output", args: []string{"show", "acme", "-o", "yaml"}, code: 2, stderr: []string{"want table or json"}},
	}
	for _, st := range steps {
		code, stdout, stderr := s.run(t, ctx, st.args...)
		if code != st.code {
			t.Fatalf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", st.name, code, st.code, stdout, stderr)
		}
		for _, w := range st.stdout {
			if !strings.Contains(stdout, w) {
				t.Errorf("%s: stdout lacks %q:\n%s", st.name, w, stdout)
			}
		}
		for _, w := range st.stderr {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr lacks %q:\n%s", st.name, w, stderr)
			}
		}
	}
	if e, _ := s.entry(t, "acme"); e.Cell != "gcp-usc1" || e.Epoch != 2 {
		t.Errorf("acme: %+v", e)
	}
}

func TestTenantsKeyAndAPIErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newDirServer(t, nil)
	run := func(env tenantsEnv, args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := tenantsMain(ctx, args, &out, &errb, env)
		return code, errb.String()
	}
	code, stderr := run(noEnv, "show", "acme", "--api", s.srv.URL)
	if code != 1 || !strings.Contains(stderr, "no control key: pass --key-file FILE") {
		t.Errorf("no key: %d %s", code, stderr)
	}
	// The key from the environment, then from local's default file.
	env := noEnv
	env.getenv = func(k string) string {
		if k == EnvControlKey {
			return tenantsTestKey.ID + "=" + string(tenantsTestKey.Secret)
		}
		return ""
	}
	if code, stderr := run(env, "list", "--api", s.srv.URL); code != 0 {
		t.Errorf("key from the environment: %d %s", code, stderr)
	}
	env = noEnv
	env.localKeyFile = func() string { return s.keyFile }
	if code, stderr := run(env, "list", "--api", s.srv.URL); code != 0 {
		t.Errorf("key from local's file: %d %s", code, stderr)
	}
	// local has not written its file: no key, as with none at all.
	env.localKeyFile = func() string { return filepath.Join(t.TempDir(), "control.key") }
	if code, stderr := run(env, "show", "acme", "--api", s.srv.URL); code != 1 || !strings.Contains(stderr, "no control key: pass --key-file FILE") {
		t.Errorf("local's file missing: %d %s", code, stderr)
	}
	// A wrong key: refused, and the error says so without the secret.
	bad := filepath.Join(t.TempDir(), "bad.key")
	_ = os.WriteFile(bad, []byte("ctl=not-the-right-secret-at-all"), 0o600)
	code, stderr = run(noEnv, "list", "--api", s.srv.URL, "--key-file", bad)
	if code != 1 || !strings.Contains(stderr, "bad_signature") || strings.Contains(stderr, "not-the-right") {
		t.Errorf("wrong key: %d %s", code, stderr)
	}
	code, stderr = run(noEnv, "list", "--api", s.srv.URL, "--key-file", filepath.Join(t.TempDir(), "missing"))
	if code != 1 || !strings.Contains(stderr, "pass the file cellfabric local printed with --key-file") {
		t.Errorf("missing key file: %d %s", code, stderr)
	}
	code, stderr = run(noEnv, "list", "--api", "127.0.0.1:9", "--key-file", s.keyFile)
	if code != 1 || !strings.Contains(stderr, "(--api)") {
		t.Errorf("bad --api: %d %s", code, stderr)
	}
}

// writeLines writes an import file.
func writeLines(t *testing.T, name string, lines []string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTenantsImport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name  string
		file  string
		lines []string
	}{
		{name: "csv", file: "tenants.csv", lines: []string{
			"id,cell,failover,residency,state",
			"t1,aws-use1,gcp-usc1,,",
			"t2,azure-weu,gcp-euw1;aws-use1,,readonly",
			"t3,nowhere,,,",
			"T4,aws-use1,,,",
			"t5,aws-use1,\"unclosed,,",
			"t1,gcp-usc1,,,",
			"",
			"t6,azure-weu,gcp-euw1,eu,active",
			"t7,aws-use1,,eu,",
			"t8,aws-use1",
		}},
		{name: "ndjson", file: "tenants.ndjson", lines: []string{
			`{"id":"t1","cell":"aws-use1","failover":["gcp-usc1"]}`,
			`{"id":"t2","cell":"azure-weu","failover":["gcp-euw1","aws-use1"],"state":"readonly"}`,
			`{"id":"t3","cell":"nowhere"}`,
			`{"id":"T4","cell":"aws-use1"}`,
			`{"id":"t5","cell":`,
			`{"id":"t1","cell":"gcp-usc1"}`,
			``,
			`{"id":"t6","cell":"azure-weu","failover":["gcp-euw1"],"residency":"eu","state":"active"}`,
			`{"id":"t7","cell":"aws-use1","residency":"eu"}`,
			`{"id":"t8","cel":"aws-use1"}`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newDirServer(t, nil)
			path := writeLines(t, tt.file, tt.lines)
			// The line numbers of the file (CSV: the header is line 1).
			ln := func(i int) int {
				if tt.name == "csv" {
					return i + 1
				}
				return i
			}
			code, stdout, stderr := s.run(t, ctx, "import", path, "--batch", "2", "--parallel", "2")
			if code != 1 {
				t.Fatalf("exit %d, want 1 (some lines failed)\n%s\n%s", code, stdout, stderr)
			}
			if !strings.Contains(stdout, "3 added, 0 updated, 0 unchanged, 6 failed") {
				t.Fatalf("summary: %s\n%s", stdout, stderr)
			}
			errs, err := os.ReadFile(path + ".errors.csv")
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{
				fmt.Sprintf("%d,t3,invalid_entry,", ln(3)),
				fmt.Sprintf("%d,T4,bad_line,", ln(4)),
				fmt.Sprintf("%d,", ln(5)),
				fmt.Sprintf(`%d,t1,duplicate_id,"tenant ""t1"" is in the file twice (lines %d and %d)`, ln(6), ln(1), ln(6)),
				fmt.Sprintf("%d,t7,invalid_entry,", ln(9)),
				fmt.Sprintf("%d,", ln(10)),
			} {
				if !strings.Contains(string(errs), want) {
					t.Errorf("errors file lacks %q:\n%s", want, errs)
				}
			}
			if !strings.Contains(stderr, fmt.Sprintf("%s:%d: ", path, ln(3))) || !strings.Contains(stderr, "listed with their reasons in "+path+".errors.csv") {
				t.Errorf("stderr: %s", stderr)
			}
			for id, cell := range map[string]string{"t1": "aws-use1", "t2": "azure-weu", "t6": "azure-weu"} {
				if e, ok := s.entry(t, id); !ok || e.Cell != cell {
					t.Errorf("%s: %+v, %v", id, e, ok)
				}
			}
			if e, _ := s.entry(t, "t2"); e.State != fabric.TenantReadonly || len(e.Failover) != 2 {
				t.Errorf("t2: %+v", e)
			}
			if _, err := os.Stat(path + ".checkpoint"); !os.IsNotExist(err) {
				t.Errorf("the checkpoint is left after a whole import: %v", err)
			}
			// Again: nothing changes, nothing is applied twice.
			code, stdout, _ = s.run(t, ctx, "import", path, "--mode", "ifAbsent")
			if code != 1 || !strings.Contains(stdout, "0 added, 0 updated, 3 unchanged, 6 failed") {
				t.Errorf("again: %d %s", code, stdout)
			}
		})
	}
}

// failAfter lets n batch requests through, then answers every later one
// with 503 before applying anything; cancel, when set, is called instead
// (the import is interrupted).
type failAfter struct {
	mu      sync.Mutex
	n, seen int
	on      bool
	cancel  func()
}

func (f *failAfter) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		batch := strings.HasSuffix(r.URL.Path, "/batch")
		if batch && f.on {
			f.seen++
		}
		over := f.on && batch && f.seen > f.n
		cancel := f.cancel
		f.mu.Unlock()
		if over {
			if cancel != nil {
				cancel()
			}
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (f *failAfter) set(on bool, n int, cancel func()) {
	f.mu.Lock()
	f.on, f.n, f.seen, f.cancel = on, n, 0, cancel
	f.mu.Unlock()
}

// An import stopped after 4 batches (the API fails) continues, when run
// again, after the last acknowledged line: the final contents are whole
// and the counts add up to the file exactly.
func TestTenantsImportResumes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fa := &failAfter{}
	s := newDirServer(t, fa.wrap)
	lines := []string{"id,cell,failover,residency,state"}
	for i := range 95 {
		lines = append(lines, fmt.Sprintf("t%03d,aws-use1,gcp-usc1,,", i))
	}
	lines[50] = "bad id,aws-use1,,,"
	path := writeLines(t, "big.csv", lines)

	fa.set(true, 4, nil)
	code, stdout, stderr := s.run(t, ctx, "import", path, "--batch", "10", "--parallel", "1")
	if code != 1 || !strings.Contains(stderr, "stopped after line 41") || !strings.Contains(stderr, "run the same command again to continue after line 41") {
		t.Fatalf("interrupted run: %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "40 added, 0 updated, 0 unchanged, 0 failed") {
		t.Fatalf("interrupted summary: %s", stdout)
	}
	cp, ok, err := readCheckpoint(path + ".checkpoint")
	if err != nil || !ok || cp.Line != 41 || cp.Added != 40 {
		t.Fatalf("checkpoint %+v, %v, %v", cp, ok, err)
	}
	fa.set(false, 0, nil)
	code, stdout, stderr = s.run(t, ctx, "import", path, "--batch", "10", "--parallel", "3")
	if code != 1 || !strings.Contains(stderr, "continuing after line 41") {
		t.Fatalf("resumed run: %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "94 added, 0 updated, 0 unchanged, 1 failed") {
		t.Fatalf("resumed summary: %s\n%s", stdout, stderr)
	}
	// The summary (stdout, what a script keeps) says the counts include an
	// earlier run's.
	if !strings.Contains(stdout, "(resumed after line 41; the counts include the earlier run's)") {
		t.Fatalf("the resumed summary does not say it resumed: %s", stdout)
	}
	keys, _, _ := s.mem.List(ctx, directory.TenantPrefix, "", 1000)
	if len(keys) != 94 {
		t.Fatalf("%d tenants in the directory, want 94", len(keys))
	}
	errs, _ := os.ReadFile(path + ".errors.csv")
	if n := strings.Count(string(errs), "\n51,bad id,"); n != 1 {
		t.Errorf("the bad line is reported %d times:\n%s", n, errs)
	}
}

// Interrupted by a cancel with batches in flight, then run again: every
// tenant is there once, and added + unchanged covers the file (a batch in
// flight at the interruption comes back unchanged).
func TestTenantsImportCancelledAndResumed(t *testing.T) {
	t.Parallel()
	fa := &failAfter{}
	s := newDirServer(t, fa.wrap)
	var lines []string
	for i := range 200 {
		lines = append(lines, fmt.Sprintf(`{"id":"n%03d","cell":"azure-weu","residency":"eu"}`, i))
	}
	path := writeLines(t, "cancel.ndjson", lines)
	ctx, cancel := context.WithCancel(context.Background())
	fa.set(true, 6, cancel)
	code, stdout, stderr := s.run(t, ctx, "import", path, "--batch", "10", "--parallel", "4")
	if code != 1 || !strings.Contains(stderr, "context canceled") {
		t.Fatalf("cancelled run: %d\n%s\n%s", code, stdout, stderr)
	}
	fa.set(false, 0, nil)
	code, stdout, stderr = s.run(t, context.Background(), "import", path, "--batch", "10", "--parallel", "4")
	if code != 0 {
		t.Fatalf("resumed run: %d\n%s\n%s", code, stdout, stderr)
	}
	var added, updated, unchanged, failed int
	if _, err := fmt.Sscanf(stdout[strings.Index(stdout, ": ")+2:], "%d added, %d updated, %d unchanged, %d failed", &added, &updated, &unchanged, &failed); err != nil {
		t.Fatalf("summary %q: %v", stdout, err)
	}
	if added+unchanged != 200 || updated != 0 || failed != 0 {
		t.Fatalf("summary %s: added + unchanged should be 200", stdout)
	}
	keys, _, _ := s.mem.List(context.Background(), directory.TenantPrefix, "", 1000)
	if len(keys) != 200 {
		t.Fatalf("%d tenants, want 200", len(keys))
	}
}

func TestTenantsImportRefusesAChangedFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fa := &failAfter{}
	s := newDirServer(t, fa.wrap)
	var lines []string
	for i := range 30 {
		lines = append(lines, fmt.Sprintf(`{"id":"c%02d","cell":"aws-use1"}`, i))
	}
	path := writeLines(t, "c.ndjson", lines)
	fa.set(true, 1, nil)
	if code, _, _ := s.run(t, ctx, "import", path, "--batch", "10", "--parallel", "1"); code != 1 {
		t.Fatal("the interrupted run succeeded")
	}
	fa.set(false, 0, nil)
	lines[2] = `{"id":"changed","cell":"aws-use1"}`
	_ = os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	code, _, stderr := s.run(t, ctx, "import", path)
	if code != 1 || !strings.Contains(stderr, "changed before line 10") || !strings.Contains(stderr, "delete the checkpoint") {
		t.Fatalf("changed file: %d %s", code, stderr)
	}
	code, _, stderr = s.run(t, ctx, "import", path, "--mode", "ifAbsent")
	if code != 1 || !strings.Contains(stderr, "--mode upsert") {
		t.Fatalf("other mode: %d %s", code, stderr)
	}
}

func TestTenantsImportBadFiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newDirServer(t, nil)
	tests := []struct {
		name, file, content string
		args                []string
		want                string
	}{
		{name: "unknown extension", file: "t.txt", content: "x\n", want: "pass --format csv|ndjson"},
		{name: "unknown column", file: "t.csv", content: "id,cell,zone\n", want: `unknown column "zone"`},
		{name: "no cell column", file: "t.csv", content: "id,residency\n", want: `no "cell" column`},
		{name: "empty csv", file: "t.csv", content: "", want: "the CSV file is empty"},
		{name: "bad mode", file: "t.csv", content: "id,cell\n", args: []string{"--mode", "merge"}, want: `--mode "merge": use upsert or ifAbsent`},
		{name: "missing file", file: "", want: "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "missing.csv")
			if tt.file != "" {
				path = filepath.Join(t.TempDir(), tt.file)
				_ = os.WriteFile(path, []byte(tt.content), 0o644)
			}
			code, _, stderr := s.run(t, ctx, append([]string{"import", path}, tt.args...)...)
			if code == 0 || !strings.Contains(stderr, tt.want) {
				t.Fatalf("exit %d, stderr %s; want %q", code, stderr, tt.want)
			}
		})
	}
}

// export writes every entry as NDJSON; importing it elsewhere gives the
// same directory.
func TestTenantsExportRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := newDirServer(t, nil)
	for i := range 1200 {
		if _, _, err := a.dir.Put(ctx, router.Tenant{ID: fmt.Sprintf("x%04d", i), Cell: "azure-weu", Failover: []string{"gcp-euw1"}, Residency: "eu"}, directory.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "all.ndjson")
	code, _, stderr := a.run(t, ctx, "export", "--out", out)
	if code != 0 || !strings.Contains(stderr, "exported 1200 tenants") {
		t.Fatalf("export: %d %s", code, stderr)
	}
	data, _ := os.ReadFile(out)
	if n := bytes.Count(data, []byte("\n")); n != 1200 {
		t.Fatalf("%d lines", n)
	}
	var first router.Tenant
	if err := json.Unmarshal(data[:bytes.IndexByte(data, '\n')], &first); err != nil || first.ID != "x0000" || first.Epoch != 1 {
		t.Fatalf("first line %+v, %v", first, err)
	}
	b := newDirServer(t, nil)
	code, stdout, stderr := b.run(t, ctx, "import", out)
	if code != 0 || !strings.Contains(stdout, "1200 added") {
		t.Fatalf("import of the export: %d %s %s", code, stdout, stderr)
	}
	if e, _ := b.entry(t, "x1199"); e.Residency != "eu" || e.Cell != "azure-weu" {
		t.Errorf("x1199: %+v", e)
	}
}

// A batch the API answers late does not let the others run ahead of the
// checkpoint: at most 2 × --parallel batches are sent and not yet
// committed, so an interrupted import sends little again, and a server
// that serves one batch at a time and not in order (the Worker) still
// gets to the late one. Batch 0 is held until batch 3 arrives; no batch
// from 4 (= 2 × 2) on may arrive before the checkpoint covers batch 0.
func TestTenantsImportKeepsBatchesNearTheCheckpoint(t *testing.T) {
	t.Parallel()
	var lines []string
	for i := range 200 {
		lines = append(lines, fmt.Sprintf(`{"id":"w%03d","cell":"aws-use1"}`, i))
	}
	var path string
	const window = 4 // 2 × --parallel 2
	var (
		mu         sync.Mutex
		violations []string
	)
	release := make(chan struct{})
	var once sync.Once
	s := newDirServer(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasSuffix(r.URL.Path, "/batch") {
				next.ServeHTTP(w, r)
				return
			}
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			var br directory.BatchRequest
			var first router.Tenant
			if json.Unmarshal(body, &br) != nil || len(br.Entries) == 0 || json.Unmarshal(br.Entries[0], &first) != nil {
				t.Errorf("batch body %s", body)
				return
			}
			n, _ := strconv.Atoi(first.ID[1:])
			seq := n / 10
			committed := 0
			if cp, ok, _ := readCheckpoint(path + ".checkpoint"); ok {
				committed = cp.Line / 10
			}
			mu.Lock()
			if seq >= committed+window {
				violations = append(violations, fmt.Sprintf("batch %d sent with %d committed", seq, committed))
			}
			mu.Unlock()
			switch {
			case seq == 0:
				<-release
			case seq == window-1:
				once.Do(func() { close(release) })
			}
			next.ServeHTTP(w, r)
		})
	})
	path = writeLines(t, "window.ndjson", lines)
	code, stdout, stderr := s.run(t, context.Background(), "import", path, "--batch", "10", "--parallel", "2")
	if code != 0 || !strings.Contains(stdout, "200 added") {
		t.Fatalf("import: %d\n%s\n%s", code, stdout, stderr)
	}
	if len(violations) > 0 {
		t.Fatalf("batches ran ahead of the checkpoint by %d or more: %v", window, violations)
	}
}
