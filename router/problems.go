package router

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a registry document or stack outputs,
// located by its JSON path (for example `tenants[3].cell`).
type Problem struct {
	// Path is the JSON path of the bad field; empty for the whole document.
	Path string
	// Msg says what is wrong and, where it helps, what to do.
	Msg string
}

func (p Problem) Error() string {
	if p.Path == "" {
		return p.Msg
	}
	return p.Path + ": " + p.Msg
}

// Problems is every problem found in one pass. It prints the first
// MaxProblems, one per line, and unwraps to all of them (the errors.Join
// contract), so errors.As and errors.Is see each.
type Problems []Problem

func (ps Problems) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d problem(s) in the registry:", len(ps))
	for i, p := range ps {
		if i == MaxProblems {
			fmt.Fprintf(&b, "\n  ... and %d more", len(ps)-MaxProblems)
			break
		}
		b.WriteString("\n  ")
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap exposes the individual problems.
func (ps Problems) Unwrap() []error {
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = p
	}
	return errs
}

// problems collects Problems during a validation pass.
type problems struct{ ps Problems }

func (c *problems) add(path, format string, args ...any) {
	c.ps = append(c.ps, Problem{Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (c *problems) err() error {
	if len(c.ps) == 0 {
		return nil
	}
	return c.ps
}
