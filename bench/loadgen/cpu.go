package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// The CPU a process tree has used, read from /proc: utime + stime of
// /proc/PID/stat (fields 14 and 15) cover every thread of a process, live
// or exited; a tree (nginx's master and its workers, say) is the process
// and all its descendants alive at the time of reading.

// clockTicks is USER_HZ, 100 on every Linux architecture Go supports.
const clockTicks = 100

// procStat returns the parent pid and the CPU ticks (user + system) of pid.
func procStat(pid int) (ppid int, ticks int64, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces:
	// fields are counted after its closing one.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state), so field n is f[n-3].
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f)+2)
	}
	ppid, _ = strconv.Atoi(f[1])
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("/proc/%d/stat: bad utime or stime", pid)
	}
	return ppid, ut + st, nil
}

// treeCPU returns the CPU ticks of the processes in roots and all their
// descendants.
func treeCPU(roots []int) (int64, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	parent := map[int]int{}
	ticks := map[int]int64{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		pp, t, err := procStat(pid)
		if err != nil {
			continue // gone in between
		}
		parent[pid], ticks[pid] = pp, t
	}
	in := map[int]bool{}
	for _, r := range roots {
		if _, ok := ticks[r]; !ok {
			return 0, fmt.Errorf("process %d not found", r)
		}
		in[r] = true
	}
	var total int64
	for pid, t := range ticks {
		for p := pid; p > 1; p = parent[p] {
			if in[p] {
				total += t
				break
			}
		}
	}
	return total, nil
}

// pidList parses "123,456".
func pidList(s string) ([]int, error) {
	var pids []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		p, err := strconv.Atoi(f)
		if err != nil || p <= 0 {
			return nil, fmt.Errorf("--cpu-pid %q: want process ids separated by commas", s)
		}
		pids = append(pids, p)
	}
	return pids, nil
}
