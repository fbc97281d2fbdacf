package fabric

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

var errKind = errors.New("some kind")

func TestCollector(t *testing.T) {
	t.Parallel()
	var c Collector
	if c.Err() != nil {
		t.Fatal("an empty collector returns an error")
	}
	c.In = "the stack configuration"
	c.Add("cells[1].cidr", "%s overlaps cells[%d]", "10.0.0.0/16", 0)
	c.AddKind(errKind, "cells[2].asn", "missing")
	c.Add("", "no cells")
	err := c.Err()
	want := "3 problem(s) in the stack configuration:\n  cells[1].cidr: 10.0.0.0/16 overlaps cells[0]\n  cells[2].asn: missing\n  no cells"
	if err == nil || err.Error() != want {
		t.Fatalf("error:\n%v\nwant:\n%s", err, want)
	}
	var ps Problems
	if !errors.As(err, &ps) || len(ps.List) != 3 {
		t.Fatalf("errors.As(Problems) = %v, %d problems", errors.As(err, &ps), len(ps.List))
	}
	if !errors.Is(err, errKind) {
		t.Error("errors.Is does not see a problem's kind")
	}
	var p Problem
	if !errors.As(err, &p) || p.Path != "cells[1].cidr" {
		t.Errorf("errors.As(Problem) = %+v", p)
	}
	wrapped := fmt.Errorf("synth: %w", err)
	if !errors.Is(wrapped, errKind) || !errors.As(wrapped, &ps) {
		t.Error("a wrapped Problems loses its problems")
	}
}

func TestProblemsCap(t *testing.T) {
	t.Parallel()
	var c Collector
	for i := range MaxProblems + 5 {
		c.Add(fmt.Sprintf("tenants[%d].cell", i), "unknown cell")
	}
	msg := c.Err().Error()
	if !strings.HasPrefix(msg, fmt.Sprintf("%d problem(s):", MaxProblems+5)) {
		t.Errorf("heading: %q", strings.SplitN(msg, "\n", 2)[0])
	}
	if got := strings.Count(msg, "unknown cell"); got != MaxProblems {
		t.Errorf("%d problems printed, want %d", got, MaxProblems)
	}
	if !strings.HasSuffix(msg, "... and 5 more") {
		t.Errorf("no summary of the rest: ...%q", msg[len(msg)-40:])
	}
}
