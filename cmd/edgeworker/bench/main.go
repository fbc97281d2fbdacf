// Command bench measures the edge Worker in workerd and prints a Markdown
// report: the bundle's size, cold start, the workerd process's CPU time per
// request, and the latency the Worker adds compared with calling the cell
// directly and with a plain JavaScript pass-through Worker.
//
//	make -C . workerd   # or: npm ci --prefix cmd/edgeworker/workerd
//	go run ./cmd/edgeworker/bench -n 2000 -cold 5
//	go run ./cmd/edgeworker/bench -directory -n 2000 -cold 3 -requests 3000
//	go run ./cmd/edgeworker/bench -import 100000
//
// With -directory it measures the tenant directory instead (directory.go):
// the cold isolate's first request and the isolate's memory with 1k and 1M
// tenants in the DIRECTORY namespace, and a cached directory tenant against
// a registry tenant on a warm isolate.
//
// With -import N it measures `cellfabric tenants import` of N tenants
// through the Worker's control API instead (import.go), and its resumption
// after the importer is killed part-way.
//
// With -compare DIR,DIR,... it measures only the first request of fresh
// isolates of prebuilt bundles, alternating between them (compare.go).
// With -bundle DIR the report measures that prebuilt bundle instead of
// building one (a wasm changed after the build, a variant of the build).
//
// Everything runs on 127.0.0.1: one cell (a small JSON echo written in Go,
// the same handler for every path measured), a KV namespace and workerd. The
// requests are sequential over keep-alive connections, so latencies are
// per-request costs, not throughput under load. Linux only (CPU time is read
// from /proc). The first request's CPU time is also split by thread
// (threads.go): the Worker's thread, and V8's background threads.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/cellfabric/cellfabric/cmd/edgeworker/workerd"
	"github.com/cellfabric/cellfabric/components/edge/bundle"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
)

var key = edgeauth.Key{ID: "bench", Secret: []byte("benchmark-edge-secret-0123456789")}

