package fabric

import (
	"fmt"
	"strings"
)

// MaxProblems is how many problems an error lists one by one; the rest are
// summarised by their count, so a broken document of a million entries
// gives a readable error.
const MaxProblems = 100

// Problem is one thing wrong with an input, located by the path of the bad
// field: a config path ("cells[1].cidr"), a JSON path ("tenants[3].cell")
// or an outputs path ("cells.aws-use1.endpoint").
type Problem struct {
	// Path locates the bad field; empty for the input as a whole.
	Path string
	// Msg says what is wrong and, where it helps, what to do.
	Msg string
	// Kind is an optional sentinel error the problem unwraps to, so callers
	// can ask errors.Is(err, SomeKind). Nil: none.
	Kind error
}

func (p Problem) Error() string {
	if p.Path == "" {
		return p.Msg
	}
	return p.Path + ": " + p.Msg
}

// Unwrap returns the problem's kind (nil when it has none).
func (p Problem) Unwrap() error { return p.Kind }

// Problems is every problem found in one pass over an input. It prints the
// first MaxProblems, one per line, under a heading that names the input
// ("3 problem(s) in the stack configuration:"), and unwraps to each problem
// (the errors.Join contract), so errors.As and errors.Is see every one.
type Problems struct {
	// In names the input, for the heading: "the stack configuration",
	// "the registry". Empty: no name.
	In string
	// List holds the problems in the order they were found.
	List []Problem
}

func (ps Problems) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d problem(s)", len(ps.List))
	if ps.In != "" {
		b.WriteString(" in ")
		b.WriteString(ps.In)
	}
	b.WriteByte(':')
	for i, p := range ps.List {
		if i == MaxProblems {
			fmt.Fprintf(&b, "\n  ... and %d more", len(ps.List)-MaxProblems)
			break
		}
		b.WriteString("\n  ")
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap exposes the individual problems.
func (ps Problems) Unwrap() []error {
	errs := make([]error, len(ps.List))
	for i, p := range ps.List {
		errs[i] = p
	}
	return errs
}

// Collector gathers problems during a validation pass. The zero value is
// ready to use; In names the input for the error's heading.
type Collector struct {
	In   string
	list []Problem
}

// Add records a problem at path.
func (c *Collector) Add(path, format string, args ...any) {
	c.list = append(c.list, Problem{Path: path, Msg: fmt.Sprintf(format, args...)})
}

// AddKind records a problem at path that unwraps to kind.
func (c *Collector) AddKind(kind error, path, format string, args ...any) {
	c.list = append(c.list, Problem{Path: path, Msg: fmt.Sprintf(format, args...), Kind: kind})
}

// AddProblem records p as it is.
func (c *Collector) AddProblem(p Problem) { c.list = append(c.list, p) }

// Len is the number of problems so far.
func (c *Collector) Len() int { return len(c.list) }

// List returns the problems so far (not a copy).
func (c *Collector) List() []Problem { return c.list }

// Err returns the problems as a Problems error, or nil when there are none.
func (c *Collector) Err() error {
	if len(c.list) == 0 {
		return nil
	}
	return Problems{In: c.In, List: c.list}
}
