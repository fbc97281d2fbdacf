package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/internal/proc"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/workload/state/contract"
	"github.com/cellfabric/cellfabric/workload/state/dynamo"
	"github.com/cellfabric/cellfabric/workload/state/emulator"
)

// processStart bounds the wait for a cellfabric process to answer.
const processStart = 2 * time.Minute

// TestCellfabricProcesses runs the cellfabric binary, built once here, as
// separate OS processes: what no in-process test can show.
func TestCellfabricProcesses(t *testing.T) {
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build cellfabric: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "cellfabric")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Run("TwoCellsOneStore", func(t *testing.T) { t.Parallel(); twoCellsOneStore(t, bin) })
	t.Run("EmbeddedStoreIsNotShared", func(t *testing.T) { t.Parallel(); embeddedNotShared(t, bin) })
	t.Run("LocalStopsItsEmulatorOnSIGINT", func(t *testing.T) { t.Parallel(); localSIGINT(t, bin) })
}

// cellProcess is one `cellfabric cell` process.
type cellProcess struct {
	base string // http://127.0.0.1:port
	p    *proc.Process
	out  *lockedBuffer
}

// listeningRe finds the address `cellfabric cell` prints once it listens.
var listeningRe = regexp.MustCompile(`listening on (http://127\.0\.0\.1:[0-9]+)`)

// startCellProcess starts `cellfabric cell` with exactly env (nothing of
// the test's own environment) on a free loopback port, and waits until its
// /healthz answers 200.
func startCellProcess(t *testing.T, bin string, env map[string]string) *cellProcess {
	t.Helper()
	cmd := exec.Command(bin, "cell", "--listen", "127.0.0.1:0", "--log-format", "text")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	c := &cellProcess{out: &lockedBuffer{}}
	cmd.Stdout, cmd.Stderr = c.out, c.out
	p, err := proc.Start(cmd, func() error {
		m := listeningRe.FindStringSubmatch(c.out.String())
		if m == nil {
			return fmt.Errorf("not listening yet")
		}
		resp, err := http.Get(m[1] + "/healthz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("healthz: %s", resp.Status)
		}
		c.base = m[1]
		return nil
	}, processStart)
	if err != nil {
		t.Fatalf("cellfabric cell: %v\n%s", err, c.out.String())
	}
	c.p = p
	t.Cleanup(func() { p.Stop(syscall.SIGTERM, 15*time.Second) })
	return c
}

// call sends a signed key/value request for tenant and returns the
// status, the ETag and the body.
func (c *cellProcess) call(t *testing.T, s *edgeauth.Signer, method, tenant, key, body string, header ...string) (int, string, string) {
	t.Helper()
	code, h, b := cellCallHeader(t, s, method, c.base+"/kv/"+key, tenant, body, header...)
	return code, h.Get("ETag"), b
}

// cellCallHeader is cellCall with extra request headers (name, value, ...).
func cellCallHeader(t *testing.T, s *edgeauth.Signer, method, url, tenant, body string, header ...string) (int, http.Header, string) {
	t.Helper()
	req := newRequest(t, method, url, body)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	s.SignRequest(req, tenant)
	return do(t, req)
}