func main() {
	n := flag.Int("n", 2000, "requests per path in the latency run")
	cold := flag.Int("cold", 5, "cold starts to measure")
	dir := flag.Bool("directory", false, "run the tenant directory benchmark instead: cold start and memory at 1k and 1M directory tenants, cached directory tenant against registry tenant")
	requests := flag.Int("requests", 3000, "requests over random tenants before the memory figures (with -directory)")
	var imp importOptions
	flag.IntVar(&imp.n, "import", 0, "run the tenant import benchmark instead with `N` tenants: cellfabric tenants import against the Worker's control API, then an interrupted import run again")
	flag.IntVar(&imp.parallel, "parallel", 0, "the importer's --parallel (with -import; 0: its default)")
	flag.IntVar(&imp.batch, "batch", 0, "the importer's --batch (with -import; 0: its default)")
	flag.BoolVar(&imp.resume, "resume", true, "with -import, also interrupt an import part-way and run it again")
	flag.StringVar(&imp.signal, "signal", "kill", "with -import, how the importer is interrupted: kill (SIGKILL) or int (SIGINT)")
	flag.Float64Var(&imp.at, "at", 0.3, "with -import, interrupt once the checkpoint covers this share of the file")
	prebuilt := flag.String("bundle", "", "measure the bundle in `DIR` (`go run ./cmd/edgeworker/build -o DIR`) instead of building one (the report's size, cold starts and latency)")
	cmp := flag.String("compare", "", "comma-separated bundle directories (`go run ./cmd/edgeworker/build -o DIR`): measure only the first request of -cold fresh isolates of each, alternating (compare.go)")
	flag.Parse()
	var err error
	switch {
	case *cmp != "":
		err = compare(splitDirs(*cmp), *cold)
	case imp.n > 0:
		if imp.signal != "kill" && imp.signal != "int" {
			fmt.Fprintln(os.Stderr, "bench: -signal: use kill or int")
			os.Exit(2)
		}
		err = runImport(imp)
	case *dir:
		err = runDirectory(*n, *cold, *requests)
	default:
		err = run(*n, *cold, *prebuilt)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// runDirectory builds the bundle, starts the cell and runs the directory
// benchmark.
func runDirectory(n, cold, requests int) error {
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
	fmt.Printf("workerd %s, %s, %d cores; one run.\n\n", workerdVersion(), runtime.Version(), runtime.NumCPU())
	return directory(ctx, b, cellURL, cold, requests, n)
}

func run(n, cold int, prebuilt string) error {
	ctx := context.Background()
	t0 := time.Now()
	var b bundle.Bundle
	var err error
	if prebuilt != "" {
		b, err = bundle.Read(prebuilt)
	} else {
		b, err = bundle.Build(ctx, "")
	}
	if err != nil {
		return err
	}
	buildTime := time.Since(t0)

	cellURL, reg, stop, err := startAcmeCell()
	if err != nil {
		return err
	}
	defer stop()

	fmt.Printf("## Edge Worker in workerd\n\nworkerd %s, %s, %d cores; one run.\n\n", workerdVersion(), runtime.Version(), runtime.NumCPU())
	fmt.Printf("### Size\n\n| artifact | raw | gzip -9 |\n|---|---:|---:|\n")
	fmt.Printf("| edge.wasm | %s | %s |\n| worker.js | %s | %s |\n| **total (the Workers limit counts this)** | %s | **%s** |\n\n",
		mib(len(b.Wasm)), mib(bundle.GzipLen(b.Wasm)), mib(len(b.Script)), mib(bundle.GzipLen([]byte(b.Script))),
		mib(len(b.Wasm)+len(b.Script)), mib(b.GzipSize()))
	if prebuilt != "" {
		fmt.Printf("Free plan limit 3 MiB gzipped, paid 10 MiB. Bundle read from %s.\n\n", prebuilt)
	} else {
		fmt.Printf("Free plan limit 3 MiB gzipped, paid 10 MiB. Build (go build, cached): %v.\n\n", buildTime.Round(time.Millisecond))
	}

	if err := coldStarts(ctx, b, reg, cold); err != nil {
		return err
	}
	return latency(ctx, b, reg, cellURL, n)
}

func coldStarts(ctx context.Context, b bundle.Bundle, reg []byte, rounds int) error {
	var listen, startCPU, first, second, firstCPU, firstWorker, firstV8 []time.Duration
	var other time.Duration
	var names string
	client := newClient()
	for range rounds {
		kv, err := workerd.NewKV()
		if err != nil {
			return err
		}
		kv.Set("registry", reg)
		dir, err := workerd.NewKV()
		if err != nil {
			kv.Close()
			return err
		}
		rt, err := workerd.Start(ctx, workerd.Options{Bundle: b, Config: `{"cacheSeconds":30}`, Key: key, KV: kv, Directory: dir})
		if err != nil {
			kv.Close()
			dir.Close()
			return err
		}
		listen = append(listen, rt.Listening.Sub(rt.Started))
		before := threads(rt.PID())
		startCPU = append(startCPU, time.Duration(totalNS(before)))
		d1, err := timed(client, rt.URL+"/x", "cell-a")
		after := threads(rt.PID())
		s := split(rt.PID(), before, after)
		firstCPU, firstWorker, firstV8 = append(firstCPU, s.total), append(firstWorker, s.worker), append(firstV8, s.v8)
		other, names = max(other, s.other), threadNames(rt.PID(), after)
		if err == nil {
			var d2 time.Duration
			d2, err = timed(client, rt.URL+"/x", "cell-a")
			first, second = append(first, d1), append(second, d2)
		}
		rt.Close()
		kv.Close()
		dir.Close()
		client.CloseIdleConnections()
		if err != nil {
			return err
		}
	}
	fmt.Printf("### Cold start (%d fresh workerd processes)\n\n| step | median | max |\n|---|---:|---:|\n", rounds)
	for _, row := range []struct {
		name string
		d    []time.Duration
	}{
		{"process start → sockets listening (config loaded, script and wasm compiled, the script's global scope run: Go started)", listen},
		{"workerd CPU time from process start to listening (all threads)", startCPU},
		{"first request → response (Go's setup from the bindings, registry and health read from KV, fetch to the cell)", first},
		{"workerd CPU time during the first request (all threads)", firstCPU},
		{"of it, the Worker's thread (workerd's main thread: the Worker's JavaScript and wasm, V8's baseline compiler, workerd's I/O)", firstWorker},
		{"of it, V8's background threads (optimising compiler, concurrent garbage collection)", firstV8},
		{"second request → response (warm isolate, cached registry)", second},
	} {
		slices.Sort(row.d)
		fmt.Printf("| %s | %s | %s |\n", row.name, ms(row.d[len(row.d)/2]), ms(row.d[len(row.d)-1]))
	}
	fmt.Printf("\nworkerd's threads: %s; other threads' CPU during the first request, max %s.\n\n", names, ms(other))
	return nil
}

func latency(ctx context.Context, b bundle.Bundle, reg []byte, cellURL string, n int) error {
	kv, err := workerd.NewKV()
	if err != nil {
		return err
	}
	defer kv.Close()
	kv.Set("registry", reg)
	dir, err := workerd.NewKV()
	if err != nil {
		return err
	}
	defer dir.Close()
	rt, err := workerd.Start(ctx, workerd.Options{Bundle: b, Config: `{"cacheSeconds":30}`, Key: key, KV: kv, Directory: dir, ProxyTarget: cellURL})
	if err != nil {
		return err
	}
	defer rt.Close()
	paths := []struct {
		name, url, cell string
		cpu             bool
		lat             []time.Duration
		cpuNS           int64
	}{
		{name: "cell directly", url: cellURL + "/x", cell: ""},
		{name: "plain JS pass-through Worker (baseline)", url: rt.ProxyURL + "/x", cpu: true},
		{name: "edge Worker (Go wasm)", url: rt.URL + "/x", cell: "cell-a", cpu: true},
	}
	client := newClient()
	for i := range paths { // warm up: isolates, connections
		for range 200 {
			if _, err := timed(client, paths[i].url, paths[i].cell); err != nil {
				return fmt.Errorf("%s: %w", paths[i].name, err)
			}
		}
	}
	const block = 100
	for done := 0; done < n; done += block {
		for i := range paths {
			p := &paths[i]
			before := cpuNS(rt.PID())
			for range min(block, n-done) {
				d, err := timed(client, p.url, p.cell)
				if err != nil {
					return fmt.Errorf("%s: %w", p.name, err)
				}
				p.lat = append(p.lat, d)
			}
			p.cpuNS += cpuNS(rt.PID()) - before
		}
	}
	fmt.Printf("### Latency and CPU (%d sequential requests per path, interleaved in blocks of %d)\n\n", n, block)
	fmt.Printf("| path | p50 | p90 | p99 | mean | workerd CPU / request |\n|---|---:|---:|---:|---:|---:|\n")
	base := stats(paths[0].lat)
	for _, p := range paths {
		s := stats(p.lat)
		cpu := "—"
		if p.cpu {
			cpu = fmt.Sprintf("%.3f ms", float64(p.cpuNS)/float64(len(p.lat))/1e6)
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %s |\n", p.name, ms(s.p50), ms(s.p90), ms(s.p99), ms(s.mean), cpu)
	}
	edge, js := stats(paths[2].lat), stats(paths[1].lat)
	fmt.Printf("\nAdded by the edge Worker over calling the cell directly: p50 +%s (×%.2f), p99 +%s (×%.2f). Over the plain JS Worker: p50 +%s (×%.2f), p99 +%s (×%.2f).\n",
		ms(edge.p50-base.p50), ratio(edge.p50, base.p50), ms(edge.p99-base.p99), ratio(edge.p99, base.p99),
		ms(edge.p50-js.p50), ratio(edge.p50, js.p50), ms(edge.p99-js.p99), ratio(edge.p99, js.p99))
	fmt.Printf("Go wasm CPU per request beyond the JS pass-through (workerd process, all threads): %.3f ms.\n",
		(float64(paths[2].cpuNS)/float64(len(paths[2].lat))-float64(paths[1].cpuNS)/float64(len(paths[1].lat)))/1e6)
	return nil
}

// startCell serves the benchmark's cell: a small JSON echo.
func startCell() (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Cell-ID", "cell-a")
		_, _ = fmt.Fprintf(w, `{"cell":"cell-a","path":%q,"tenant":%q}`+"\n", r.URL.Path, r.Header.Get(edgeauth.TenantHeader))
	})}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

func newClient() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true}}
}

