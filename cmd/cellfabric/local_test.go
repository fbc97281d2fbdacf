package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/recorder"
	"github.com/cellfabric/cellfabric/infra/program"
	"github.com/cellfabric/cellfabric/internal/testkit"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/stacks"
)

// localRun is `cellfabric local` running in-process.
type localRun struct {
	proxy, admin   string
	stdout, stderr *lockedBuffer
	stdin          *io.PipeWriter
	done           chan int
	cancel         context.CancelFunc
}

func startLocal(t *testing.T, args ...string) *localRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	lr := &localRun{stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, stdin: pw, done: make(chan int, 1), cancel: cancel}
	stderr := lr.stderr
	args = append([]string{"--dir", "../..", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--control", "127.0.0.1:0", "--control-key", filepath.Join(t.TempDir(), "control.key")}, args...)
	go func() { lr.done <- localMain(ctx, args, pr, lr.stdout, stderr) }()
	t.Cleanup(func() {
		cancel()
		pw.Close()
		select {
		case <-lr.done:
		case <-time.After(15 * time.Second):
			t.Error("local did not stop")
		}
	})
	re := regexp.MustCompile(`router +http://(\S+) .*\n +admin +http://(\S+) `)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if m := re.FindStringSubmatch(lr.stdout.String()); m != nil {
			lr.proxy, lr.admin = "http://"+m[1], "http://"+m[2]
			return lr
		}
		select {
		case code := <-lr.done:
			lr.done <- code
			t.Fatalf("local exited with %d: %s %s", code, lr.stdout.String(), stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("local did not start: %q %q", lr.stdout.String(), stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop stops local as a signal would (its context is done) and returns
// its exit status once it has returned.
func (lr *localRun) stop(t *testing.T) int {
	t.Helper()
	lr.cancel()
	select {
	case code := <-lr.done:
		lr.done <- code
		return code
	case <-time.After(30 * time.Second):
		t.Fatal("local did not stop")
		return -1
	}
}

// answeredBy sends a request for tenant through the router and returns the
// X-Cell-ID of the answer and the cell the echo names.
func (lr *localRun) answeredBy(t *testing.T, tenant string) (header, echoed string) {
	t.Helper()
	req, _ := http.NewRequest("GET", lr.proxy+"/", nil)
	req.Header.Set("X-Tenant-ID", tenant)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var echo struct{ Cell, Tenant string }
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return "status " + resp.Status, string(body)
	}
	if err := json.Unmarshal(body, &echo); err != nil || echo.Tenant != tenant {
		t.Fatalf("echo for %s: %s", tenant, body)
	}
	return resp.Header.Get("X-Cell-ID"), echo.Cell
}

// eventually polls until the tenant is answered by want.
func (lr *localRun) eventually(t *testing.T, tenant, want string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		h, e := lr.answeredBy(t, tenant)
		if h == want && e == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("tenant %s still answered by %s (echo %s), want %s", tenant, h, e, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (lr *localRun) post(t *testing.T, path string) int {
	t.Helper()
	resp, err := http.Post(lr.admin+path, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (lr *localRun) cellStates(t *testing.T) map[string]cellState {
	t.Helper()
	resp, err := http.Get(lr.admin + "/local/cells")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list []cellState
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	out := map[string]cellState{}
	for _, c := range list {
		out[c.ID] = c
	}
	return out
}

// TestLocalFailover is the acceptance sequence of `cellfabric local --stack
// dev`: acme is answered by aws-use1; with aws-use1 stopped, by its failover
// gcp-usc1; with aws-use1 started again, by aws-use1 again. Then the same
// with stdin commands for globex, and quit.
func TestLocalFailover(t *testing.T) {
	t.Parallel()
	lr := startLocal(t, "--stack", "dev", "--health-interval", "100ms")
	if h, e := lr.answeredBy(t, "acme"); h != "aws-use1" || e != "aws-use1" {
		t.Fatalf("acme answered by %s (echo %s), want aws-use1", h, e)
	}
	if !strings.Contains(lr.stdout.String(), "acme      aws-use1   gcp-usc1") {
		t.Errorf("the routing table is missing acme → aws-use1 → gcp-usc1:\n%s", lr.stdout.String())
	}

	if code := lr.post(t, "/local/cells/aws-use1/stop"); code != 200 {
		t.Fatalf("stop: %d", code)
	}
	// At once: the router's connection to aws-use1 is refused and the
	// request is retried on the failover cell.
	for range 3 {
		if h, e := lr.answeredBy(t, "acme"); h != "gcp-usc1" || e != "gcp-usc1" {
			t.Fatalf("acme with aws-use1 stopped answered by %s (echo %s), want gcp-usc1", h, e)
		}
	}
	// The health checks notice too.
	deadline := time.Now().Add(10 * time.Second)
	for st := lr.cellStates(t)["aws-use1"]; st.Running || st.Healthy; st = lr.cellStates(t)["aws-use1"] {
		if time.Now().After(deadline) {
			t.Fatalf("aws-use1 still %+v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code := lr.post(t, "/local/cells/aws-use1/start"); code != 200 {
		t.Fatalf("start: %d", code)
	}
	lr.eventually(t, "acme", "aws-use1", 20*time.Second)

	// The same through stdin, for globex (gcp-usc1, failover aws-use1).
	lr.eventually(t, "globex", "gcp-usc1", 5*time.Second)
	io.WriteString(lr.stdin, "down gcp-usc1\n")
	lr.eventually(t, "globex", "aws-use1", 5*time.Second)
	io.WriteString(lr.stdin, "bogus\ntable\n")
	waitFor(t, lr.stdout, regexp.MustCompile(`unknown command "bogus"`))
	waitFor(t, lr.stdout, regexp.MustCompile(`gcp-usc1 +gcp +us-central1 +http://\S+ +stopped`))
	io.WriteString(lr.stdin, "up gcp-usc1\n")
	lr.eventually(t, "globex", "gcp-usc1", 20*time.Second)
	io.WriteString(lr.stdin, "quit\n")
	select {
	case code := <-lr.done:
		lr.done <- code
		if code != 0 {
			t.Errorf("quit: exit %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("quit did not stop local")
	}
}

func waitFor(t *testing.T, buf *lockedBuffer, re *regexp.Regexp) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !re.MatchString(buf.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("output never matched %s:\n%s", re, buf.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLocalCellsAreProtected: the local cells accept only the router's
// signature, and the admin endpoints refuse unknown cells and actions.
func TestLocalCellsAreProtected(t *testing.T) {
	t.Parallel()
	lr := startLocal(t)
	cells := lr.cellStates(t)
	if len(cells) != 4 {
		t.Fatalf("%d local cells, want the dev stack's 4", len(cells))
	}
	for id, c := range cells {
		if !strings.HasPrefix(c.Endpoint, "http://127.0.0.1:") || !c.Running {
			t.Errorf("cell %s: %+v, want a running loopback cell", id, c)
		}
	}
	resp, err := http.Get(cells["aws-use1"].Endpoint + "/anything")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unsigned request straight to a cell: %d, want 401", resp.StatusCode)
	}
	guess, _ := edgeauth.NewSigner(edgeauth.Key{ID: "k1", Secret: []byte("not-the-random-local-edge-key!!")}, nil)
	req, _ := http.NewRequest("GET", cells["aws-use1"].Endpoint+"/anything", nil)
	guess.SignRequest(req, "acme")
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("request signed with a guessed key: %d, want 401", resp.StatusCode)
	}
	for path, want := range map[string]int{
		"/local/cells/nope/stop":     404,
		"/local/cells/aws-use1/melt": 404,
		"/admin/cells/aws-use1/auto": 200, // the router's admin writes are on in local mode
	} {
		if got := lr.post(t, path); got != want {
			t.Errorf("POST %s: %d, want %d", path, got, want)
		}
	}
	if h, _ := lr.answeredBy(t, "nobody"); !strings.Contains(h, "404") {
		t.Errorf("unknown tenant: %s, want 404", h)
	}
}

// TestLocalLogsAdminAddress: the logs name the admin listener local serves
// on, not an empty one.
func TestLocalLogsAdminAddress(t *testing.T) {
	t.Parallel()
	lr := startLocal(t, "--stack", "dev")
	admin := strings.TrimPrefix(lr.admin, "http://")
	waitFor(t, lr.stderr, regexp.MustCompile(`msg="router listening"`))
	waitFor(t, lr.stderr, regexp.MustCompile(`admin=`+regexp.QuoteMeta(admin)+`\b`))
	if strings.Contains(lr.stderr.String(), `admin=""`) {
		t.Errorf("a log line shows an empty admin address:\n%s", lr.stderr.String())
	}
}

func TestLocalRefusesBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown stack", []string{"--stack", "nope", "--dir", "../.."}, 1, "Pulumi.nope.yaml"},
		{"stray argument", []string{"extra"}, 2, "usage"},
		{"bad flag", []string{"--nope"}, 2, "flag provided but not defined"},
		{"unknown store", []string{"--store", "redis"}, 2, "want embedded, dynamodb, azuretable, firestore"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr lockedBuffer
			code := localMain(context.Background(), tt.args, nil, &stdout, &stderr)
			if code != tt.code || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want %d with %q", code, stderr.String(), tt.code, tt.want)
			}
		})
	}
}

// TestLocalOutputsFileBuildsTheServedRegistry: the outputs.json local mode
// writes is what `cellfabric registry --from` reads, and builds the very
// registry local mode serves; its routing is the program's routing output
// for the same topology.
func TestLocalOutputsFileBuildsTheServedRegistry(t *testing.T) {
	t.Parallel()
	sf, err := stacks.ReadStackFile("../../Pulumi.dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var exports pulumi.Map
	err = recorder.New().Run(recorder.Options{Project: sf.Project, Stack: sf.Stack, Config: sf.Config, SecretKeys: sf.Secrets}, func(ctx *pulumi.Context) error {
		var err error
		exports, err = program.RunWith(ctx, program.Options{Worker: program.PlaceholderWorker})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	aw, err := recorder.Await(exports[program.OutputRouting].(pulumi.Map).ToMapOutput())
	if err != nil {
		t.Fatal(err)
	}
	var fromProgram any
	roundTrip(t, aw.Value, &fromProgram)

	topo, err := sf.Topology()
	if err != nil {
		t.Fatal(err)
	}
	cells := make([]*localCell, len(topo.Cells))
	for i := range cells {
		cells[i] = &localCell{addr: fmt.Sprintf("127.0.0.1:%d", 10001+i)}
	}
	out := localOutputs(topo, cells)
	doc, err := localOutputsJSON(out)
	if err != nil {
		t.Fatal(err)
	}
	var file struct{ Routing any }
	if err := json.Unmarshal(doc, &file); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(file.Routing, fromProgram) {
		a, _ := json.Marshal(file.Routing)
		b, _ := json.Marshal(fromProgram)
		t.Errorf("outputs.json routing differs from the program's routing output:\nfile    %s\nprogram %s", a, b)
	}
	served, err := localRegistry(out, 7)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := router.ParseStackOutputs(doc)
	if err != nil {
		t.Fatal(err)
	}
	fromFile, err := router.FromStackOutputs(parsed, 7)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := served.Encode()
	b, _ := fromFile.Encode()
	if string(a) != string(b) {
		t.Errorf("the registry from outputs.json differs from the one served:\n%s", testkit.FirstDiff(string(a), string(b)))
	}
}

func roundTrip(t *testing.T, in, out any) {
	t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
}
