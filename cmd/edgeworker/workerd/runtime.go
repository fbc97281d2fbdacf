package workerd

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cellfabric/cellfabric/components/edge/bundle"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/router/edgeconf"
)

// Where the npm package puts the binary, relative to the module root; and
// the variable that overrides it.
const (
	binaryPath = "cmd/edgeworker/workerd/node_modules/@cloudflare/workerd-linux-64/bin/workerd"
	BinaryEnv  = "CELLFABRIC_WORKERD"
)

// startTimeout bounds the wait for workerd to listen.
const startTimeout = 30 * time.Second

// Options configure a Runtime.
type Options struct {
	// Bundle is the Worker to run. Required.
	Bundle bundle.Bundle
	// Config is the CONFIG binding (edgeconf.Config as JSON). Zero: the
	// binding is left out.
	Config string
	// Key is the edge key bound as EDGE_KEY (from an environment variable
	// of the workerd process, never a file) and EDGE_KEY_ID. A zero Key
	// leaves EDGE_KEY empty.
	Key edgeauth.Key
	// ControlKey is the tenant directory's control key, bound as
	// CONTROL_KEY (from an environment variable of the workerd process)
	// and CONTROL_KEY_ID. A zero ControlKey binds neither: the Worker then
	// serves no control API.
	ControlKey edgeauth.Key
	// KV serves the REGISTRY namespace. Required.
	KV *KV
	// Directory serves the DIRECTORY namespace, the tenant directory.
	// Required.
	Directory *KV
	// MemStats binds the test-only edgeconf.MemStatsBinding, so that the
	// Worker answers edgeconf.MemStatsPath (Runtime.MemStats).
	MemStats bool
	// SettleMillis, when set, binds the test-only edgeconf.SettleBinding:
	// the changes feed of the Worker's control API waits that long (0:
	// not at) instead of Workers KV's 60 s, so that a test reads its own
	// writes back from the one local KV.
	SettleMillis *int
	// Analytics, when set, is bound as edgeconf.AnalyticsBinding: workerd's
	// Analytics Engine binding, sending every data point the Worker writes
	// to this stand-in. Zero: the binding is left out.
	Analytics *Analytics
	// Log receives workerd's output. Zero: discarded.
	Log io.Writer
	// Binary is the workerd executable. Zero: Binary().
	Binary string
	// CompatibilityDate of every Worker. Zero: edgeconf.CompatibilityDate.
	CompatibilityDate string
	// ProxyTarget, when set, adds the benchmark's baseline: a plain
	// JavaScript Worker on its own socket (Runtime.ProxyURL) that passes
	// every request to this base URL.
	ProxyTarget string
}

// Runtime is a running workerd serving the edge Worker.
type Runtime struct {
	// URL is the edge Worker's address, http://127.0.0.1:<port>.
	URL string
	// ProxyURL is the baseline Worker's address (with ProxyTarget).
	ProxyURL string
	// Started is when the process was started; Listening when workerd
	// reported its sockets open (it has loaded the config and compiled the
	// Worker by then).
	Started, Listening time.Time

	control string
	cmd     *exec.Cmd
	dir     string
	exited  chan struct{}
	waitErr error
	once    sync.Once
}

// Binary returns the workerd executable: $CELLFABRIC_WORKERD, else the one
// the npm package installed under the module root.
func Binary() (string, error) {
	if p := os.Getenv(BinaryEnv); p != "" {
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, filepath.FromSlash(binaryPath))
			if _, err := os.Stat(p); err != nil {
				return "", fmt.Errorf("workerd is not installed at %s: run `make test`, or `npm ci --prefix cmd/edgeworker/workerd` once", p)
			}
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("workerd: no go.mod above the working directory; run from the cellfabric module or set " + BinaryEnv)
		}
		dir = parent
	}
}

