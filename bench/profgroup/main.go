// Command profgroup says where a proxy's CPU time and allocations go per
// request, grouped by layer (net/http server, reverse proxy, transport,
// signing, tenant resolution, decision, metrics, logging, allocation, GC,
// scheduling, socket system calls, ...), from a CPU or allocation profile
// taken at a known request rate (bench/run.sh with PROFILE=dir).
//
//	profgroup --requests 45000 cpu.pprof
//	profgroup --requests 45000 --alloc allocs.pprof
//
// Each sample goes to the first layer found walking its stack from the
// leaf up, so a layer counts what its own code costs and the library code
// it calls that no nearer layer claims (a sha256 block under the signer is
// signing; a malloc anywhere is allocation, the GC's work is GC). It reads
// the profile with `go tool pprof -traces`.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
)

// layer is a group of frames, matched by substring on the function name.
// A fallback layer takes a sample only when no frame of its stack belongs
// to any other layer.
type layer struct {
	name     string
	match    []string
	fallback bool
}

// layers, tested in this order on each frame from the leaf up.
var layers = []layer{
	{"GC", []string{"runtime.gcBgMarkWorker", "runtime.gcAssistAlloc", "runtime.gcDrain", "runtime.bgsweep", "runtime.bgscavenge", "runtime.markroot", "runtime.gcStart", "runtime.sweepone", "runtime.(*sweepLocked)", "runtime.gcMark", "runtime.scanobject", "runtime.wbBufFlush", "runtime.(*gcWork)", "runtime.greyobject", "runtime.tryDeferToSpanScan", "runtime.(*gcControllerState)", "runtime.gcWriteBarrier"}, false},
	{"allocation (malloc)", []string{"runtime.mallocgc", "runtime.newobject", "runtime.makeslice", "runtime.growslice", "runtime.makemap", "runtime.rawstring", "runtime.rawbyteslice", "runtime.makechan", "runtime.(*mcache)", "runtime.(*mheap)", "runtime.(*mcentral)", "runtime.nextFreeFast", "runtime.heapSetType", "runtime.(*mspan)"}, false},
	{"socket system calls (kernel)", []string{"syscall.Syscall", "syscall.RawSyscall", "syscall.read", "syscall.write"}, false},
	{"goroutine scheduling, netpoll, timers", []string{"runtime.schedule", "runtime.findRunnable", "runtime.netpoll", "runtime.park_m", "runtime.goready", "runtime.futex", "runtime.notewakeup", "runtime.wakep", "runtime.mcall", "runtime.gopark", "runtime.usleep", "runtime.osyield", "runtime.runqsteal", "runtime.stealWork", "runtime.(*timers)", "runtime.sysmon", "runtime.nanotime", "runtime.resetspinning", "runtime.startm", "runtime.stopm"}, false},
	{"logging", []string{"log/slog.", "server.slogWriter"}, false},
	{"metrics", []string{"server.(*metrics)", "server.(*retryBudget)", "server.(*cellMetrics)"}, false},
	{"signing (edgeauth)", []string{"cellfabric/router/edgeauth."}, false},
	{"tenant resolution", []string{"cellfabric/router/tenant."}, false},
	{"request id", []string{"cellfabric/router.RequestID"}, false},
	{"decision and forwarding policy (router core)", []string{"cellfabric/router."}, false},
	{"health tracker", []string{"cellfabric/router/health."}, false},
	{"router glue (router/server)", []string{"cellfabric/router/server."}, false},
	{"reverse proxy (httputil)", []string{"net/http/httputil."}, false},
	{"fasthttp client (conn pool)", []string{"fasthttp.(*HostClient)", "fasthttp.(*Client)", "fasthttp.(*Response).Read", "fasthttp.(*Request).Write", "fasthttp.(*clientConn"}, false},
	{"fasthttp server", []string{"github.com/valyala/fasthttp."}, false},
	{"transport, conn pool (net/http client)", []string{"net/http.(*Transport)", "net/http.(*persistConn)", "net/http.persistConnWriter", "net/http.(*bodyEOFSignal)", "net/http.(*transportRequest)", "net/http/httptrace.", "net/http.(*Request).write", "net/http.ReadResponse", "net/http.(*readTrackingBody)", "net/http.(*connectMethod", "net/http.(*wantConn", "net/http.(*Response)"}, false},
	{"net/http server", []string{"net/http.(*conn)", "net/http.(*response)", "net/http.(*chunkWriter)", "net/http.(*connReader)", "net/http.(*body)", "net/http.readRequest", "net/http.(*Server)", "net/http.serverHandler", "net/http.(*expectContinueReader)", "net/http.checkConnErrorWriter", "net/http.(*maxBytesReader)"}, false},
	{"net/http, shared (headers, URLs)", []string{"net/http.", "net/textproto.", "net/url."}, true},
	{"network stack (net, internal/poll)", []string{"net.", "internal/poll."}, true},
	{"runtime, other", []string{"runtime."}, true},
}

