package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/observe"
	"github.com/cellfabric/cellfabric/stacks"
)

// TestObserveWritesBothFiles runs `cellfabric observe --stack dev` into a
// fresh directory: it says what it wrote, and wrote what the observe
// package generates for the dev stack.
func TestObserveWritesBothFiles(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "new", "dir")
	code, stdout, stderr := runCLI("observe", "--stack", "dev", "--dir", "../..", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	for _, want := range []string{
		"wrote " + filepath.Join(out, "rules.yml") + " (",
		"alerts for 4 cells)",
		"wrote " + filepath.Join(out, "dashboard.json") + " (",
		"a fleet row and 4 cell rows)",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	topo, err := stacks.LoadFile("../../Pulumi.dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rules, err := observe.Rules(topo)
	if err != nil {
		t.Fatal(err)
	}
	want, err := rules.Marshal("dev")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(out, "rules.yml"))
	if err != nil || string(got) != string(want) {
		t.Errorf("rules.yml is not the dev stack's rules (%v)", err)
	}
	raw, err := os.ReadFile(filepath.Join(out, "dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d observe.Dashboard
	if err := json.Unmarshal(raw, &d); err != nil || d.UID != "cellfabric-dev" {
		t.Errorf("dashboard.json: uid %q, %v", d.UID, err)
	}
}

// TestObserveErrors: a usage mistake exits 2 with the usage, a stack that
// cannot be read or held to its SLO exits 1 with the path and what to do,
// and nothing is written.
func TestObserveErrors(t *testing.T) {
	t.Parallel()
	lowSLO := filepath.Join(t.TempDir(), "Pulumi.low.yaml")
	if err := os.WriteFile(lowSLO, []byte(`config:
  cellfabric:observe:
    slo: 90
  cellfabric:cells:
    - {id: aws-use1, cloud: aws, region: us-east-1, cidr: 10.10.0.0/16, image: i, hostname: a.example.com}
  cellfabric:edge:
    disabled: true
`), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no stack", nil, 2, "give exactly one of --stack NAME or --config FILE"},
		{"both", []string{"--stack", "dev", "--config", "x.yaml"}, 2, "give exactly one"},
		{"stray argument", []string{"--stack", "dev", "extra"}, 2, `unexpected argument "extra"`},
		{"missing stack file", []string{"--stack", "nope", "--dir", "../.."}, 1, "observe: reading the topology from ../../Pulumi.nope.yaml"},
		{"invalid stack", []string{"--config", "../../examples/invalid/Pulumi.invalid.yaml"}, 1, "cells[2].cloud: unknown cloud"},
		{"an SLO no alert can hold", []string{"--config", lowSLO}, 1, "observe.slo: 90 leaves an error budget of 10%"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := t.TempDir()
			code, stdout, stderr := runCLI(append([]string{"observe", "--out", out}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr:\n%s\nwant %d and %q", code, stderr, tc.code, tc.want)
			}
			if entries, _ := os.ReadDir(out); len(entries) != 0 || stdout != "" {
				t.Errorf("a failed observe wrote %d files, printed %q", len(entries), stdout)
			}
		})
	}
}
