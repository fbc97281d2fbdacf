// Command loadgen sends HTTP requests at a fixed rate (open loop) and
// reports latency percentiles. Each request has a scheduled send time
// (start + i/rate); its latency is measured from that time, not from when a
// connection was free to send it, so a server that stalls is charged for
// every request that waited behind the stall (no coordinated omission).
//
//	loadgen --url http://127.0.0.1:9103/ --rate 2000 --duration 10s --header 'X-Tenant-ID: bench'
//
// With --cpu-pid, it also reads the CPU time (user + system, every thread)
// of those processes and their descendants from /proc at the start and the
// end of the measured window, and reports it per measured request: what
// one request costs the server at this rate.
//
// The last line of output is tab-separated, for scripts:
//
//	RESULT <label> <sent> <errors> <p50 µs> <p90 µs> <p99 µs> <p99.9 µs> <max µs> <CPU µs per request, -1 without --cpu-pid> <requests/s sent>
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

type headers []string

func (h *headers) String() string     { return strings.Join(*h, ", ") }
func (h *headers) Set(v string) error { *h = append(*h, v); return nil }

func main() {
	target := flag.String("url", "", "URL to request (loopback); required")
	rate := flag.Int("rate", 2000, "requests per second")
	duration := flag.Duration("duration", 10*time.Second, "measured duration")
	warmup := flag.Duration("warmup", 2*time.Second, "unmeasured warm-up before it")
	conns := flag.Int("conns", 64, "concurrent connections (and workers)")
	label := flag.String("label", "", "label of the RESULT line (default: the URL)")
	cpuPids := flag.String("cpu-pid", "", "process ids (comma-separated) whose CPU per request to report, descendants included")
	var hdrs headers
	flag.Var(&hdrs, "header", "request header 'Name: value'; repeatable")
	flag.Parse()
	if *target == "" || *rate <= 0 || *conns <= 0 {
		flag.Usage()
		os.Exit(2)
	}
	if *label == "" {
		*label = *target
	}
	h := http.Header{}
	for _, kv := range hdrs {
		k, v, ok := strings.Cut(kv, ":")
		if !ok {
			fmt.Fprintf(os.Stderr, "loadgen: header %q: want 'Name: value'\n", kv)
			os.Exit(2)
		}
		h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	pids, err := pidList(*cpuPids)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	if len(pids) > 0 {
		if _, err := treeCPU(pids); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen: --cpu-pid:", err)
			os.Exit(2)
		}
	}
	res := run(*target, h, *rate, *warmup, *duration, *conns, pids)
	res.print(os.Stdout, *label)
}

type result struct {
	sent, errors int
	lat          []time.Duration
	window       time.Duration // from the first measured request's release to the last answer
	cpuTicks     int64         // CPU of the --cpu-pid processes over the window; -1 unmeasured
}

func run(target string, h http.Header, rate int, warmup, duration time.Duration, conns int, pids []int) result {
	client := &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true, Proxy: nil},
		Timeout:   10 * time.Second,
	}
	interval := time.Second / time.Duration(rate)
	total := int((warmup + duration) / interval)
	measureFrom := int(warmup / interval)
	jobs := make(chan int, total)
	start := time.Now().Add(50 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), warmup+duration+15*time.Second)
	defer cancel()

	var mu sync.Mutex
	res := result{cpuTicks: -1}
	var cpu0 int64
	var t0 time.Time
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local []time.Duration
			errs := 0
			for i := range jobs {
				scheduled := start.Add(time.Duration(i) * interval)
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
				req.Header = h.Clone()
				resp, err := client.Do(req)
				ok := err == nil && resp.StatusCode == http.StatusOK
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				if i < measureFrom {
					continue
				}
				if !ok {
					errs++
					continue
				}
				local = append(local, time.Since(scheduled))
			}
			mu.Lock()
			res.lat = append(res.lat, local...)
			res.errors += errs
			mu.Unlock()
		}()
	}
	// Release each request at its scheduled time; the workers measure from
	// that time, so the scheduler's own jitter only delays, never hides.
	for i := 0; i < total; {
		due := int(time.Since(start)/interval) + 1
		for ; i < due && i < total; i++ {
			if i == measureFrom {
				t0 = time.Now()
				if len(pids) > 0 {
					cpu0, _ = treeCPU(pids)
				}
			}
			jobs <- i
		}
		time.Sleep(100 * time.Microsecond)
	}
	close(jobs)
	wg.Wait()
	res.window = time.Since(t0)
	if len(pids) > 0 {
		if cpu1, err := treeCPU(pids); err == nil {
			res.cpuTicks = cpu1 - cpu0
		}
	}
	res.sent = total - measureFrom
	return res
}

func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p / 100 * float64(len(sorted)))
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}

func (r result) print(w io.Writer, label string) {
	slices.Sort(r.lat)
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	p50, p90, p99, p999 := pct(r.lat, 50), pct(r.lat, 90), pct(r.lat, 99), pct(r.lat, 99.9)
	var max time.Duration
	if len(r.lat) > 0 {
		max = r.lat[len(r.lat)-1]
	}
	cpuPerReq := -1.0
	if r.cpuTicks >= 0 && r.sent > 0 {
		cpuPerReq = float64(r.cpuTicks) * 1e6 / clockTicks / float64(r.sent)
	}
	rate := float64(r.sent) / r.window.Seconds()
	fmt.Fprintf(w, "%s: %d requests measured (%.0f/s), %d errors; latency p50 %v p90 %v p99 %v p99.9 %v max %v", label, r.sent, rate, r.errors, p50, p90, p99, p999, max)
	if cpuPerReq >= 0 {
		fmt.Fprintf(w, "; server CPU %.1f µs per request", cpuPerReq)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "RESULT\t%s\t%d\t%d\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.1f\t%.0f\n", label, r.sent, r.errors, us(p50), us(p90), us(p99), us(p999), us(max), cpuPerReq, rate)
}
