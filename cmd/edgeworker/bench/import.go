package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cellfabric/cellfabric/cmd/edgeworker/workerd"
	"github.com/cellfabric/cellfabric/components/edge/bundle"
	ctl "github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
)

// The tenant import benchmark (issue 12's target: 1M tenants through the
// control API in workerd in 10 minutes, resumable): the real `cellfabric
// tenants import`, built from this module and run as its own process,
// against the Worker's control API in workerd over the DIRECTORY
// namespace. It reports the wall time, tenants per second, the KV
// operations the Worker made, the CPU time of workerd and of the importer,
// and the batch size the Worker took. Then, unless -resume=false, the same
// import into a fresh directory is killed part-way and run again with its
// checkpoint, and the directory is checked: every tenant once, on its
// cell, at epoch 1 (written once), one journal record each.

// importControlKey is the benchmark's control key.
var importControlKey = edgeauth.Key{ID: "c1", Secret: []byte("benchmark-control-secret-0123456789")}

// importCells are the benchmark registry's cells: two geographies, so that
// some tenants carry a residency.
var importCells = []struct{ id, cloud, geo string }{
	{"aws-use1", "aws", "us"},
	{"gcp-usc1", "gcp", "us"},
	{"azure-weu", "azure", "eu"},
	{"gcp-euw1", "gcp", "eu"},
}

// importOptions configure the import benchmark.
type importOptions struct {
	n        int    // tenants
	parallel int    // the importer's --parallel; 0: its default
	batch    int    // the importer's --batch; 0: its default
	resume   bool   // run the interrupted-and-resumed import too
	signal   string // how the importer is interrupted: kill or int
	at       float64
	work     string // directory for the input, checkpoint and binary
}

// importTenant is the i-th tenant of the benchmark: a 12-character id
// (the index scrambled, so that keys do not arrive in order), a cell by
// the index, a failover in the same geography, and for every third tenant
// its geography as residency.
func importTenant(i int) router.Tenant {
	// An odd multiplier is a bijection modulo 36^11: distinct ids.
	const space = 131621703842267136 // 36^11
	x := (uint64(i)*0x9E3779B97F4A7C15 + 12345) % space
	id := "t" + fmt.Sprintf("%011s", strconv.FormatUint(x, 36))
	c := importCells[i%len(importCells)]
	f := importCells[i%len(importCells)^1]
	t := router.Tenant{ID: id, Cell: c.id, Failover: []string{f.id}}
	if i%3 == 0 {
		t.Residency = c.geo
	}
	return t
}

// writeImportCSV writes n tenants as the importer's CSV.
func writeImportCSV(path string, n int) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "id,cell,failover,residency,state")
	for i := range n {
		t := importTenant(i)
		fmt.Fprintf(w, "%s,%s,%s,%s,\n", t.ID, t.Cell, strings.Join(t.Failover, ";"), t.Residency)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return 0, err
	}
	return st.Size(), f.Close()
}

// importRegistry is the registry of the benchmark's cells (policy reject).
func importRegistry(cellURL string) ([]byte, error) {
	reg := router.Registry{Version: router.SchemaVersion, Epoch: 1}
	for _, c := range importCells {
		reg.Cells = append(reg.Cells, router.Cell{ID: c.id, Cloud: fabric.Cloud(c.cloud), Region: "local", Geo: c.geo, Endpoint: cellURL, Weight: 100})
	}
	if err := reg.Validate(); err != nil {
		return nil, fmt.Errorf("benchmark registry: %w", err)
	}
	return json.Marshal(reg)
}

// buildCellfabric builds the cellfabric command into dir.
func buildCellfabric(dir string) (string, error) {
	bin := filepath.Join(dir, "cellfabric")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/cellfabric")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building cellfabric (run the benchmark from the module root): %w", err)
	}
	return bin, nil
}

