package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// thread is one thread of a process: its name and the CPU time, in
// nanoseconds, it has used so far.
type thread struct {
	name string
	ns   int64
}

// threads reads every thread of a process, by thread id: its CPU time (the
// first field of /proc/<pid>/task/<tid>/schedstat) and its name
// (/proc/<pid>/task/<tid>/comm, at most 15 bytes). A thread that ends while
// it is read is left out.
func threads(pid int) map[int]thread {
	dirs, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*", pid))
	out := make(map[int]thread, len(dirs))
	for _, d := range dirs {
		tid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join(d, "schedstat"))
		if err != nil {
			continue
		}
		f := strings.Fields(string(stat))
		if len(f) == 0 {
			continue
		}
		ns, _ := strconv.ParseInt(f[0], 10, 64)
		name, _ := os.ReadFile(filepath.Join(d, "comm"))
		out[tid] = thread{name: strings.TrimSpace(string(name)), ns: ns}
	}
	return out
}

// cpuNS is the CPU time, in nanoseconds, that every thread of a process has
// used.
func cpuNS(pid int) int64 { return totalNS(threads(pid)) }

// totalNS adds up the CPU time of every thread read.
func totalNS(ts map[int]thread) int64 {
	var total int64
	for _, t := range ts {
		total += t.ns
	}
	return total
}

// v8Prefix starts the names of V8's platform worker threads ("V8
// DefaultWorker", cut to 15 bytes by the kernel): the background threads
// V8 gives its optimising compiler (TurboFan) and the concurrent parts of
// its garbage collector (one on a 2-core machine).
const v8Prefix = "V8 "

// cpuSplit is a workerd process's CPU time over an interval, in all and by
// thread.
type cpuSplit struct {
	// total is every thread's: the sum of the CPU times after the
	// interval less their sum before it, as cpuNS's difference.
	total time.Duration
	// worker is the main thread's (thread id = process id): `workerd
	// serve` runs its event loop there, and on it the Worker's JavaScript
	// and wasm, V8's baseline compiler (Liftoff, on each wasm function's
	// first call) and workerd's own work for the request (HTTP, the KV
	// subrequests). Whether Cloudflare's per-request CPU time counts only
	// this thread is not documented; the one description found says so
	// (BENCHMARKS.md, "the first request's CPU by thread").
	worker time.Duration
	// v8 is V8's background threads' (v8Prefix).
	v8 time.Duration
	// other is the rest of total: other threads, and threads that ended
	// during the interval.
	other time.Duration
}

// split divides the CPU time of process pid between two readings of its
// threads. A thread that started in between counts from zero.
func split(pid int, before, after map[int]thread) cpuSplit {
	s := cpuSplit{total: time.Duration(totalNS(after) - totalNS(before))}
	for tid, t := range after {
		d := time.Duration(t.ns - before[tid].ns)
		switch {
		case tid == pid:
			s.worker += d
		case strings.HasPrefix(t.name, v8Prefix):
			s.v8 += d
		}
	}
	s.other = s.total - s.worker - s.v8
	return s
}

// threadNames lists a process's threads by name, with how many share each
// ("workerd", "V8 DefaultWorke ×1"), the main thread first.
func threadNames(pid int, ts map[int]thread) string {
	count := map[string]int{}
	var names []string
	for tid, t := range ts {
		if tid == pid {
			continue
		}
		if count[t.name] == 0 {
			names = append(names, t.name)
		}
		count[t.name]++
	}
	slices.Sort(names)
	out := []string{ts[pid].name + " (main thread)"}
	for _, n := range names {
		out = append(out, fmt.Sprintf("%s ×%d", n, count[n]))
	}
	return strings.Join(out, ", ")
}
