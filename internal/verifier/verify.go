package verifier

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
)

// Outcome is what Verify found at one key.
type Outcome string

// The outcomes of a key.
const (
	// OK: the key holds its last acknowledged value, or one of the writes
	// that failed after it (which may land), or (never acknowledged)
	// nothing.
	OK Outcome = "ok"
	// Lost: a write of the key was acknowledged and the key is missing.
	Lost Outcome = "lost"
	// Mismatched: the key holds a value that is neither its last
	// acknowledged one nor a failed write's since: an older value (a lost
	// update) or one no writer wrote.
	Mismatched Outcome = "mismatched"
)

// Problem is one key that is lost or mismatched.
type Problem struct {
	Key     string
	Outcome Outcome
	// Want is the last acknowledged value; Got what was read (nil:
	// missing).
	Want, Got []byte
}

func (p Problem) String() string {
	return fmt.Sprintf("%s %s: want %q, got %q", p.Key, p.Outcome, p.Want, p.Got)
}

// Report is the result of Verify.
type Report struct {
	Stats
	// Keys is how many keys were read back (every key a write was
	// attempted on).
	Keys int
	// OK, Lost and Mismatched count the keys by outcome; FailedLanded
	// counts the OK keys that hold the value of a write that failed (it
	// landed although its answer said otherwise, or never came).
	OK, Lost, Mismatched, FailedLanded int
	// Problems are the first lost or mismatched keys, in key order.
	Problems []Problem
}

// Clean reports whether writes were acknowledged and none of them was
// lost or overwritten. A run with no acknowledged write proves nothing,
// and is not clean.
func (r Report) Clean() bool { return r.Acknowledged > 0 && r.Lost == 0 && r.Mismatched == 0 }

func (r Report) String() string {
	return fmt.Sprintf("%d writes acknowledged, %d failed %v, longest gap %v; %d keys read back: %d ok (%d hold a failed write), %d lost, %d mismatched",
		r.Acknowledged, r.Failed, r.FailedBy, r.LongestGap, r.Keys, r.OK, r.FailedLanded, r.Lost, r.Mismatched)
}

// ErrRunning is Verify's answer while the writers still write.
var ErrRunning = errors.New("verifier: stop the writers before verifying")

// Verify reads every key a write was attempted on back from the target and
// counts the outcomes. Call it after Stop. A read that fails is an error
// (the key's outcome is unknown), not a loss: retry Verify.
func (w *Writer) Verify(ctx context.Context) (Report, error) {
	w.mu.Lock()
	if !w.stopped {
		w.mu.Unlock()
		return Report{}, ErrRunning
	}
	keys := make([]string, 0, len(w.keys))
	for k := range w.keys {
		keys = append(keys, k)
	}
	w.mu.Unlock()
	slices.Sort(keys)
	r := Report{Stats: w.Stats(), Keys: len(keys)}
	for _, k := range keys {
		got, found, err := w.cfg.Target.Get(ctx, k)
		if err != nil {
			return r, fmt.Errorf("verifier: reading %s back: %w", k, err)
		}
		ks := w.keys[k] // the writers stopped: no one writes the map
		if !found {
			got = nil
		}
		o, landed := judge(ks, got, found)
		switch o {
		case OK:
			r.OK++
			if landed {
				r.FailedLanded++
			}
			continue
		case Lost:
			r.Lost++
		case Mismatched:
			r.Mismatched++
		}
		if len(r.Problems) < maxProblems {
			r.Problems = append(r.Problems, Problem{Key: k, Outcome: o, Want: ks.acked, Got: got})
		}
	}
	return r, nil
}

// judge decides a key's outcome from what the writers know and what was
// read; landed is true when the value read is a failed write's.
func judge(ks *keyState, got []byte, found bool) (o Outcome, landed bool) {
	if !found {
		if ks.acked != nil {
			return Lost, false
		}
		return OK, false
	}
	if ks.acked != nil && bytes.Equal(got, ks.acked) {
		return OK, false
	}
	for _, v := range ks.since {
		if bytes.Equal(got, v) {
			return OK, true
		}
	}
	return Mismatched, false
}