// timed sends one GET for tenant acme and checks the answer came from the
// cell (X-Cell-ID, when cell is set).
func timed(c *http.Client, url, cell string) (time.Duration, error) {
	return timedAs(c, url, "acme", cell)
}

// timedAs sends one GET for tenant and checks the answer came from the cell
// (X-Cell-ID, when cell is set).
func timedAs(c *http.Client, url, tenant, cell string) (time.Duration, error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("X-Tenant-ID", tenant)
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != 200 || (cell != "" && resp.Header.Get("X-Cell-ID") != cell) {
		return 0, fmt.Errorf("status %d, cell %q", resp.StatusCode, resp.Header.Get("X-Cell-ID"))
	}
	return d, nil
}

type summary struct{ p50, p90, p99, mean time.Duration }

func stats(d []time.Duration) summary {
	s := slices.Clone(d)
	slices.Sort(s)
	var sum time.Duration
	for _, v := range s {
		sum += v
	}
	at := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return summary{p50: at(0.50), p90: at(0.90), p99: at(0.99), mean: sum / time.Duration(len(s))}
}

func workerdVersion() string {
	bin, err := workerd.Binary()
	if err != nil {
		return "?"
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(strings.TrimPrefix(string(out), "workerd "))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }

func mib(n int) string { return fmt.Sprintf("%.2f MiB (%d B)", float64(n)/(1<<20), n) }

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }

// startAcmeCell starts the benchmark's cell and returns its URL and the
// registry that routes tenant acme to it (cell-a), as JSON.
func startAcmeCell() (cellURL string, reg []byte, stop func(), err error) {
	cellURL, stop, err = startCell()
	if err != nil {
		return "", nil, nil, err
	}
	reg, err = json.Marshal(router.Registry{Version: router.SchemaVersion, Epoch: 1,
		Cells:   []router.Cell{{ID: "cell-a", Cloud: "aws", Region: "local", Endpoint: cellURL, HealthURL: cellURL + "/healthz", Weight: 100}},
		Tenants: []router.Tenant{{ID: "acme", Cell: "cell-a"}}})
	if err != nil {
		stop()
		return "", nil, nil, err
	}
	return cellURL, reg, stop, nil
}
