package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router"
)

const devOutputs = "../../router/testdata/outputs-dev.json"

// TestRegistryCommandGolden: the command builds exactly what
// router.FromStackOutputs builds (the router package's golden file).
func TestRegistryCommandGolden(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI("registry", "--from", devOutputs, "--epoch", "1700000000")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want, err := os.ReadFile("../../router/testdata/registry-dev.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Errorf("output differs from the router golden file:\n%s", out)
	}
}

func TestRegistryCommandDefaultEpochAndOut(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "registry.json")
	before := time.Now().Unix()
	code, out, errOut := runCLI("registry", "--from", devOutputs, "--out", path)
	if code != 0 || out != "" || !strings.Contains(errOut, "wrote "+path) {
		t.Fatalf("exit %d out %q err %q", code, out, errOut)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := router.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if reg.Epoch < before || reg.Epoch > time.Now().Unix() {
		t.Errorf("default epoch %d is not the current Unix time", reg.Epoch)
	}
}

func TestRegistryCommandErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var dev map[string]any
	data, _ := os.ReadFile(devOutputs)
	json.Unmarshal(data, &dev)
	routing := dev["routing"].(map[string]any)
	routing["tenants"].([]any)[3].(map[string]any)["cell"] = "x"
	bad, _ := json.Marshal(dev)
	badPath := filepath.Join(dir, "bad.json")
	os.WriteFile(badPath, bad, 0o644)
	truncPath := filepath.Join(dir, "trunc.json")
	os.WriteFile(truncPath, data[:len(data)/2], 0o644)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{name: "unknown cell", args: []string{"--from", badPath}, wantCode: 1, wantErr: `routing.tenants[3].cell: unknown cell "x"`},
		{name: "truncated", args: []string{"--from", truncPath}, wantCode: 1, wantErr: "decoding stack outputs"},
		{name: "missing file", args: []string{"--from", filepath.Join(dir, "nope.json")}, wantCode: 1, wantErr: "no such file"},
		{name: "no --from", args: nil, wantCode: 2, wantErr: "usage: cellfabric registry"},
		{name: "bad flag", args: []string{"--frm", "x"}, wantCode: 2, wantErr: "flag provided but not defined"},
		{name: "negative epoch", args: []string{"--from", devOutputs, "--epoch", "-3"}, wantCode: 1, wantErr: "epoch: must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(append([]string{"registry"}, tt.args...)...)
			if code != tt.wantCode || !strings.Contains(errOut, tt.wantErr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, errOut, tt.wantCode, tt.wantErr)
			}
			if tt.wantCode == 1 && out != "" {
				t.Errorf("printed a registry despite errors: %s", out)
			}
		})
	}
	_ = bytes.MinRead
}
