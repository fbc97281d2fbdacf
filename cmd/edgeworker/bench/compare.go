package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cellfabric/cellfabric/cmd/edgeworker/workerd"
	"github.com/cellfabric/cellfabric/components/edge/bundle"
)

// compare measures the first request of fresh isolates for prebuilt
// bundles (directories that `go run ./cmd/edgeworker/build -o DIR` wrote,
// or any wasm in a DIR beside a worker.js), a round over every bundle at a
// time so that they share the machine's state: the way to tell what one
// change to the Worker did to its cold start. It prints each bundle's
// compressed size, the median, minimum and maximum workerd CPU time and
// wall time of the first request, the workerd CPU time of the process's
// start up to its listening (it runs the script's global scope, and so the
// isolate's start, before that) and the process's CPU time a moment
// (settle) after the first response: what the isolate costs in all is the
// last, not the first request's share alone. The last columns split the
// first request's CPU time by thread (threads.go): the Worker's thread
// (which may be all that Cloudflare's per-request CPU time counts; not
// documented) and V8's background threads (its optimising compiler, and
// concurrent garbage collection).
func compare(dirs []string, rounds int) error {
	ctx := context.Background()
	var bs []bundle.Bundle
	for _, d := range dirs {
		b, err := bundle.Read(d)
		if err != nil {
			return err
		}
		bs = append(bs, b)
	}
	_, reg, stop, err := startAcmeCell()
	if err != nil {
		return err
	}
	defer stop()
	cpu := make([][]time.Duration, len(bs))
	wall := make([][]time.Duration, len(bs))
	start := make([][]time.Duration, len(bs))
	total := make([][]time.Duration, len(bs))
	settled := make([][]time.Duration, len(bs))
	worker := make([][]time.Duration, len(bs))
	v8 := make([][]time.Duration, len(bs))
	other := make([]time.Duration, len(bs))
	names := make([]string, len(bs))
	for range rounds {
		for i, b := range bs {
			m, err := firstRequest(ctx, b, reg)
			if err != nil {
				return fmt.Errorf("%s: %w", dirs[i], err)
			}
			cpu[i], wall[i] = append(cpu[i], m.cpu), append(wall[i], m.wall)
			start[i], total[i] = append(start[i], m.startCPU), append(total[i], m.startCPU+m.cpu)
			settled[i] = append(settled[i], m.settledCPU)
			worker[i], v8[i] = append(worker[i], m.split.worker), append(v8[i], m.split.v8)
			other[i], names[i] = max(other[i], m.split.other), m.threads
		}
	}
	fmt.Printf("### First request of a fresh isolate (%d rounds over %d bundles, alternating)\n\n", rounds, len(bs))
	fmt.Printf("| bundle | gzip -9 (script and wasm) | workerd CPU, median | min | max | wall, median | workerd CPU, process start → listening, median | start and first request, median | all, %v after the first response, median | of the first request, the Worker's thread, median | max | V8's background threads, median |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n", settle)
	for i := range bs {
		for _, d := range [][]time.Duration{cpu[i], wall[i], start[i], total[i], settled[i], worker[i], v8[i]} {
			slices.Sort(d)
		}
		n := len(cpu[i])
		fmt.Printf("| %s | %d B | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", dirs[i], bs[i].GzipSize(), ms(cpu[i][n/2]), ms(cpu[i][0]), ms(cpu[i][n-1]), ms(wall[i][n/2]), ms(start[i][n/2]), ms(total[i][n/2]), ms(settled[i][n/2]),
			ms(worker[i][n/2]), ms(worker[i][n-1]), ms(v8[i][n/2]))
	}
	fmt.Println()
	for i := range bs {
		fmt.Printf("%s: threads %s; other threads' CPU during the first request, max %s.\n", dirs[i], names[i], ms(other[i]))
	}
	return nil
}

// firstMeasure is what firstRequest measures of one fresh isolate.
type firstMeasure struct {
	// cpu and wall are the first request's workerd CPU time and wall
	// time.
	cpu, wall time.Duration
	// startCPU is the workerd CPU time from the process's start to its
	// listening: its own start, the config, the script's compilation and
	// global scope.
	startCPU time.Duration
	// settledCPU is the process's CPU time settle after the first
	// response: with what V8's background threads (compiling wasm
	// functions to optimised code) went on doing for either phase.
	settledCPU time.Duration
	// split is the first request's CPU time (cpu) by thread, and threads
	// the process's threads by name after it.
	split   cpuSplit
	threads string
}

// settle is how long firstRequest waits after the first response before
// it reads the process's CPU time once more.
const settle = 300 * time.Millisecond

// firstRequest starts workerd with b and measures its start and its first
// request.
func firstRequest(ctx context.Context, b bundle.Bundle, reg []byte) (firstMeasure, error) {
	var m firstMeasure
	kv, err := workerd.NewKV()
	if err != nil {
		return m, err
	}
	defer kv.Close()
	kv.Set("registry", reg)
	dir, err := workerd.NewKV()
	if err != nil {
		return m, err
	}
	defer dir.Close()
	rt, err := workerd.Start(ctx, workerd.Options{Bundle: b, Config: `{"cacheSeconds":30}`, Key: key, KV: kv, Directory: dir})
	if err != nil {
		return m, err
	}
	defer rt.Close()
	client := newClient()
	defer client.CloseIdleConnections()
	before := threads(rt.PID())
	m.startCPU = time.Duration(totalNS(before))
	m.wall, err = timed(client, rt.URL+"/x", "cell-a")
	after := threads(rt.PID())
	m.split, m.threads = split(rt.PID(), before, after), threadNames(rt.PID(), after)
	m.cpu = m.split.total
	time.Sleep(settle)
	m.settledCPU = time.Duration(cpuNS(rt.PID()))
	return m, err
}

// splitDirs splits the -compare flag's comma-separated list.
func splitDirs(s string) []string {
	var out []string
	for _, d := range strings.Split(s, ",") {
		if d = strings.TrimSpace(d); d != "" {
			out = append(out, d)
		}
	}
	return out
}
