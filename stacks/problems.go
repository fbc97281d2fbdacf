package stacks

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a topology, located by its config path
// (for example "cells[1].cidr").
type Problem struct {
	Path string
	Msg  string
}

func (p Problem) Error() string {
	if p.Path == "" {
		return p.Msg
	}
	return p.Path + ": " + p.Msg
}

// Problems is every problem found in one pass. It is an error that prints one
// problem per line and unwraps to the individual problems, so errors.As and
// errors.Is see each of them.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return fmt.Sprintf("%d problem(s) in the stack configuration:\n  %s", len(ps), strings.Join(lines, "\n  "))
}

// Unwrap exposes the individual problems (the errors.Join contract).
func (ps Problems) Unwrap() []error {
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = p
	}
	return errs
}

// collector gathers problems while a validation pass walks the topology.
type collector struct{ ps Problems }

func (c *collector) add(path, format string, args ...any) {
	c.ps = append(c.ps, Problem{Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (c *collector) err() error {
	if len(c.ps) == 0 {
		return nil
	}
	return c.ps
}
