package mover

import (
	"fmt"
	"strconv"
	"strings"
)

// Step is a step of the move, in order.
type Step string

// The steps of a move (docs/design/moving-tenants.md).
const (
	StepCheck  Step = "check"
	StepCopy   Step = "copy"
	StepFollow Step = "follow"
	StepFence  Step = "fence"
	StepDrain  Step = "drain"
	StepSwitch Step = "switch"
	StepVerify Step = "verify"
	StepDone   Step = "done"
)

// Steps lists the steps in order.
var Steps = []Step{StepCheck, StepCopy, StepFollow, StepFence, StepDrain, StepSwitch, StepVerify, StepDone}

func (s Step) index() int {
	for i, v := range Steps {
		if v == s {
			return i
		}
	}
	return -1
}

// Before reports whether s comes before o.
func (s Step) Before(o Step) bool { return s.index() < o.index() }

// journal is what a move keeps in its lock's Step field: the step it
// reached and what it needs to resume or undo the move.
//
//	step=fence e=7 f=0 from=cell-a
type journal struct {
	Step Step
	// Epoch is the tenant's directory epoch when the move began.
	Epoch int64
	// Fence is the source's fence before the move (restored on abort).
	Fence int64
	// From is the source cell.
	From string
}

func (j journal) String() string {
	return fmt.Sprintf("step=%s e=%d f=%d from=%s", j.Step, j.Epoch, j.Fence, j.From)
}

// parseJournal reads a lock's Step; ok is false when it is not a journal
// this package wrote.
func parseJournal(s string) (journal, bool) {
	var j journal
	seen := 0
	for _, f := range strings.Fields(s) {
		k, v, found := strings.Cut(f, "=")
		if !found {
			return journal{}, false
		}
		var err error
		switch k {
		case "step":
			j.Step = Step(v)
			if j.Step.index() < 0 {
				return journal{}, false
			}
		case "e":
			j.Epoch, err = strconv.ParseInt(v, 10, 64)
		case "f":
			j.Fence, err = strconv.ParseInt(v, 10, 64)
		case "from":
			j.From = v
		default:
			continue
		}
		if err != nil {
			return journal{}, false
		}
		seen++
	}
	return j, seen == 4 && j.From != ""
}
