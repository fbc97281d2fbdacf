package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/cellfabric/cellfabric/cmd/edgeworker/workerd"
	"github.com/cellfabric/cellfabric/components/edge/bundle"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeconf"
)

// The tenant directory benchmark: the Worker over a directory of 1k and of
// 1M tenants (t/ keys in the DIRECTORY namespace), measuring what must not
// depend on that number (the cold isolate's first request, the isolate's
// memory after requests over random tenants), and what a directory tenant
// costs once cached compared with a registry tenant.

// directorySizes are the directory sizes compared.
var directorySizes = []int{1_000, 1_000_000}

// dirTenant is the i-th tenant of a benchmark directory.
func dirTenant(i int) string { return fmt.Sprintf("tenant-%07d", i) }

// fillDirectory writes n tenants, all on cell a.
func fillDirectory(kv *workerd.KV, n int) {
	kv.SetMany(func(yield func(string, []byte) bool) {
		for i := range n {
			id := dirTenant(i)
			if !yield(edgeconf.DirectoryTenantKey(id), fmt.Appendf(nil, `{"id":%q,"cell":"cell-a","epoch":1}`, id)) {
				return
			}
		}
	})
}

// directory runs the directory benchmark and prints its tables.
func directory(ctx context.Context, b bundle.Bundle, cellURL string, cold, requests, n int) error {
	reg, err := json.Marshal(router.Registry{Version: router.SchemaVersion, Epoch: 1,
		Cells:   []router.Cell{{ID: "cell-a", Cloud: "aws", Region: "local", Endpoint: cellURL, HealthURL: cellURL + "/healthz", Weight: 100}},
		Tenants: []router.Tenant{{ID: "acme", Cell: "cell-a"}}})
	if err != nil {
		return err
	}
	fmt.Printf("## Tenant directory (Worker)\n\n")
	type sized struct {
		first, firstCPU []time.Duration
		mem             workerd.MemStats
		rss             int64
	}
	results := make([]sized, len(directorySizes))
	dirs := make([]*workerd.KV, len(directorySizes))
	for si, size := range directorySizes {
		if dirs[si], err = workerd.NewKV(); err != nil {
			return err
		}
		defer dirs[si].Close()
		t0 := time.Now()
		fillDirectory(dirs[si], size)
		fmt.Printf("Directory of %d tenants written to the loopback KV in %v.\n", size, time.Since(t0).Round(time.Millisecond))
	}
	// The loopback KV lives in this process: collect the garbage of the
	// fill now, not during a measurement.
	runtime.GC()
	// Cold starts alternate between the sizes, so that a busy moment of
	// the machine does not land on one size only.
	for r := range cold {
		for si, size := range directorySizes {
			rt, kv, err := startDirectoryRuntime(ctx, b, reg, dirs[si])
			if err != nil {
				return err
			}
			client := newClient()
			before := cpuNS(rt.PID())
			d, err := timedAs(client, rt.URL+"/x", dirTenant((r*7919)%size), "cell-a")
			res := &results[si]
			res.firstCPU = append(res.firstCPU, time.Duration(cpuNS(rt.PID())-before))
			res.first = append(res.first, d)
			rt.Close()
			kv.Close()
			client.CloseIdleConnections()
			if err != nil {
				return fmt.Errorf("cold start with %d tenants: %w", size, err)
			}
		}
	}
	for si, size := range directorySizes {
		rt, kv, err := startDirectoryRuntime(ctx, b, reg, dirs[si])
		if err != nil {
			return err
		}
		res := &results[si]
		err = randomRequests(rt.URL+"/x", size, requests)
		if err == nil {
			res.mem, err = rt.MemStats(ctx)
		}
		if err == nil {
			res.rss, err = rt.RSS()
		}
		rt.Close()
		kv.Close()
		if err != nil {
			return fmt.Errorf("memory with %d tenants: %w", size, err)
		}
	}
	fmt.Printf("\n### Cold isolate, first request for a directory tenant (%d fresh workerd processes per size)\n\n", cold)
	fmt.Printf("| directory | first request → response, median | max | workerd CPU during it, median |\n|---:|---:|---:|---:|\n")
	for si, size := range directorySizes {
		r := results[si]
		slices.Sort(r.first)
		slices.Sort(r.firstCPU)
		fmt.Printf("| %d | %s | %s | %s |\n", size, ms(r.first[len(r.first)/2]), ms(r.first[len(r.first)-1]), ms(r.firstCPU[len(r.firstCPU)/2]))
	}
	fmt.Printf("\n### Isolate memory after %d requests over random tenants (default cache: %d entries)\n\n", requests, edgeconf.DefaultDirectoryCacheEntries)
	fmt.Printf("| directory | tenants cached | Go heap in use | Go heap live | wasm memory taken by Go | workerd RSS |\n|---:|---:|---:|---:|---:|---:|\n")
	for si, size := range directorySizes {
		m := results[si].mem
		fmt.Printf("| %d | %d | %s | %s | %s | %s |\n", size, m.DirectoryEntries, mib(int(m.HeapInuse)), mib(int(m.HeapAlloc)), mib(int(m.Sys)), mib(int(results[si].rss)))
	}
	fmt.Println()
	return warmLatency(ctx, b, reg, n)
}