// importEnv is a workerd serving the Worker with the control key, over an
// empty directory.
type importEnv struct {
	rt       *workerd.Runtime
	kv, dir  *workerd.KV
	bin, csv string
}

func startImportEnv(ctx context.Context, b bundle.Bundle, reg []byte) (*importEnv, error) {
	kv, err := workerd.NewKV()
	if err != nil {
		return nil, err
	}
	kv.Set("registry", reg)
	dir, err := workerd.NewKV()
	if err != nil {
		kv.Close()
		return nil, err
	}
	rt, err := workerd.Start(ctx, workerd.Options{Bundle: b, Config: `{"cacheSeconds":30}`, Key: key, ControlKey: importControlKey, KV: kv, Directory: dir})
	if err != nil {
		kv.Close()
		dir.Close()
		return nil, err
	}
	return &importEnv{rt: rt, kv: kv, dir: dir}, nil
}

func (e *importEnv) Close() {
	e.rt.Close()
	e.kv.Close()
	e.dir.Close()
}

// importRun is one run of the importer and what it cost.
type importRun struct {
	wall                    time.Duration
	workerdCPU, importerCPU time.Duration
	benchCPU                time.Duration // this process: the loopback KV
	kvOps                   int
	batches                 int        // batches the Worker applied: writes of one cell's counter
	load                    [2]float64 // 1-minute load average at the start, highest seen
	stdout, stderr          string
	exit                    int
	interrupted             bool
}

// runImporter runs `cellfabric tenants import` on the CSV against the
// Worker. With stopAt > 0 it interrupts the importer (sig) once the
// checkpoint covers that share of the file.
func (e *importEnv) runImporter(o importOptions, size int64, stopAt float64, sig syscall.Signal) (importRun, error) {
	args := []string{"tenants", "import", e.csv, "--api", e.rt.URL}
	if o.parallel > 0 {
		args = append(args, "--parallel", strconv.Itoa(o.parallel))
	}
	if o.batch > 0 {
		args = append(args, "--batch", strconv.Itoa(o.batch))
	}
	cmd := exec.Command(e.bin, args...)
	cmd.Env = append(os.Environ(), "CELLFABRIC_CONTROL_KEY="+importControlKey.ID+"="+string(importControlKey.Secret))
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	var run importRun
	run.load[0] = loadAvg()
	run.load[1] = run.load[0]
	counter := ctl.CounterKey(importCells[0].id) // every batch of 4 or more changes it
	ops0, wcpu0, bcpu0, b0 := e.dir.Ops(), cpuNS(e.rt.PID()), cpuNS(os.Getpid()), e.dir.Writes(counter)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return run, err
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // sample the load; interrupt when asked
		defer wg.Done()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			run.load[1] = max(run.load[1], loadAvg())
			if stopAt > 0 && !run.interrupted {
				if cp, ok := readCheckpointOffset(e.csv + ".checkpoint"); ok && float64(cp) >= stopAt*float64(size) {
					_ = cmd.Process.Signal(sig)
					run.interrupted = true
				}
			}
		}
	}()
	err := cmd.Wait()
	run.wall = time.Since(start)
	close(done)
	wg.Wait()
	run.kvOps = e.dir.Ops() - ops0
	run.batches = e.dir.Writes(counter) - b0
	run.workerdCPU = time.Duration(cpuNS(e.rt.PID()) - wcpu0)
	run.benchCPU = time.Duration(cpuNS(os.Getpid()) - bcpu0)
	if ps := cmd.ProcessState; ps != nil {
		run.importerCPU = ps.UserTime() + ps.SystemTime()
		run.exit = ps.ExitCode()
	}
	run.stdout, run.stderr = stdout.String(), stderr.String()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return run, err
	}
	if !run.interrupted && run.exit != 0 {
		return run, fmt.Errorf("the import failed (exit %d):\n%s%s", run.exit, run.stdout, tail(run.stderr, 2000))
	}
	return run, nil
}

