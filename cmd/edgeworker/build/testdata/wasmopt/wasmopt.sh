#!/bin/sh
# wasmopt.sh: what Binaryen's wasm-opt does to the edge Worker (issue 15).
# It builds the bundle (go run ./cmd/edgeworker/build), then writes one
# bundle directory per optimisation level, the same worker.js beside
# edge.wasm after `wasm-opt -LEVEL`, and prints for each: raw and gzip -9
# bytes of edge.wasm and how long wasm-opt took.
#
#   sh cmd/edgeworker/build/testdata/wasmopt/wasmopt.sh [OUTDIR] [LEVEL...]
#
# Run from the repository root. LEVELs default to Oz Os O2. wasm-opt is
# $WASM_OPT, else the binaryen npm package (a pinned version, run with
# Node) installed once under OUTDIR/binaryen with npm. The directories are
# what `go run ./cmd/edgeworker/bench -compare DIR,...`, `bench -bundle
# DIR` and CELLFABRIC_TEST_WORKER_BUNDLE=DIR go test ./cmd/edgeworker
# take (BENCHMARKS.md, "Issue 15, Worker: wasm-opt and the control split").
set -eu
binaryen=132.0.0
out=${1:-$(mktemp -d)}
[ $# -gt 0 ] && shift
levels=${*:-Oz Os O2}
mkdir -p "$out"
wasmopt=${WASM_OPT:-$out/binaryen/node_modules/binaryen/bin/wasm-opt}
if [ ! -x "$wasmopt" ]; then
	npm install --prefix "$out/binaryen" --no-save --no-audit --no-fund --loglevel=error "binaryen@$binaryen" >&2
fi
# Go's wasm uses bulk memory (memory.copy, memory.fill), the non-trapping
# float-to-int conversions and sign extension, whatever GOWASM says:
# wasm-opt refuses the module unless they are enabled.
features="--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals"
go run ./cmd/edgeworker/build -o "$out/go" >/dev/null
printf '%-6s %9s %9s %8s\n' build raw gzip-9 seconds
printf '%-6s %9d %9d %8s\n' go "$(wc -c <"$out/go/edge.wasm")" "$(gzip -9 -c "$out/go/edge.wasm" | wc -c)" -
for l in $levels; do
	mkdir -p "$out/$l"
	cp "$out/go/worker.js" "$out/$l/worker.js"
	t0=$(date +%s.%N)
	"$wasmopt" "$out/go/edge.wasm" $features "-$l" -o "$out/$l/edge.wasm"
	t1=$(date +%s.%N)
	printf '%-6s %9d %9d %8.1f\n' "$l" "$(wc -c <"$out/$l/edge.wasm")" "$(gzip -9 -c "$out/$l/edge.wasm" | wc -c)" "$(awk "BEGIN { print $t1 - $t0 }")"
done
