package plan

import (
	"errors"
	"fmt"
	"strings"
)

// Kinds of problem, for errors.Is. Every Problem unwraps to one of them.
var (
	ErrCell        = errors.New("invalid cell")                  // id, cloud, region or CIDR missing or malformed
	ErrDuplicateID = errors.New("duplicate cell id")             // two cells share an id
	ErrOverlap     = errors.New("overlapping cell CIDRs")        // two cells' blocks overlap (or one overlaps 169.254.0.0/16)
	ErrASN         = errors.New("invalid ASN")                   // missing, not private, or reserved by a cloud
	ErrASNClash    = errors.New("ASN used twice")                // two cells share an ASN
	ErrOneCloud    = errors.New("mesh needs two clouds")         // all cells are on one cloud
	ErrExhausted   = errors.New("inside address pool exhausted") // too many pairs for a pool
	ErrTunnels     = errors.New("invalid Azure↔GCP tunnel count")
	ErrIKE         = errors.New("invalid IKE version")
	ErrNameClash   = errors.New("generated names clash") // two pairs would get the same resource names
)

// Problem is one thing wrong with an Input, located by the path of the bad
// field (for example "cells[2].asn").
type Problem struct {
	Path string
	Kind error
	Msg  string
}

func (p Problem) Error() string {
	if p.Path == "" {
		return p.Msg
	}
	return p.Path + ": " + p.Msg
}

// Unwrap returns the problem's kind, so errors.Is(err, ErrASN) works.
func (p Problem) Unwrap() error { return p.Kind }

// Problems is every problem found in one pass. It prints one per line and
// unwraps to each of them (the errors.Join contract).
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return fmt.Sprintf("vpn mesh: %d problem(s):\n  %s", len(ps), strings.Join(lines, "\n  "))
}

// Unwrap exposes the individual problems.
func (ps Problems) Unwrap() []error {
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = p
	}
	return errs
}

type collector struct{ ps Problems }

func (c *collector) add(path string, kind error, format string, args ...any) {
	c.ps = append(c.ps, Problem{Path: path, Kind: kind, Msg: fmt.Sprintf(format, args...)})
}

func (c *collector) err() error {
	if len(c.ps) == 0 {
		return nil
	}
	return c.ps
}
