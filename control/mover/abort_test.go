package mover

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/workload/state"
)

// TestAbortThenMoveAgain: a move stopped at drain (fenced) is aborted: the
// tenant is active on its source again at a raised epoch, unfenced,
// unlocked, writable; the target's copy is marked moved to the source.
// A new move to the same target then replaces that copy (keys deleted on
// the source meanwhile do not come back) and completes.
func TestAbortThenMoveAgain(t *testing.T) {
	k := newKit(t)
	k.seed(50)
	m := k.mover(nil)
	m.crashAt = func(s Step) bool { return s == StepDrain }
	if _, err := m.Move(context.Background(), k.options()); err == nil {
		t.Fatal("crashed move: no error")
	}
	ar, err := k.mover(nil).Abort(context.Background(), tenantID, "cell-b")
	if err != nil || ar.Step != StepDrain || !strings.Contains(ar.Left, "marked moved to cell-a") {
		t.Fatalf("abort: %+v, %v", ar, err)
	}
	e, _ := k.dir.Get(context.Background(), tenantID)
	if e.Cell != "cell-a" || e.EffectiveState() != fabric.TenantActive || e.Epoch != 3 {
		t.Errorf("directory %+v: want cell-a, active, epoch 3 (raised by the fence and its undo)", e)
	}
	src, _ := k.cells["cell-a"].Store.Meta(context.Background(), tenantID)
	tgt, _ := k.cells["cell-b"].Store.Meta(context.Background(), tenantID)
	if src.FenceAll || src.Moved || src.Lock != nil || src.Fence != 0 {
		t.Errorf("source meta %+v: want the fence as before the move, unlocked", src)
	}
	if !tgt.Moved || tgt.MovedTo != "cell-a" || tgt.Lock != nil {
		t.Errorf("target meta %+v: want its copy marked moved to cell-a, unlocked", tgt)
	}
	// The router polls the directory: until it reads the undo (epoch 3)
	// it still holds the fence's placement (migrating) and answers writes
	// 503, as it should. Then the write lands on the source.
	var status int
	var cell string
	var err2 error
	waitFor(t, "a write through the router after the abort", func() bool {
		status, cell, _, err2 = k.put(k.router, "after-abort", "y")
		return err2 == nil && status != http.StatusServiceUnavailable
	})
	if status != 201 || cell != "cell-a" {
		t.Errorf("write after the abort: %d from %s, want 201 from cell-a", status, cell)
	}
	if err := k.cells["cell-a"].Store.Delete(context.Background(), tenantID, "seed-7", state.Cond{}); err != nil {
		t.Fatal(err)
	}
	res, err := k.mover(nil).Move(context.Background(), k.options())
	if err != nil {
		t.Fatalf("second move: %v", err)
	}
	if res.Reconciled != 1 || !res.Verify.Match {
		t.Errorf("second move: %d left-over keys removed, verify %+v; want 1 (seed-7) and a match", res.Reconciled, res.Verify)
	}
	if _, err := k.cells["cell-b"].Store.Get(context.Background(), tenantID, "seed-7"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("seed-7, deleted on the source, on the target: %v, want not found", err)
	}
	// And back again: cell-a holds an older copy, marked moved.
	back := k.options()
	back.Target = "cell-a"
	if _, err := k.mover(nil).Move(context.Background(), back); err != nil {
		t.Fatalf("moving back: %v", err)
	}
	if it, err := k.cells["cell-a"].Store.Get(context.Background(), tenantID, "after-abort"); err != nil || string(it.Value) != "y" {
		t.Errorf("after moving back: %+v, %v", it, err)
	}
}

