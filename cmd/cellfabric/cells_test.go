package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/control/directory"
)

// runCells runs `cellfabric cells args...` against the server.
func (s *dirServer) runCells(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	args = append(args, "--api", s.srv.URL, "--key-file", s.keyFile)
	var out, errb bytes.Buffer
	code := cellsMain(ctx, args, &out, &errb, noEnv)
	if strings.Contains(out.String()+errb.String(), string(tenantsTestKey.Secret)) {
		t.Fatal("the control key's secret was printed")
	}
	return code, out.String(), errb.String()
}

// drain closes a cell to placements through a real control API; list
// shows it; undrain opens it again.
func TestCellsDrainUndrain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newDirServer(t, nil)
	// acme lives on aws-use1 before the drain.
	code, _, errs := s.run(t, ctx, "add", "acme", "--cell", "aws-use1")
	if code != 0 {
		t.Fatalf("add: %d %s", code, errs)
	}

	code, out, errs := s.runCells(t, ctx, "drain", "aws-use1", "--reason", "hardware refresh")
	if code != 0 || !strings.Contains(out, "cell aws-use1 drained: closed to new tenants") || !strings.Contains(out, "its 1 tenants stay") {
		t.Fatalf("drain: %d %q %q", code, out, errs)
	}
	if closed, _ := s.dir.Closed(ctx); !closed["aws-use1"] || len(closed) != 1 {
		t.Fatalf("after drain, Closed = %v", closed)
	}
	// The directory places no new tenant there (aws-use1 would be first
	// among the us cells otherwise); acme stays.
	code, out, errs = s.run(t, ctx, "place", "newco", "--residency", "us", "-o", "json")
	if code != 0 || !strings.Contains(out, `"cell": "gcp-usc1"`) {
		t.Fatalf("place while drained: %d %q %q", code, out, errs)
	}
	if e, _ := s.entry(t, "acme"); e.Cell != "aws-use1" || e.Epoch != 1 {
		t.Fatalf("acme after the drain: %+v", e)
	}

	code, out, errs = s.runCells(t, ctx, "list")
	if code != 0 {
		t.Fatalf("list: %d %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "CELL") {
		t.Fatalf("list:\n%s", out)
	}
	if f := strings.Fields(lines[1]); f[0] != "aws-use1" || f[2] != "closed" || f[4] != "1" || !strings.HasSuffix(lines[1], "hardware refresh") {
		t.Fatalf("aws-use1 listed as %q", lines[1])
	}
	if f := strings.Fields(lines[4]); f[0] != "gcp-usc1" || f[2] != "open" || f[3] != "-" || f[4] != "1" {
		t.Fatalf("gcp-usc1 listed as %q", lines[4])
	}
	code, out, _ = s.runCells(t, ctx, "list", "-o", "json")
	var cells []directory.CellPlacement
	if err := json.Unmarshal([]byte(out), &cells); code != 0 || err != nil || len(cells) != 4 || cells[0].Placement != directory.PlacementClosed || cells[0].Reason != "hardware refresh" {
		t.Fatalf("list -o json: %d %v %s", code, err, out)
	}

	// Draining again keeps the flag (and when it was set); undrain opens
	// it (twice is fine).
	code, out, errs = s.runCells(t, ctx, "drain", "aws-use1", "-o", "json")
	var again directory.CellPlacement
	if err := json.Unmarshal([]byte(out), &again); code != 0 || err != nil || again.Placement != directory.PlacementClosed || again.Since != cells[0].Since || again.Reason != "" {
		t.Fatalf("drain again -o json: %d %v %q %q", code, err, out, errs)
	}
	for range 2 {
		code, out, errs = s.runCells(t, ctx, "undrain", "aws-use1")
		if code != 0 || out != "cell aws-use1 undrained: open to new tenants\n" {
			t.Fatalf("undrain: %d %q %q", code, out, errs)
		}
	}
	code, out, _ = s.run(t, ctx, "place", "after", "--residency", "us", "-o", "json")
	if code != 0 || !strings.Contains(out, `"cell": "aws-use1"`) {
		t.Fatalf("place after undrain: %d %q", code, out)
	}
}

func TestCellsErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newDirServer(t, nil)
	tests := []struct {
		name      string
		args      []string
		code      int
		fragments []string
	}{
		{name: "no cell", args: []string{"drain"}, code: 2, fragments: []string{"the CELL is required", "usage: cellfabric cells drain CELL"}},
		{name: "not a cell id", args: []string{"undrain", "AWS_1"}, code: 2, fragments: []string{`"AWS_1" is not a cell id`, "cellfabric cells list"}},
		{name: "reason too long", args: []string{"drain", "aws-use1", "--reason", strings.Repeat("x", 201)}, code: 2, fragments: []string{"--reason has 201 characters: give at most 200"}},
		{name: "undrain takes no reason", args: []string{"undrain", "aws-use1", "--reason", "x"}, code: 2, fragments: []string{"flag provided but not defined: -reason"}},
		{name: "list takes no cell", args: []string{"list", "aws-use1"}, code: 2, fragments: []string{`unexpected argument "aws-use1"`}},
		{name: "unknown subcommand", args: []string{"evict", "aws-use1"}, code: 2, fragments: []string{`unknown subcommand "evict": use one of drain, undrain, evacuate, list`}},
		{name: "cell not in the registry", args: []string{"drain", "aws-usw2"}, code: 1, fragments: []string{"cellfabric cells drain:", `cell "aws-usw2" is not in the registry`, "aws-use1, azure-weu", "unknown_cell"}},
		{name: "undrain a cell neither in the registry nor drained", args: []string{"undrain", "aws-usw2"}, code: 1, fragments: []string{"cellfabric cells undrain:", "unknown_cell"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errs := s.runCells(t, ctx, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stdout %q stderr %q", code, tt.code, out, errs)
			}
			for _, f := range tt.fragments {
				if !strings.Contains(errs, f) {
					t.Errorf("stderr %q does not contain %q", errs, f)
				}
			}
		})
	}
	if closed, _ := s.dir.Closed(ctx); len(closed) != 0 {
		t.Fatalf("refused commands closed %v", closed)
	}

	// The API unreachable, and a wrong key.
	var out, errb bytes.Buffer
	code := cellsMain(ctx, []string{"list", "--api", "http://127.0.0.1:1", "--key-file", s.keyFile}, &out, &errb, noEnv)
	if code != 1 || !strings.Contains(errb.String(), "unreachable") || !strings.Contains(errb.String(), "--api") {
		t.Fatalf("unreachable API: %d %q", code, errb.String())
	}
	errb.Reset()
	code = cellsMain(ctx, []string{"drain", "aws-use1", "--api", s.srv.URL}, &out, &errb, noEnv)
	if code != 1 || !strings.Contains(errb.String(), "no control key: pass --key-file") {
		t.Fatalf("no key: %d %q", code, errb.String())
	}
}
