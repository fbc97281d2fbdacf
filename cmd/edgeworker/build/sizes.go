package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cellfabric/cellfabric/components/edge/bundle"
)

// pkgSize is the code one package contributes to the wasm module.
type pkgSize struct {
	Pkg   string
	Bytes int // function bodies, raw
	Gzip  int // the same bodies concatenated, gzip -9
}

// printPackageSizes builds the Worker as bundle.Build does but without -s
// -w, so that the module keeps its name section, and prints the top
// packages by code size. (go tool nm does not read wasm.)
func printPackageSizes(ctx context.Context, w io.Writer, top int) error {
	tmp, err := os.MkdirTemp("", "cellfabric-edgeworker-sizes-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, bundle.WasmFile)
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", bundle.Tags, "-trimpath", "-buildvcs=false", "-o", out, bundle.Package)
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building the edge worker with its symbols: %w\n%s", err, bytes.TrimSpace(msg))
	}
	wasm, err := os.ReadFile(out)
	if err != nil {
		return err
	}
	sizes, total, err := packageSizes(wasm)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\ncode section by package (function bodies; data is not split by package): %d B in %d packages\n\n", total, len(sizes))
	fmt.Fprintf(w, "| # | package | code bytes | share | code gzipped alone |\n|---:|---|---:|---:|---:|\n")
	for i, s := range sizes[:min(top, len(sizes))] {
		fmt.Fprintf(w, "| %d | %s | %d | %.1f%% | %d |\n", i+1, s.Pkg, s.Bytes, 100*float64(s.Bytes)/float64(total), s.Gzip)
	}
	return nil
}

// packageSizes sums a Go wasm module's function bodies by the package in
// each function's name (the name section), largest first, with the total.
func packageSizes(wasm []byte) ([]pkgSize, int, error) {
	if !bytes.HasPrefix(wasm, []byte("\x00asm")) || len(wasm) < 8 {
		return nil, 0, errors.New("not a wasm module")
	}
	var imported int
	var bodies [][]byte
	names := map[int]string{}
	r := wasmReader{b: wasm[8:]}
	for !r.done() {
		id := r.byte()
		sec := wasmReader{b: r.bytes(int(r.uint()))}
		switch id {
		case 2: // imports: functions among them take the first indices
			for n := sec.uint(); n > 0 && sec.err == nil; n-- {
				sec.bytes(int(sec.uint()))
				sec.bytes(int(sec.uint()))
				switch sec.byte() {
				case 0:
					sec.uint()
					imported++
				case 1:
					sec.byte()
					sec.limits()
				case 2:
					sec.limits()
				case 3:
					sec.bytes(2)
				}
			}
		case 10: // code
			for n := sec.uint(); n > 0 && sec.err == nil; n-- {
				bodies = append(bodies, sec.bytes(int(sec.uint())))
			}
		case 0: // custom: the name section's function names
			if string(sec.bytes(int(sec.uint()))) != "name" {
				continue
			}
			for !sec.done() {
				sub := sec.byte()
				part := wasmReader{b: sec.bytes(int(sec.uint()))}
				if sub != 1 {
					continue
				}
				for n := part.uint(); n > 0 && part.err == nil; n-- {
					idx := int(part.uint())
					names[idx] = string(part.bytes(int(part.uint())))
				}
				if part.err != nil {
					return nil, 0, part.err
				}
			}
		}
		if sec.err != nil {
			return nil, 0, sec.err
		}
	}
	if r.err != nil {
		return nil, 0, r.err
	}
	if len(names) == 0 {
		return nil, 0, errors.New("the module has no function names: build it without -ldflags=-s")
	}
	code := map[string]*bytes.Buffer{}
	total := 0
	for i, body := range bodies {
		p := packageOf(names[imported+i])
		if code[p] == nil {
			code[p] = new(bytes.Buffer)
		}
		code[p].Write(body)
		total += len(body)
	}
	var out []pkgSize
	for p, buf := range code {
		out = append(out, pkgSize{Pkg: p, Bytes: buf.Len(), Gzip: bundle.GzipLen(buf.Bytes())})
	}
	slices.SortFunc(out, func(a, b pkgSize) int { return b.Bytes - a.Bytes })
	return out, total, nil
}

// packageOf returns the import path in a function name as the Go linker
// writes it for wasm ('/' and ':' become '_', "github.com_o_r_pkg.(*T).M"),
// with the slashes back (so a package whose own name holds '_' reads as a
// path). Generated equality functions ("type_.eq.T", from "type:.eq.T") are
// grouped as "type:".
func packageOf(name string) string {
	if strings.HasPrefix(name, "type_.") {
		return "type:"
	}
	host := 0
	for _, h := range []string{"github.com_", "golang.org_", "go.opentelemetry.io_"} {
		if strings.HasPrefix(name, h) {
			host = len(h)
		}
	}
	dot := strings.IndexByte(name[host:], '.')
	if dot < 0 {
		return name
	}
	return strings.ReplaceAll(name[:host+dot], "_", "/")
}

// wasmReader reads the parts of a wasm module; the first error sticks.
type wasmReader struct {
	b   []byte
	err error
}

func (r *wasmReader) done() bool { return len(r.b) == 0 || r.err != nil }

func (r *wasmReader) byte() byte {
	if len(r.b) == 0 {
		r.fail()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *wasmReader) uint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *wasmReader) bytes(n int) []byte {
	if n < 0 || n > len(r.b) {
		r.fail()
		return nil
	}
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}

// limits reads a memory or table limit: a flag, a minimum and, with flag
// bit 0, a maximum.
func (r *wasmReader) limits() {
	hasMax := r.byte()&1 != 0
	r.uint()
	if hasMax {
		r.uint()
	}
}

func (r *wasmReader) fail() {
	if r.err == nil {
		r.err = errors.New("the wasm module is cut short or malformed")
	}
	r.b = nil
}
