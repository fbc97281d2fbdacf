package main

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// module builds a wasm module with one imported function, the given
// function bodies and, when named, a name section naming them.
func module(named bool, bodies ...[]byte) []byte {
	sec := func(id byte, p []byte) []byte {
		return append(binary.AppendUvarint([]byte{id}, uint64(len(p))), p...)
	}
	str := func(b []byte, s string) []byte { return append(binary.AppendUvarint(b, uint64(len(s))), s...) }
	m := []byte("\x00asm\x01\x00\x00\x00")
	imp := binary.AppendUvarint(nil, 1)
	imp = str(imp, "go")
	imp = str(imp, "debug")
	imp = append(imp, 0, 0) // a function of type 0
	m = append(m, sec(2, imp)...)
	code := binary.AppendUvarint(nil, uint64(len(bodies)))
	for _, b := range bodies {
		code = append(binary.AppendUvarint(code, uint64(len(b))), b...)
	}
	m = append(m, sec(10, code)...)
	if named {
		fns := binary.AppendUvarint(nil, 3)
		for i, n := range []string{"go.debug", "github.com_cellfabric_cellfabric_router.(*Store).Update", "fmt.Sprintf"} {
			fns = str(binary.AppendUvarint(fns, uint64(i)), n)
		}
		name := str(nil, "name")
		name = append(name, 1)
		name = append(binary.AppendUvarint(name, uint64(len(fns))), fns...)
		m = append(m, sec(0, name)...)
	}
	return m
}

func TestPackageSizes(t *testing.T) {
	sizes, total, err := packageSizes(module(true, bytes.Repeat([]byte{1}, 30), bytes.Repeat([]byte{2}, 10)))
	if err != nil {
		t.Fatal(err)
	}
	if total != 40 || len(sizes) != 2 || sizes[0].Pkg != "github.com/cellfabric/cellfabric/router" || sizes[0].Bytes != 30 || sizes[1].Pkg != "fmt" || sizes[1].Bytes != 10 || sizes[0].Gzip == 0 {
		t.Fatalf("packageSizes = %+v, %d", sizes, total)
	}
}

func TestPackageSizesRefuses(t *testing.T) {
	whole := module(true, []byte{1, 2, 3})
	tests := []struct {
		name string
		wasm []byte
	}{
		{"not wasm", []byte("hello, world")},
		{"cut short", whole[:len(whole)-3]},
		{"no names (built with -s)", module(false, []byte{1, 2, 3})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := packageSizes(tt.wasm); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestPackageOf(t *testing.T) {
	tests := []struct{ name, want string }{
		{"runtime.mallocgc", "runtime"},
		{"encoding_json.__decodeState_.object", "encoding/json"},
		{"github.com_cellfabric_cellfabric_control_directory.__Directory_.serve", "github.com/cellfabric/cellfabric/control/directory"},
		{"type_.eq.main.attempt", "type:"},
		{"noDot", "noDot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := packageOf(tt.name); got != tt.want {
				t.Fatalf("packageOf(%q) = %q, want %q", tt.name, got, tt.want)
			}
		})
	}
}