// allocMode leaves the runtime's own layers out: in an allocation
// profile every stack starts in the allocator, and what matters is who
// called it.
var allocMode bool

func classify(stack []string) string {
	for _, fallback := range []bool{false, true} {
		for _, fn := range stack {
			if allocMode && strings.HasPrefix(fn, "runtime.") {
				continue
			}
			for _, l := range layers {
				if l.fallback != fallback {
					continue
				}
				for _, m := range l.match {
					if strings.Contains(fn, m) {
						return l.name
					}
				}
			}
		}
	}
	return "other"
}

// totals reads `go tool pprof -traces` of file with the given extra
// arguments and sums sample values by layer.
func totals(file string, args ...string) (map[string]float64, float64, error) {
	cmd := exec.Command("go", append(append([]string{"tool", "pprof", "-traces"}, args...), file)...)
	out, err := cmd.Output()
	if err != nil {
		return nil, 0, fmt.Errorf("go tool pprof %s: %w", file, err)
	}
	sums := map[string]float64{}
	var total, val float64
	var stack []string
	flush := func() {
		if stack != nil {
			l := classify(stack)
			sums[l] += val
			total += val
			if *detail == l {
				leaves[stack[0]] += val
			}
		}
		stack = nil
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	started := false
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "-----------+") {
			flush()
			started = true
			continue
		}
		t := strings.TrimSpace(line)
		if !started || t == "" || strings.HasPrefix(t, "bytes:") {
			continue
		}
		if stack == nil {
			f := strings.Fields(t)
			if len(f) < 2 {
				continue
			}
			v, err := strconv.ParseFloat(strings.TrimRight(f[0], "nsB"), 64)
			if err != nil {
				continue
			}
			val = v
			stack = []string{strings.Join(f[1:], " ")}
			continue
		}
		stack = append(stack, t)
	}
	flush()
	return sums, total, sc.Err()
}

// detail names a layer whose innermost frames to list (-detail).
var (
	detail = flag.String("detail", "", "also list the innermost frames of the samples of this layer, for checking the grouping")
	leaves = map[string]float64{}
)

func main() {
	requests := flag.Float64("requests", 0, "requests served while the profile ran; required")
	alloc := flag.Bool("alloc", false, "the profile is an allocation profile (allocs?seconds=N): report bytes and objects per request")
	flag.Parse()
	if *requests <= 0 || flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: profgroup --requests N [--alloc] PROFILE")
		os.Exit(2)
	}
	file := flag.Arg(0)
	allocMode = *alloc
	if !*alloc {
		sums, total, err := totals(file, "-unit=ns")
		if err != nil {
			fmt.Fprintln(os.Stderr, "profgroup:", err)
			os.Exit(1)
		}
		fmt.Printf("| layer | share | CPU µs per request |\n|---|---:|---:|\n")
		for _, k := range sorted(sums) {
			fmt.Printf("| %s | %.1f%% | %.1f |\n", k, 100*sums[k]/total, sums[k]/1e3 / *requests)
		}
		fmt.Printf("| **total (profiled)** | 100%% | **%.1f** |\n", total/1e3 / *requests)
		printLeaves()
		return
	}
	space, stotal, err := totals(file, "-unit=B", "-sample_index=alloc_space")
	if err == nil {
		var objs map[string]float64
		var ototal float64
		objs, ototal, err = totals(file, "-sample_index=alloc_objects")
		if err == nil {
			fmt.Printf("| layer | bytes per request | allocations per request |\n|---|---:|---:|\n")
			for _, k := range sorted(space) {
				fmt.Printf("| %s | %.0f | %.1f |\n", k, space[k] / *requests, objs[k] / *requests)
			}
			fmt.Printf("| **total** | **%.0f** | **%.1f** |\n", stotal / *requests, ototal / *requests)
			printLeaves()
			return
		}
	}
	fmt.Fprintln(os.Stderr, "profgroup:", err)
	os.Exit(1)
}

// sorted returns the keys of m, largest value first.
func sorted(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] })
	return keys
}

// printLeaves lists the innermost frames -detail collected.
func printLeaves() {
	if *detail == "" {
		return
	}
	fmt.Printf("\ninnermost frames of %q:\n", *detail)
	for i, k := range sorted(leaves) {
		if i == 30 {
			break
		}
		fmt.Printf("%12.0f %s\n", leaves[k], k)
	}
}