// readCheckpointOffset reads the input offset an import checkpoint covers.
func readCheckpointOffset(path string) (int64, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	var cp struct {
		Offset int64 `json:"offset"`
	}
	if json.Unmarshal(data, &cp) != nil {
		return 0, false
	}
	return cp.Offset, true
}

// loadAvg is the 1-minute load average.
func loadAvg() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// checkDirectory checks that the directory holds the n tenants, each once
// (epoch 1: written once, one journal record), on its cell.
func checkDirectory(dir *workerd.KV, n int) error {
	keys := dir.Keys(ctl.TenantPrefix)
	if len(keys) != n {
		return fmt.Errorf("the directory holds %d tenants, want %d", len(keys), n)
	}
	journal := map[string]int{}
	for _, k := range dir.Keys(ctl.JournalPrefix) {
		journal[k[strings.LastIndexByte(k, '-')+1:]]++
	}
	for i := range n {
		want := importTenant(i)
		data, ok := dir.Get(ctl.TenantKey(want.ID))
		if !ok {
			return fmt.Errorf("tenant %s (line %d) is not in the directory", want.ID, i+2)
		}
		var got router.Tenant
		if err := json.Unmarshal(data, &got); err != nil {
			return fmt.Errorf("tenant %s: %w", want.ID, err)
		}
		if got.Cell != want.Cell || got.Residency != want.Residency || strings.Join(got.Failover, ",") != strings.Join(want.Failover, ",") || got.Epoch != 1 {
			return fmt.Errorf("tenant %s is %+v, want %+v at epoch 1", want.ID, got, want)
		}
		if journal[want.ID] != 1 {
			return fmt.Errorf("tenant %s has %d journal records, want 1 (written once)", want.ID, journal[want.ID])
		}
	}
	return nil
}

// runImport builds what it needs and runs the import benchmark.
func runImport(o importOptions) error {
	ctx := context.Background()
	b, err := bundle.Build(ctx, "")
	if err != nil {
		return err
	}
	cellURL, stop, err := startCell()
	if err != nil {
		return err
	}
	defer stop()
	reg, err := importRegistry(cellURL)
	if err != nil {
		return err
	}
	if o.work == "" {
		if o.work, err = os.MkdirTemp("", "cellfabric-import-bench-"); err != nil {
			return err
		}
		defer os.RemoveAll(o.work)
	}
	bin, err := buildCellfabric(o.work)
	if err != nil {
		return err
	}
	csvPath := filepath.Join(o.work, fmt.Sprintf("tenants-%d.csv", o.n))
	size, err := writeImportCSV(csvPath, o.n)
	if err != nil {
		return err
	}
	fmt.Printf("## Tenant import through the Worker\n\nworkerd %s, %s, %d cores; %d tenants (%d cells, a third with residency), %.1f MiB of CSV; importer --parallel %s --batch %s.\n\n",
		workerdVersion(), runtime.Version(), runtime.NumCPU(), o.n, len(importCells), float64(size)/(1<<20), orDefault(o.parallel), orDefault(o.batch))

	env, err := startImportEnv(ctx, b, reg)
	if err != nil {
		return err
	}
	env.bin, env.csv = bin, csvPath
	run, err := env.runImporter(o, size, 0, 0)
	if err == nil {
		err = checkDirectory(env.dir, o.n)
	}
	env.Close()
	if err != nil {
		return err
	}
	fmt.Printf("### Whole import\n\n")
	printImportRun(run, o.n, true)
	fmt.Printf("Summary: `%s`\n\n", strings.TrimSpace(run.stdout))
	fmt.Printf("Checked: %d `t/` keys, each on its cell at epoch 1 with one journal record.\n\n", o.n)
	if !o.resume {
		return nil
	}
	return resumeRun(ctx, b, reg, o, bin, csvPath, size)
}

