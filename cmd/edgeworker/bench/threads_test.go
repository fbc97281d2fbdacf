package main

import (
	"os"
	"testing"
	"time"
)

func TestSplit(t *testing.T) {
	t.Parallel()
	const pid = 100
	tests := []struct {
		name          string
		before, after map[int]thread
		want          cpuSplit
	}{
		{
			name:   "main thread and a V8 worker",
			before: map[int]thread{pid: {"workerd", 50e6}, 101: {"V8 DefaultWorke", 10e6}},
			after:  map[int]thread{pid: {"workerd", 78e6}, 101: {"V8 DefaultWorke", 22e6}},
			want:   cpuSplit{total: 40 * time.Millisecond, worker: 28 * time.Millisecond, v8: 12 * time.Millisecond},
		},
		{
			name:   "a thread that is neither the main thread nor V8's counts as other",
			before: map[int]thread{pid: {"workerd", 1e6}, 102: {"kj-thread", 2e6}},
			after:  map[int]thread{pid: {"workerd", 3e6}, 102: {"kj-thread", 7e6}},
			want:   cpuSplit{total: 7 * time.Millisecond, worker: 2 * time.Millisecond, other: 5 * time.Millisecond},
		},
		{
			name:   "a V8 worker started during the interval counts from zero",
			before: map[int]thread{pid: {"workerd", 1e6}},
			after:  map[int]thread{pid: {"workerd", 2e6}, 103: {"V8 DefaultWorke", 4e6}},
			want:   cpuSplit{total: 5 * time.Millisecond, worker: 1 * time.Millisecond, v8: 4 * time.Millisecond},
		},
		{
			name:   "a thread that ended during the interval leaves total as cpuNS's difference, the gap in other",
			before: map[int]thread{pid: {"workerd", 1e6}, 104: {"V8 DefaultWorke", 3e6}},
			after:  map[int]thread{pid: {"workerd", 2e6}},
			want:   cpuSplit{total: -2 * time.Millisecond, worker: 1 * time.Millisecond, other: -3 * time.Millisecond},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := split(pid, tt.before, tt.after); got != tt.want {
				t.Errorf("split = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestThreadsReadsThisProcess(t *testing.T) {
	pid := os.Getpid()
	ts := threads(pid)
	m, ok := ts[pid]
	if !ok {
		t.Fatalf("threads(%d) has no main thread: %v", pid, ts)
	}
	if m.name == "" || m.ns <= 0 {
		t.Errorf("main thread = %+v, want a name and CPU time", m)
	}
	if got := cpuNS(pid); got < m.ns {
		t.Errorf("cpuNS = %d, less than the main thread's %d", got, m.ns)
	}
}

func TestThreadNames(t *testing.T) {
	t.Parallel()
	const pid = 100
	ts := map[int]thread{pid: {"workerd", 1}, 102: {"V8 DefaultWorke", 1}, 101: {"V8 DefaultWorke", 1}, 103: {"kj", 1}}
	want := "workerd (main thread), V8 DefaultWorke ×2, kj ×1"
	if got := threadNames(pid, ts); got != want {
		t.Errorf("threadNames = %q, want %q", got, want)
	}
}
