#!/bin/sh
# ceiling.sh: how small the edge Worker's wasm would be if the standard
# library's fmt and/or encoding/json cost nothing (issue 15). It builds
# cmd/edgeworker as components/edge/bundle does, with a go build -overlay
# that swaps the chosen packages for the do-nothing stand-ins beside this
# script, and prints gzip -9 of each wasm. The stand-in builds do not work
# (nothing decodes); they bound what replacing those packages can save.
#
#   sh cmd/edgeworker/build/testdata/ceiling/ceiling.sh [OUTDIR]
#
# Run from the repository root. Prints one line per build: name, raw bytes,
# gzip -9 bytes (the gzip CLI; bundle.GzipLen, which the build tool prints,
# comes out about 1% larger).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$(mktemp -d)}
mkdir -p "$out"
goroot=$(go env GOROOT)
overlay() { # overlay NAME PKGDIR STUB [PKGDIR STUB]...
	name=$1; shift
	{
		printf '{"Replace":{'
		sep=
		while [ $# -gt 0 ]; do
			for f in "$goroot/src/$1"/*.go; do
				case $f in *_test.go) continue ;; esac
				printf '%s"%s":""' "$sep" "$f"; sep=,
			done
			printf ',"%s":"%s"' "$goroot/src/$1/zz_ceiling_stub.go" "$here/$2"
			shift 2
		done
		printf '}}\n'
	} >"$out/$name.json"
}
overlay fmt fmt fmt.go
overlay json encoding/json json.go
overlay fmt+json fmt fmt.go encoding/json json.go
build() {
	GOOS=js GOARCH=wasm CGO_ENABLED=0 go build -tags cellfabric_nonethttp -trimpath -buildvcs=false \
		-ldflags='-s -w' ${2:+-overlay "$2"} -o "$out/$1.wasm" ./cmd/edgeworker
	printf '%-10s %9d %9d\n' "$1" "$(wc -c <"$out/$1.wasm")" "$(gzip -9 -c "$out/$1.wasm" | wc -c)"
}
build worker
for n in fmt json fmt+json; do build "$n" "$out/$n.json"; done
