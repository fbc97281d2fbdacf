// Command memlat measures what one dependent random memory load costs on
// this machine, for working sets from 1 MiB to 128 MiB: it follows a random
// cycle of pointers, one per 64-byte cache line, so every load waits for the
// one before it and the prefetcher cannot guess the next address.
//
// It is the yardstick for the router's decision benchmarks: a lookup in a
// million-tenant registry that touches one cache line at a random address
// cannot be faster than one such load once the table outgrows the last-level
// cache. Prints a markdown table.
//
//	go run ./bench/memlat [-loads N] [-runs R]
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"time"
)

// lineWords is a cache line in uint64s.
const lineWords = 8

// cycle fills buf with one random cycle through all its cache lines: the
// first word of each line holds the index of the next line's first word.
func cycle(buf []uint64, r *rand.Rand) {
	lines := len(buf) / lineWords
	order := r.Perm(lines)
	for i, line := range order {
		next := order[(i+1)%lines]
		buf[line*lineWords] = uint64(next * lineWords)
	}
}

// chase follows n pointers from word 0 and returns nanoseconds per load.
func chase(buf []uint64, n int) float64 {
	p := uint64(0)
	for i := 0; i < n/4; i++ { // warm up: caches and TLB as in steady state
		p = buf[p]
	}
	start := time.Now()
	for i := 0; i < n; i++ {
		p = buf[p]
	}
	elapsed := time.Since(start)
	runtime.KeepAlive(p) // the chase must happen
	return float64(elapsed.Nanoseconds()) / float64(n)
}

func main() {
	loads := flag.Int("loads", 4_000_000, "dependent loads per measurement")
	runs := flag.Int("runs", 3, "measurements per size; the median is printed")
	flag.Parse()
	if *loads < 1 || *runs < 1 {
		fmt.Fprintln(os.Stderr, "memlat: -loads and -runs must be at least 1")
		os.Exit(2)
	}
	r := rand.New(rand.NewPCG(7, 11))
	fmt.Println("| working set | ns per dependent random load (median of runs) |")
	fmt.Println("|---:|---:|")
	for _, mib := range []int{1, 4, 8, 16, 24, 32, 64, 128} {
		buf := make([]uint64, mib<<20/8)
		cycle(buf, r)
		var got []float64
		for range *runs {
			got = append(got, chase(buf, *loads))
		}
		slices.Sort(got)
		fmt.Printf("| %d MiB | %.1f |\n", mib, got[len(got)/2])
	}
}