// resumeRun imports into a fresh directory, interrupts the importer
// part-way, runs it again and checks the directory.
func resumeRun(ctx context.Context, b bundle.Bundle, reg []byte, o importOptions, bin, csvPath string, size int64) error {
	sig := syscall.SIGKILL
	if o.signal == "int" {
		sig = syscall.SIGINT
	}
	env, err := startImportEnv(ctx, b, reg)
	if err != nil {
		return err
	}
	defer env.Close()
	env.bin, env.csv = bin, csvPath
	// The importer keeps up to 2 × --parallel batches ahead of its
	// checkpoint (8,000 tenants with its defaults): below 100k tenants,
	// smaller batches, so that the kill lands part-way.
	if o.batch == 0 && o.n < 100*ctl.MaxBatch {
		o.batch = max(1, o.n/100)
	}
	first, err := env.runImporter(o, size, o.at, sig)
	if err != nil {
		return err
	}
	if !first.interrupted {
		return fmt.Errorf("the import ended before it was interrupted at %.0f%%: use more tenants", o.at*100)
	}
	cpOff, _ := readCheckpointOffset(csvPath + ".checkpoint")
	stored := len(env.dir.Keys(ctl.TenantPrefix))
	second, err := env.runImporter(o, size, 0, 0)
	if err != nil {
		return err
	}
	if !strings.Contains(second.stderr, "continuing after line") || !strings.Contains(second.stdout, "resumed") {
		return fmt.Errorf("the second run did not say it resumed:\n%s%s", second.stdout, tail(second.stderr, 2000))
	}
	if err := checkDirectory(env.dir, o.n); err != nil {
		return fmt.Errorf("after the resumed import: %w", err)
	}
	if _, err := os.Stat(csvPath + ".checkpoint"); !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("the checkpoint is still there after the resumed import finished: %v", err)
	}
	fmt.Printf("### Interrupted (SIG%s once the checkpoint covered %.0f%% of the file) and run again, --batch %s\n\n", strings.ToUpper(o.signal), o.at*100, orDefault(o.batch))
	fmt.Printf("First run: stopped after %v (exit %d); the checkpoint covered %d of %d bytes; %d tenants were in the directory just after the kill (batches after the checkpoint, and the Worker finishes a batch under way).\n\n",
		first.wall.Round(time.Millisecond), first.exit, cpOff, size, stored)
	fmt.Printf("Second run:\n\n")
	printImportRun(second, o.n, false)
	fmt.Printf("Its summary: `%s`; stderr began `%s`.\n\n", strings.TrimSpace(second.stdout), firstLine(second.stderr))
	fmt.Printf("Checked after it: %d `t/` keys, each on its cell at epoch 1 with one journal record; the checkpoint removed.\n\n", o.n)
	return nil
}

// printImportRun prints a run's figures as a table. The batches are
// counted by the writes of a cell's counter: only in a run that adds every
// tenant (counted) does every batch write it.
func printImportRun(r importRun, n int, counted bool) {
	per := "—"
	if counted && r.batches > 0 {
		per = fmt.Sprintf("%d (%.0f each)", r.batches, float64(n)/float64(r.batches))
	}
	fmt.Printf("| wall | tenants/s | batches the Worker applied | KV operations (per tenant) | workerd CPU (per tenant) | importer CPU | loopback KV + bench CPU | load average (1 min) start → highest |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	fmt.Printf("| %v | %.0f | %s | %d (%.2f) | %v (%.3f ms) | %v | %v | %.2f → %.2f |\n\n",
		r.wall.Round(time.Millisecond), float64(n)/r.wall.Seconds(), per, r.kvOps, float64(r.kvOps)/float64(n),
		r.workerdCPU.Round(time.Millisecond), float64(r.workerdCPU)/float64(n)/1e6, r.importerCPU.Round(time.Millisecond), r.benchCPU.Round(time.Millisecond), r.load[0], r.load[1])
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func orDefault(n int) string {
	if n <= 0 {
		return "(default)"
	}
	return strconv.Itoa(n)
}
