package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/infra/synth"
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

// synthDevPlan writes the JSON plan of the dev stack (`cellfabric synth
// --stack dev --format json`, run in-process) to a file and returns its
// path and content.
func synthDevPlan(t *testing.T) (string, []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plan.json")
	if code, _, errOut := runCLI("synth", "--stack", "dev", "--dir", "../..", "--format", "json", "--out", path); code != 0 {
		t.Fatalf("synth: exit %d: %s", code, errOut)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, data
}

// TestRegistryCommandFromSynthPlan: `cellfabric registry --from plan.json`
// reads the stack outputs of a synth plan and builds the very registry the
// plan's edge component computed (the `registry` output), byte for byte.
func TestRegistryCommandFromSynthPlan(t *testing.T) {
	t.Parallel()
	path, data := synthDevPlan(t)
	var plan struct {
		Outputs struct {
			Registry string `json:"registry"`
		} `json:"outputs"`
	}
	if err := json.Unmarshal(data, &plan); err != nil {
		t.Fatal(err)
	}
	edge, err := router.Parse([]byte(plan.Outputs.Registry))
	if err != nil {
		t.Fatalf("the plan's registry output: %v", err)
	}
	code, out, errOut := runCLI("registry", "--from", path, "--epoch", strconv.FormatInt(edge.Epoch, 10))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if out != plan.Outputs.Registry {
		t.Errorf("registry from the plan differs from the plan's registry output:\n%s\nwant:\n%s", out, plan.Outputs.Registry)
	}
	reg, err := router.Parse([]byte(out))
	if err != nil || len(reg.Cells) != 4 || len(reg.Tenants) != 7 {
		t.Fatalf("registry from the plan: %v %+v", err, reg)
	}
	// The user is told the endpoints come from the mock engine.
	if !strings.Contains(errOut, "synth plan") || !strings.Contains(errOut, "pulumi stack output --json") {
		t.Errorf("no warning about a synth plan's endpoints on stderr: %q", errOut)
	}
}

func TestRegistryCommandSynthPlanErrors(t *testing.T) {
	t.Parallel()
	_, plan := synthDevPlan(t)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	endpoint := `"endpoint": "https://aws-use1.cells.cellfabric.example.com"`
	if !bytes.Contains(plan, []byte(endpoint)) {
		t.Fatalf("the dev plan has no %s", endpoint)
	}
	masked := write("masked.json", strings.Replace(string(plan), endpoint, `"endpoint": "[secret]"`, 1))
	noCells := write("nocells.json", `{"project":"cellfabric","stack":"edge","role":"edge","resources":[],"outputs":{"registry":"x"}}`)
	dupPlan := write("dup.json", strings.Replace(string(plan), `"outputs": {`, `"outputs": {"cells": {},`, 1))
	metadata := write("metadata.json", strings.Replace(string(plan), endpoint, `"endpoint": "http://169.254.169.254"`, 1))
	pulumiMasked := write("pulumi-masked.json", `{"cells":"[secret]","routing":{"tenants":[]}}`)
	tests := []struct {
		name, path, wantErr string
	}{
		{name: "masked endpoint", path: masked, wantErr: `cells.aws-use1.endpoint: the value is masked as "[secret]"`},
		{name: "plan without cells", path: noCells, wantErr: `a cellfabric synth plan of stack "edge"`},
		{name: "duplicate key in the plan", path: dupPlan, wantErr: `outputs.cells: duplicate key "cells"`},
		{name: "metadata endpoint", path: metadata, wantErr: `cells.aws-use1.endpoint: "http://169.254.169.254": 169.254.169.254 is a link-local address`},
		{name: "pulumi output masked", path: pulumiMasked, wantErr: "--show-secrets"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI("registry", "--from", tt.path, "--epoch", "5")
			if code != 1 || out != "" || !strings.Contains(errOut, tt.wantErr) {
				t.Fatalf("exit %d, stdout %d bytes, stderr %q; want 1 and %q", code, len(out), errOut, tt.wantErr)
			}
		})
	}
}

// TestMaskedMarkersAgree: synth masks secrets with the marker the router
// recognises in stack outputs (Pulumi's own), so a masked cell output in a
// plan is reported as masked rather than as a bad value.
func TestMaskedMarkersAgree(t *testing.T) {
	t.Parallel()
	if synth.Masked != router.MaskedSecret {
		t.Fatalf("synth.Masked = %q, router.MaskedSecret = %q", synth.Masked, router.MaskedSecret)
	}
}
