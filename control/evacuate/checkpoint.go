package evacuate

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/cellfabric/cellfabric/internal/atomicfile"
)

// Checkpoint is what an evacuation records in its checkpoint file, so
// that running it again continues where it stopped: tenants done are
// skipped, moves in flight (and moves that stopped pending) are resumed by
// their ids, failed tenants are planned again.
type Checkpoint struct {
	// Source is the cell evacuated; a checkpoint of another cell is
	// refused.
	Source string `json:"source"`
	// Done are the tenants moved, by id.
	Done map[string]Entry `json:"done"`
	// Failed are the tenants whose move failed, by id, with the reason.
	Failed map[string]Entry `json:"failed"`
	// InFlight are the moves started and not yet ended, by tenant id: a
	// crash leaves them here, and a rerun resumes them by MoveID.
	InFlight map[string]Entry `json:"inFlight"`
}

// Entry is one tenant's move in a checkpoint.
type Entry struct {
	Target string `json:"target,omitempty"`
	MoveID string `json:"moveId,omitempty"`
	// Reason is why it failed (Failed only).
	Reason string `json:"reason,omitempty"`
	// Pending says the failed move stopped journaled (it is resumed by
	// MoveID, not planned again).
	Pending bool `json:"pending,omitempty"`
}

// resumes returns the moves a rerun resumes by id: those in flight and
// those that stopped pending.
func (cp *Checkpoint) resumes() map[string]Entry {
	out := map[string]Entry{}
	for id, e := range cp.Failed {
		if e.Pending && e.MoveID != "" {
			out[id] = e
		}
	}
	for id, e := range cp.InFlight {
		out[id] = e
	}
	return out
}

// ReadCheckpoint reads the checkpoint at path for an evacuation of
// source; ok is false when there is none.
func ReadCheckpoint(path, source string) (cp *Checkpoint, ok bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return newCheckpoint(source), false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading the checkpoint: %w", err)
	}
	cp = &Checkpoint{}
	if err := json.Unmarshal(data, cp); err != nil || cp.Source == "" {
		return nil, false, fmt.Errorf("checkpoint %s is damaged (%v): delete it to evacuate from a fresh listing (moves in flight then resume once their locks expire)", path, err)
	}
	if cp.Source != source {
		return nil, false, fmt.Errorf("checkpoint %s is of an evacuation of cell %s, not %s: name another checkpoint file (--checkpoint FILE)", path, cp.Source, source)
	}
	for _, m := range []*map[string]Entry{&cp.Done, &cp.Failed, &cp.InFlight} {
		if *m == nil {
			*m = map[string]Entry{}
		}
	}
	return cp, true, nil
}

func newCheckpoint(source string) *Checkpoint {
	return &Checkpoint{Source: source, Done: map[string]Entry{}, Failed: map[string]Entry{}, InFlight: map[string]Entry{}}
}

// checkpointFile is the checkpoint of a running evacuation, written at
// every change when it has a path.
type checkpointFile struct {
	path string
	mu   sync.Mutex
	cp   *Checkpoint
}

// started records a move about to start (before it takes any lock).
func (f *checkpointFile) started(tenant string, e Entry) error {
	return f.change(func(cp *Checkpoint) {
		delete(cp.Failed, tenant)
		cp.InFlight[tenant] = e
	})
}

// ended records a move's outcome: done, failed (with e.Reason), or
// neither (interrupted and undone: the tenant is on its source). An
// interrupted move stays in flight, so a rerun resumes it by the same id:
// a lock request of it that was on the wire when the run was cancelled
// can still land on a cell after the undo, and only that id takes such a
// lock over at once (another would wait for it to expire).
func (f *checkpointFile) ended(tenant string, e Entry, done, failed bool) error {
	return f.change(func(cp *Checkpoint) {
		switch {
		case done:
			delete(cp.InFlight, tenant)
			delete(cp.Failed, tenant)
			cp.Done[tenant] = Entry{Target: e.Target, MoveID: e.MoveID}
		case failed:
			delete(cp.InFlight, tenant)
			cp.Failed[tenant] = e
		}
	})
}

func (f *checkpointFile) change(fn func(*Checkpoint)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f.cp)
	if f.path == "" {
		return nil
	}
	data, err := json.MarshalIndent(f.cp, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(f.path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing the checkpoint %s: %w", f.path, err)
	}
	return nil
}

// remove deletes the checkpoint file (the evacuation finished).
func (f *checkpointFile) remove() error {
	if f.path == "" {
		return nil
	}
	if err := os.Remove(f.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing the checkpoint %s: %w", f.path, err)
	}
	return nil
}