// startDirectoryRuntime starts workerd over a fresh registry namespace and
// the given directory, with the memory figures on.
func startDirectoryRuntime(ctx context.Context, b bundle.Bundle, reg []byte, dir *workerd.KV) (*workerd.Runtime, *workerd.KV, error) {
	kv, err := workerd.NewKV()
	if err != nil {
		return nil, nil, err
	}
	kv.Set("registry", reg)
	rt, err := workerd.Start(ctx, workerd.Options{Bundle: b, Config: `{"cacheSeconds":30}`, Key: key, KV: kv, Directory: dir, MemStats: true})
	if err != nil {
		kv.Close()
		return nil, nil, err
	}
	return rt, kv, nil
}

// randomRequests sends requests over random tenants of a directory of size,
// four at a time.
func randomRequests(url string, size, requests int) error {
	rnd := rand.New(rand.NewPCG(uint64(size), 7))
	ids := make(chan int, requests)
	for range requests {
		ids <- rnd.IntN(size)
	}
	close(ids)
	client := newClient()
	errs := make(chan error, 4)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ids {
				if _, err := timedAs(client, url, dirTenant(i), "cell-a"); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// warmLatency compares a cached directory tenant with a registry tenant on
// one warm isolate, sequential requests interleaved in blocks.
func warmLatency(ctx context.Context, b bundle.Bundle, reg []byte, n int) error {
	dir, err := workerd.NewKV()
	if err != nil {
		return err
	}
	defer dir.Close()
	fillDirectory(dir, 1_000_000)
	rt, kv, err := startDirectoryRuntime(ctx, b, reg, dir)
	if err != nil {
		return err
	}
	defer kv.Close()
	defer rt.Close()
	paths := []struct {
		name, tenant string
		lat          []time.Duration
		cpuNS        int64
	}{
		{name: "registry tenant (negative directory entry cached, then the registry)", tenant: "acme"},
		{name: "directory tenant (entry cached)", tenant: dirTenant(424242)},
	}
	client := newClient()
	for i := range paths {
		for range 200 {
			if _, err := timedAs(client, rt.URL+"/x", paths[i].tenant, "cell-a"); err != nil {
				return err
			}
		}
	}
	const block = 100
	for done := 0; done < n; done += block {
		for i := range paths {
			p := &paths[i]
			before := cpuNS(rt.PID())
			for range min(block, n-done) {
				d, err := timedAs(client, rt.URL+"/x", p.tenant, "cell-a")
				if err != nil {
					return err
				}
				p.lat = append(p.lat, d)
			}
			p.cpuNS += cpuNS(rt.PID()) - before
		}
	}
	fmt.Printf("### Warm isolate: a cached directory tenant against a registry tenant (1M-tenant directory, %d sequential requests each, interleaved in blocks of %d)\n\n", n, block)
	fmt.Printf("| tenant | p50 | p90 | p99 | mean | workerd CPU / request |\n|---|---:|---:|---:|---:|---:|\n")
	for _, p := range paths {
		s := stats(p.lat)
		fmt.Printf("| %s | %s | %s | %s | %s | %.3f ms |\n", p.name, ms(s.p50), ms(s.p90), ms(s.p99), ms(s.mean), float64(p.cpuNS)/float64(len(p.lat))/1e6)
	}
	reg0, dir0 := stats(paths[0].lat), stats(paths[1].lat)
	fmt.Printf("\nDirectory tenant minus registry tenant: p50 %+.3f ms, mean %+.3f ms, CPU %+.3f ms per request.\n\n",
		float64(dir0.p50-reg0.p50)/1e6, float64(dir0.mean-reg0.mean)/1e6,
		(float64(paths[1].cpuNS)/float64(len(paths[1].lat))-float64(paths[0].cpuNS)/float64(len(paths[0].lat)))/1e6)
	return nil
}