// TestAbortRefused: nothing to abort, a wrong target, and a move past its
// switch (only resuming finishes it).
func TestAbortRefused(t *testing.T) {
	k := newKit(t)
	k.seed(5)
	if _, err := k.mover(nil).Abort(context.Background(), tenantID, ""); err == nil || !strings.Contains(err.Error(), "nothing to abort") {
		t.Errorf("no move: %v", err)
	}
	m := k.mover(nil)
	m.crashAt = func(s Step) bool { return s == StepCopy }
	if _, err := m.Move(context.Background(), k.options()); err == nil {
		t.Fatal("crashed move: no error")
	}
	if _, err := k.mover(nil).Abort(context.Background(), tenantID, "cell-c"); err == nil || !strings.Contains(err.Error(), "not cell-c") {
		t.Errorf("wrong target: %v", err)
	}
	if _, err := k.mover(nil).Abort(context.Background(), tenantID, ""); err != nil {
		t.Fatalf("abort at copy: %v", err)
	}
	m.crashAt = func(s Step) bool { return s == StepVerify }
	if _, err := m.Move(context.Background(), k.options()); err == nil {
		t.Fatal("crashed move: no error")
	}
	if _, err := k.mover(nil).Abort(context.Background(), tenantID, "cell-b"); !errors.Is(err, ErrSwitched) {
		t.Errorf("abort after the switch: %v, want ErrSwitched", err)
	}
}

// TestPlan: a dry run says what each step will do and what would stop
// the move, and changes nothing.
func TestPlan(t *testing.T) {
	k := newKit(t)
	k.seed(40)
	p, err := k.mover(nil).Plan(context.Background(), k.options())
	if err != nil {
		t.Fatal(err)
	}
	if p.Keys != 40 || p.Position != 40 || p.Source != "cell-a" || len(p.Steps) != len(Steps) || len(p.Problems) != 0 {
		t.Errorf("plan %+v: want 40 keys at 40 on cell-a, every step, no problem", p)
	}
	if m, _ := k.cells["cell-a"].Store.Meta(context.Background(), tenantID); m.Lock != nil || m.FenceAll {
		t.Errorf("a dry run changed the source: %+v", m)
	}
	o := k.options()
	o.Target = "cell-z"
	p, err = k.mover(nil).Plan(context.Background(), o)
	if err == nil {
		t.Errorf("plan to an unknown cell: %+v, want an error (no state API for it)", p)
	}
	o.Target = "cell-a"
	k.cells["cell-b"].Store.Put(context.Background(), tenantID, "x", []byte("1"), state.Cond{})
	p, err = k.mover(nil).Plan(context.Background(), o)
	if err != nil || len(p.Problems) == 0 || !strings.Contains(strings.Join(p.Problems, "\n"), "already") {
		t.Errorf("plan to its own cell: %+v, %v; want a problem saying it is there already", p.Problems, err)
	}
	o.Target = "cell-b"
	p, _ = k.mover(nil).Plan(context.Background(), o)
	if !strings.Contains(strings.Join(p.Problems, "\n"), "holds 1 live keys") {
		t.Errorf("plan to a cell with the tenant's data: %v; want that problem", p.Problems)
	}
}

func TestParseJournal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"round trip", journal{Step: StepDrain, Epoch: 7, Fence: 2, From: "cell-a"}.String(), true},
		{"unknown step", "step=leap e=1 f=0 from=a", false},
		{"missing source", "step=copy e=1 f=0", false},
		{"bad epoch", "step=copy e=x f=0 from=a", false},
		{"not key=value", "copy", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, ok := parseJournal(tt.in)
			if ok != tt.ok || (ok && j.String() != tt.in) {
				t.Errorf("parseJournal(%q) = %+v, %t; want ok %t", tt.in, j, ok, tt.ok)
			}
		})
	}
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"valid", Options{Tenant: "acme", Target: "b"}, ""},
		{"no tenant", Options{Target: "b"}, "tenant: required"},
		{"no target", Options{Tenant: "acme"}, "target: required"},
		{"batch too large", Options{Tenant: "acme", Target: "b", ImportBatch: state.MaxImportBatch + 1}, "over the"},
		{"negative parallel", Options{Tenant: "acme", Target: "b", ImportParallel: -1}, "negative"},
		{"lock ttl too long", Options{Tenant: "acme", Target: "b", LockTTL: state.MaxLockLifetime + 1}, "lock ttl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.o.Validate()
			if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	_, err := New(Config{})
	for _, want := range []string{"directory: required", "cells: required", "registry: required"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New(Config{}) = %v, want %q", err, want)
		}
	}
}