// Start writes the config to a temporary directory, starts workerd and
// waits until it listens. Close stops it.
func Start(ctx context.Context, o Options) (*Runtime, error) {
	if o.KV == nil || o.Directory == nil || len(o.Bundle.Wasm) == 0 {
		return nil, errors.New("workerd: Options.KV, Options.Directory and Options.Bundle are required")
	}
	if o.CompatibilityDate == "" {
		o.CompatibilityDate = edgeconf.CompatibilityDate
	}
	bin := o.Binary
	if bin == "" {
		var err error
		if bin, err = Binary(); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp("", "cellfabric-workerd-")
	if err != nil {
		return nil, err
	}
	r := &Runtime{dir: dir, exited: make(chan struct{})}
	cfgPath, err := writeConfig(dir, &o)
	if err != nil {
		r.cleanup()
		return nil, err
	}
	ctlR, ctlW, err := os.Pipe()
	if err != nil {
		r.cleanup()
		return nil, err
	}
	// The control Worker's service_binding_extra_handlers flag (to call the
	// edge Worker's scheduled handler) is experimental in workerd; --verbose
	// lets the Worker's console output (its slog lines) through.
	r.cmd = exec.Command(bin, "serve", "--experimental", "--verbose", "--control-fd=3", cfgPath)
	r.cmd.Dir = dir
	r.cmd.Env = append(os.Environ(), "PWD="+dir, keyEnv+"="+string(o.Key.Secret), controlKeyEnv+"="+string(o.ControlKey.Secret))
	r.cmd.ExtraFiles = []*os.File{ctlW}
	r.cmd.Stdout, r.cmd.Stderr = o.Log, o.Log
	r.Started = time.Now()
	if err := r.cmd.Start(); err != nil {
		ctlR.Close()
		ctlW.Close()
		r.cleanup()
		return nil, fmt.Errorf("starting workerd: %w", err)
	}
	ctlW.Close()
	go func() {
		r.waitErr = r.cmd.Wait()
		close(r.exited)
	}()
	sockets := []string{"http", "control"}
	if o.ProxyTarget != "" {
		sockets = append(sockets, "proxy")
	}
	ports, err := waitListening(ctx, ctlR, r.exited, sockets)
	if err != nil {
		r.Close()
		return nil, err
	}
	r.Listening = time.Now()
	r.URL = fmt.Sprintf("http://127.0.0.1:%d", ports["http"])
	r.control = fmt.Sprintf("http://127.0.0.1:%d", ports["control"])
	if o.ProxyTarget != "" {
		r.ProxyURL = fmt.Sprintf("http://127.0.0.1:%d", ports["proxy"])
	}
	return r, nil
}

// waitListening reads workerd's control messages until every socket
// listens.
func waitListening(ctx context.Context, ctl *os.File, exited <-chan struct{}, sockets []string) (map[string]int, error) {
	type listen struct {
		Event  string `json:"event"`
		Socket string `json:"socket"`
		Port   int    `json:"port"`
	}
	got := make(chan map[string]int, 1)
	go func() {
		defer ctl.Close()
		ports := map[string]int{}
		sc := bufio.NewScanner(ctl)
		for sc.Scan() {
			var m listen
			if json.Unmarshal(sc.Bytes(), &m) == nil && m.Event == "listen" {
				ports[m.Socket] = m.Port
				all := true
				for _, name := range sockets {
					all = all && ports[name] != 0
				}
				if all {
					got <- ports
					return
				}
			}
		}
	}()
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case p := <-got:
		return p, nil
	case <-exited:
		return nil, errors.New("workerd exited before listening; see its log")
	case <-timer.C:
		return nil, fmt.Errorf("workerd did not listen within %v", startTimeout)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Scheduled fires the edge Worker's Cron Trigger and waits for its handler
// to finish. It fails when the handler failed.
func (r *Runtime) Scheduled(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.control+"/scheduled", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("firing the cron trigger: %w", err)
	}
	defer resp.Body.Close()
	var out struct {
		Outcome string `json:"outcome"`
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &out) != nil {
		return fmt.Errorf("firing the cron trigger: status %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	if out.Outcome != "ok" {
		return fmt.Errorf("the scheduled handler ended with outcome %q (see workerd's log)", out.Outcome)
	}
	return nil
}

// PID is workerd's process id (the benchmark reads its CPU time).
func (r *Runtime) PID() int { return r.cmd.Process.Pid }

// MemStats is the edge Worker isolate's memory, as it reports it at
// edgeconf.MemStatsPath after a garbage collection, and its counts.
type MemStats struct {
	// HeapInuse is the Go heap's bytes in in-use spans.
	HeapInuse uint64 `json:"heapInuse"`
	// HeapAlloc is the bytes of live heap objects.
	HeapAlloc uint64 `json:"heapAlloc"`
	// Sys is what the Go runtime took from the wasm linear memory.
	Sys uint64 `json:"sys"`
	// DirectoryEntries is the number of tenants in the directory cache.
	DirectoryEntries int `json:"directoryEntries"`
	// StalePlacements counts the cells' 421 stale_placement answers the
	// isolate met, by outcome ("retried", "no_newer_placement", ...).
	StalePlacements map[string]uint64 `json:"stalePlacements"`
	// Paths counts the routed requests by the path they took: "fast" (the
	// shim passed the cell's response on), "resumed" (the fast path handed
	// over to Go: a retry, a 421, a failed fetch), "slow".
	Paths map[string]uint64 `json:"paths"`
	// FastPending is the number of fast-path requests the Worker still
	// holds state for: 0 once every request has ended.
	FastPending int `json:"fastPending"`
	// GoStart says where the isolate started the Go program: "global
	// scope" while the script's global scope ran (the isolate's start,
	// before any event), "event" in its first event.
	GoStart string `json:"goStart"`
}

// MemStats asks the Worker for its memory figures; the runtime must have
// been started with Options.MemStats.
func (r *Runtime) MemStats(ctx context.Context) (MemStats, error) {
	var m MemStats
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL+edgeconf.MemStatsPath, nil)
	if err != nil {
		return m, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return m, fmt.Errorf("reading the Worker's memory figures: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return m, fmt.Errorf("reading the Worker's memory figures: status %d (was the runtime started with Options.MemStats?): %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return m, fmt.Errorf("reading the Worker's memory figures: %w", err)
	}
	return m, nil
}

// RSS returns the workerd process's resident set size in bytes (VmRSS in
// /proc/<pid>/status; Linux only).
func (r *Runtime) RSS() (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", r.PID()))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("VmRSS %q: %w", v, err)
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("no VmRSS in /proc status")
}

// Close stops workerd and removes its files.
func (r *Runtime) Close() error {
	r.once.Do(func() {
		if r.cmd != nil && r.cmd.Process != nil {
			_ = r.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-r.exited:
			case <-time.After(5 * time.Second):
				_ = r.cmd.Process.Kill()
				<-r.exited
			}
		}
		r.cleanup()
	})
	return nil
}

func (r *Runtime) cleanup() { _ = os.RemoveAll(r.dir) }
