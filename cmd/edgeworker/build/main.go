// Command build builds the edge Worker bundle: the router compiled to wasm
// and its service-worker script.
//
//	go run ./cmd/edgeworker/build -o dist/
//
// writes dist/worker.js and dist/edge.wasm and prints their sizes. It is a
// thin wrapper around components/edge/bundle.Build. With -packages N it also
// builds the Worker with its symbols and prints the N packages with the most
// code in the module (sizes.go).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/cellfabric/cellfabric/components/edge/bundle"
)

func main() {
	out := flag.String("o", "dist", "directory to write "+bundle.ScriptFile+" and "+bundle.WasmFile+" to")
	packages := flag.Int("packages", 0, "also print the `N` packages with the most code in the wasm (a second build, with symbols)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	b, err := bundle.Build(ctx, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%s: %d bytes\n%s: %d bytes\ncompressed (gzip -9, both): %d bytes (free plan limit %d)\n",
		filepath.Join(*out, bundle.ScriptFile), len(b.Script),
		filepath.Join(*out, bundle.WasmFile), len(b.Wasm),
		b.GzipSize(), bundle.MaxGzipBytes)
	if b.GzipSize() > bundle.MaxGzipBytes {
		fmt.Fprintln(os.Stderr, "warning: over the Workers free plan's size limit")
	}
	if *packages > 0 {
		if err := printPackageSizes(ctx, os.Stdout, *packages); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