// newRequest is a request with body ("" for none).
func newRequest(t *testing.T, method, url, body string) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// do sends req and returns the status, the header and the body.
func do(t *testing.T, req *http.Request) (int, http.Header, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// twoCellsOneStore: two `cellfabric cell` processes with the same
// CELLFABRIC_STATE_* environment — two instances of one cell behind a load
// balancer — over one DynamoDB table (dynalite): a write through one is
// read through the other, a write through the second with the ETag the
// first has replaced is refused with 412, and when both write one key on
// the same ETag at once, exactly one wins each round.
func twoCellsOneStore(t *testing.T, bin string) {
	emu, err := emulator.Start(contract.DynamoDB, emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Stop)
	const table, region = "cellfabric-two-processes", "us-east-1"
	env := map[string]string{
		cell.EnvCellID: "aws-use1", cell.EnvCloud: "aws", cell.EnvRegion: region,
		cell.EnvEdgeKey: cellTestSecret, cell.EnvEdgeKeyID: "k3",
		contract.EnvKind: string(contract.DynamoDB), contract.EnvStore: table, contract.EnvEndpoint: emu.Endpoint(),
		// The SDK's default credential chain, from the environment only:
		// dynalite checks that requests are signed, not by whom.
		"AWS_ACCESS_KEY_ID": "AKIDTWOPROCESSES", "AWS_SECRET_ACCESS_KEY": "two-processes-not-a-secret",
		"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_EC2_METADATA_DISABLED": "true",
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := dynamo.EnsureTable(ctx, dynamo.Options{Table: table, Region: region, Endpoint: emu.Endpoint(), Credentials: localDynamoCredentials}); err != nil {
		t.Fatal(err)
	}
	a, b := startCellProcess(t, bin, env), startCellProcess(t, bin, env)
	if a.p.Pid() == b.p.Pid() || a.base == b.base {
		t.Fatalf("one process, not two: %d %s, %d %s", a.p.Pid(), a.base, b.p.Pid(), b.base)
	}
	signer, err := edgeauth.NewSigner(edgeauth.Key{ID: "k3", Secret: []byte(cellTestSecret)}, nil)
	if err != nil {
		t.Fatal(err)
	}

	code, first, body := a.call(t, signer, "PUT", "acme", "plan", "gold")
	if code != http.StatusCreated || first == "" {
		t.Fatalf("PUT through the first: %d %q %s", code, first, body)
	}
	if code, etag, body := b.call(t, signer, "GET", "acme", "plan", ""); code != 200 || body != "gold" || etag != first {
		t.Fatalf("GET through the second: %d %q ETag %s; want gold at %s", code, body, etag, first)
	}
	if code, _, body := b.call(t, signer, "GET", "initech", "plan", ""); code != http.StatusNotFound {
		t.Errorf("another tenant reads acme's key through the second: %d %s", code, body)
	}
	code, second, body := a.call(t, signer, "PUT", "acme", "plan", "platinum")
	if code != 200 || second == first {
		t.Fatalf("second PUT through the first: %d %q %s", code, second, body)
	}
	if code, _, body := b.call(t, signer, "PUT", "acme", "plan", "tin", "If-Match", first); code != http.StatusPreconditionFailed {
		t.Fatalf("PUT through the second with the stale ETag %s: %d %s, want 412", first, code, body)
	}
	if code, etag, body := b.call(t, signer, "GET", "acme", "plan", ""); code != 200 || body != "platinum" || etag != second {
		t.Fatalf("after the refused write: %d %q ETag %s; want platinum at %s", code, body, etag, second)
	}

	// Races: both processes write one key on the ETag they both read.
	const rounds = 20
	cur := second
	for r := range rounds {
		type result struct {
			code       int
			etag, body string
		}
		var results [2]result
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, c := range []*cellProcess{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				code, etag, body := c.call(t, signer, "PUT", "acme", "plan", fmt.Sprintf("round %d from %d", r, i), "If-Match", cur)
				results[i] = result{code, etag, body}
			}()
		}
		close(start)
		wg.Wait()
		winners := 0
		var want string
		for i, res := range results {
			switch res.code {
			case http.StatusOK:
				winners++
				want, cur = fmt.Sprintf("round %d from %d", r, i), res.etag
			case http.StatusPreconditionFailed:
			default:
				t.Fatalf("round %d, process %d: %d %s, want 200 or 412", r, i, res.code, res.body)
			}
		}
		if winners != 1 {
			t.Fatalf("round %d: %d writes won (%+v), want exactly one", r, winners, results)
		}
		for i, c := range []*cellProcess{a, b} {
			if code, etag, body := c.call(t, signer, "GET", "acme", "plan", ""); code != 200 || body != want || etag != cur {
				t.Fatalf("round %d: process %d reads %d %q at %s, want the winner's %q at %s", r, i, code, body, etag, want, cur)
			}
		}
	}
}

// embeddedNotShared: the embedded store's log is one process's: a second
// `cellfabric cell` over the same data directory refuses to start, so two
// instances of a cell can share data only through a cloud store.
func embeddedNotShared(t *testing.T, bin string) {
	env := cellEnv()
	env[contract.EnvDataDir] = t.TempDir()
	startCellProcess(t, bin, env)
	cmd := exec.Command(bin, "cell", "--listen", "127.0.0.1:0")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(string(out), "is in use by another store") {
		t.Fatalf("a second cell over the same data directory: %v\n%s\nwant exit 1 saying the directory is in use", err, out)
	}
}

// localSIGINT: `cellfabric local --store azuretable --data-dir D` stopped
// with SIGINT (Ctrl-C) stops its emulator — nothing answers on its port
// any more — after the emulator saved what the cells wrote: local started
// again on D reads it back.
func localSIGINT(t *testing.T, bin string) {
	dir := t.TempDir()
	run := func() (*proc.Process, *lockedBuffer, string, string) {
		t.Helper()
		cmd := exec.Command(bin, "local", "--dir", "../..", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
			"--store", "azuretable", "--data-dir", dir)
		out := &lockedBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		var router, store string
		banner := regexp.MustCompile(`router +(http://\S+) [\s\S]*store +azuretable on azurite at http://(\S+?)/`)
		p, err := proc.Start(cmd, func() error {
			m := banner.FindStringSubmatch(out.String())
			if m == nil {
				return fmt.Errorf("no banner yet")
			}
			router, store = m[1], m[2]
			return nil
		}, processStart)
		if err != nil {
			t.Fatalf("cellfabric local: %v\n%s", err, out.String())
		}
		t.Cleanup(p.Kill)
		return p, out, router, store
	}
	kv := func(method, router, body string) (int, string) {
		t.Helper()
		req := newRequest(t, method, router+"/kv/plan", body)
		req.Header.Set("X-Tenant-ID", "acme")
		code, _, b := do(t, req)
		return code, b
	}

	p, out, router, store := run()
	if code, body := kv("PUT", router, "gold"); code != http.StatusCreated {
		t.Fatalf("PUT: %d %s", code, body)
	}
	if err := p.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	case <-time.After(time.Minute):
		t.Fatalf("local did not stop on SIGINT:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "cellfabric local: stopped") {
		t.Errorf("local did not stop cleanly:\n%s", out.String())
	}
	if c, err := net.DialTimeout("tcp", store, time.Second); err == nil {
		c.Close()
		t.Fatalf("azurite still answers on %s after local stopped on SIGINT", store)
	}

	_, _, router, _ = run()
	if code, body := kv("GET", router, ""); code != 200 || body != "gold" {
		t.Fatalf("after SIGINT and a restart: %d %q, want gold", code, body)
	}
}
