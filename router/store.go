package router

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cellfabric/cellfabric/fabric"
)

// Why an update was refused; stable values for logs and metric labels.
const (
	RefusedTooLarge = "too_large" // over the size limit
	RefusedParse    = "parse"     // not a registry document (truncated, bad JSON, unknown fields)
	RefusedInvalid  = "invalid"   // decoded, but Validate found problems
	RefusedStale    = "stale"     // epoch not newer than the one being served
)

// RefusedReasons lists every refusal reason, for metrics.
var RefusedReasons = []string{RefusedTooLarge, RefusedParse, RefusedInvalid, RefusedStale}

// UpdateError is returned for a refused update. The store keeps serving its
// last good snapshot.
type UpdateError struct {
	// Reason is one of the Refused* values.
	Reason string
	// Source names where the update came from.
	Source string
	// Err is the underlying error.
	Err error
}

func (e *UpdateError) Error() string {
	return fmt.Sprintf("registry update from %s refused (%s): %v", e.Source, e.Reason, e.Err)
}

func (e *UpdateError) Unwrap() error { return e.Err }

// Store holds the snapshot being served and swaps it atomically when a good
// update arrives. Reads (Snapshot) never block; updates are serialised. A bad
// update (too large, unparsable, invalid, or not newer) is refused, logged
// with the keys epoch and source, and counted; the last good snapshot keeps
// serving.
type Store struct {
	cur    atomic.Pointer[Snapshot]
	logger Logger

	mu     sync.Mutex // serialises updates and guards sum, onSwap
	sum    [sha256.Size]byte
	onSwap []func(old, cur *Snapshot, raw []byte)
	limit  int
	counts storeCounts
}

type storeCounts struct {
	accepted, unchanged atomic.Uint64
	refused             [4]atomic.Uint64 // by RefusedReasons index
}

// StoreStats are the store's counters.
type StoreStats struct {
	// Accepted counts updates that were swapped in.
	Accepted uint64
	// Unchanged counts updates identical to the snapshot being served.
	Unchanged uint64
	// Refused counts refused updates by reason (the Refused* values).
	Refused map[string]uint64
}

// NewStore returns an empty store. logger may be nil (no logs).
func NewStore(logger Logger) *Store {
	if logger == nil {
		logger = DiscardLogger
	}
	return &Store{logger: logger, limit: MaxRegistryBytes}
}

// SetLimit sets the size limit of documents passed to Update (default
// MaxRegistryBytes). Call it before the first update.
func (s *Store) SetLimit(n int) {
	s.mu.Lock()
	s.limit = n
	s.mu.Unlock()
}

// Snapshot returns the snapshot being served, or nil before the first good
// update.
func (s *Store) Snapshot() *Snapshot { return s.cur.Load() }

// OnSwap registers f to be called, with the update lock held, after every
// swap: old is nil on the first one, raw is the document's bytes (nil when
// installed with Install). Use it to keep per-cell state (health checks,
// transports) and a last-known-good copy in step.
func (s *Store) OnSwap(f func(old, cur *Snapshot, raw []byte)) {
	s.mu.Lock()
	s.onSwap = append(s.onSwap, f)
	s.mu.Unlock()
}

// Update offers a registry document. It returns nil when the document was
// swapped in or is identical to the one being served, and an *UpdateError
// when it was refused.
func (s *Store) Update(data []byte, source string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := sha256.Sum256(data)
	if cur := s.cur.Load(); cur != nil && sum == s.sum {
		s.counts.unchanged.Add(1)
		return nil
	}
	if len(data) > s.limit {
		return s.refuse(source, RefusedTooLarge, 0, fmt.Errorf("%d bytes, over the %d byte limit: %w", len(data), s.limit, ErrTooLarge))
	}
	reg, err := Decode(data)
	if err != nil {
		reason := RefusedParse
		if errors.Is(err, ErrTooLarge) {
			reason = RefusedTooLarge
		}
		return s.refuse(source, reason, 0, err)
	}
	if err := s.install(reg, source, data); err != nil {
		return err
	}
	s.sum = sum
	return nil
}

// Install offers an already decoded registry (the in-memory source). The
// store keeps reg: do not modify it afterwards.
func (s *Store) Install(reg *Registry, source string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.install(reg, source, nil); err != nil {
		return err
	}
	s.sum = [sha256.Size]byte{}
	return nil
}

func (s *Store) install(reg *Registry, source string, raw []byte) error {
	snap, err := Compile(reg)
	if err != nil {
		return s.refuse(source, RefusedInvalid, reg.Epoch, err)
	}
	old := s.cur.Load()
	if old != nil && reg.Epoch <= old.Epoch() {
		return s.refuse(source, RefusedStale, reg.Epoch, fmt.Errorf("epoch %d is not newer than the epoch %d being served; build the registry again to get a newer epoch", reg.Epoch, old.Epoch()))
	}
	s.cur.Store(snap)
	s.counts.accepted.Add(1)
	s.logger.Info("registry loaded", "epoch", reg.Epoch, "source", source, "cells", len(reg.Cells), "tenants", len(reg.Tenants))
	for _, f := range s.onSwap {
		f(old, snap, raw)
	}
	return nil
}

func (s *Store) refuse(source, reason string, epoch int64, err error) error {
	for i, r := range RefusedReasons {
		if r == reason {
			s.counts.refused[i].Add(1)
		}
	}
	if cur := s.cur.Load(); cur != nil {
		s.logger.Warn("registry update refused; keeping the last good registry", "source", source, "reason", reason, "epoch", epoch, "serving_epoch", cur.Epoch(), "error", firstLine(err))
	} else {
		s.logger.Warn("registry update refused; no registry loaded yet", "source", source, "reason", reason, "epoch", epoch, "error", firstLine(err))
	}
	return &UpdateError{Reason: reason, Source: source, Err: err}
}

// Stats returns the store's counters.
func (s *Store) Stats() StoreStats {
	st := StoreStats{
		Accepted:  s.counts.accepted.Load(),
		Unchanged: s.counts.unchanged.Load(),
		Refused:   make(map[string]uint64, len(RefusedReasons)),
	}
	for i, r := range RefusedReasons {
		st.Refused[r] = s.counts.refused[i].Load()
	}
	return st
}

// firstLine keeps logs of huge problem lists short.
func firstLine(err error) string {
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		var ps fabric.Problems
		if errors.As(err, &ps) {
			return fmt.Sprintf("%d problem(s), first: %s", len(ps.List), ps.List[0].Error())
		}
		return msg[:i]
	}
	return msg
}
