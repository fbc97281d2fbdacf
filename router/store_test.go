package router

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func regAt(epoch int64) *Registry {
	r := testRegistry()
	r.Epoch = epoch
	return r
}

func TestStoreUpdates(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	var logMu sync.Mutex
	s := NewStore(slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &logMu}, nil)))
	s.SetLimit(64 << 10)
	if s.Snapshot() != nil {
		t.Fatal("empty store has a snapshot")
	}
	var swaps []int64
	s.OnSwap(func(old, cur *Snapshot, raw []byte) {
		oldEpoch := int64(0)
		if old != nil {
			oldEpoch = old.Epoch()
		}
		swaps = append(swaps, oldEpoch, cur.Epoch())
	})
	good := mustJSON(t, regAt(5))
	steps := []struct {
		name       string
		data       []byte
		wantReason string // "" = accepted
		wantEpoch  int64  // epoch served afterwards
	}{
		{name: "first", data: good, wantEpoch: 5},
		{name: "same document again", data: good, wantEpoch: 5},
		{name: "truncated", data: good[:40], wantReason: RefusedParse, wantEpoch: 5},
		{name: "garbage", data: []byte("<html>"), wantReason: RefusedParse, wantEpoch: 5},
		{name: "too large", data: bytes.Repeat([]byte(" "), 65<<10), wantReason: RefusedTooLarge, wantEpoch: 5},
		{name: "invalid", data: []byte(strings.Replace(string(mustJSON(t, regAt(6))), `"cell":"aws-use1"`, `"cell":"nope"`, 1)), wantReason: RefusedInvalid, wantEpoch: 5},
		{name: "older epoch", data: mustJSON(t, regAt(4)), wantReason: RefusedStale, wantEpoch: 5},
		{name: "same epoch, other content", data: mustJSON(t, func() *Registry { r := regAt(5); r.Tenants = r.Tenants[:1]; return r }()), wantReason: RefusedStale, wantEpoch: 5},
		{name: "newer", data: mustJSON(t, regAt(7)), wantEpoch: 7},
	}
	for _, st := range steps {
		err := s.Update(st.data, "test:"+st.name)
		var ue *UpdateError
		switch {
		case st.wantReason == "" && err != nil:
			t.Errorf("%s: refused: %v", st.name, err)
		case st.wantReason != "" && (!errors.As(err, &ue) || ue.Reason != st.wantReason):
			t.Errorf("%s: err = %v, want reason %s", st.name, err, st.wantReason)
		}
		if got := s.Snapshot().Epoch(); got != st.wantEpoch {
			t.Errorf("%s: serving epoch %d, want %d", st.name, got, st.wantEpoch)
		}
	}
	stats := s.Stats()
	if stats.Accepted != 2 || stats.Unchanged != 1 {
		t.Errorf("accepted %d unchanged %d, want 2 and 1", stats.Accepted, stats.Unchanged)
	}
	want := map[string]uint64{RefusedParse: 2, RefusedTooLarge: 1, RefusedInvalid: 1, RefusedStale: 2}
	for r, n := range want {
		if stats.Refused[r] != n {
			t.Errorf("refused[%s] = %d, want %d", r, stats.Refused[r], n)
		}
	}
	if got := swaps; len(got) != 4 || got[0] != 0 || got[1] != 5 || got[2] != 5 || got[3] != 7 {
		t.Errorf("OnSwap calls = %v, want [0 5 5 7]", got)
	}
	logMu.Lock()
	out := logs.String()
	logMu.Unlock()
	for _, w := range []string{`source="test:older epoch" reason=stale epoch=4 serving_epoch=5`, `msg="registry loaded" epoch=7 source=test:newer`} {
		if !strings.Contains(out, w) {
			t.Errorf("logs lack %q:\n%s", w, out)
		}
	}
}

func TestStoreInstall(t *testing.T) {
	t.Parallel()
	s := NewStore(nil)
	if err := s.Install(regAt(3), "memory"); err != nil {
		t.Fatal(err)
	}
	if err := s.Install(regAt(3), "memory"); err == nil {
		t.Error("same epoch installed twice")
	}
	bad := regAt(9)
	bad.Cells = nil
	var ue *UpdateError
	if err := s.Install(bad, "memory"); !errors.As(err, &ue) || ue.Reason != RefusedInvalid {
		t.Errorf("invalid install: %v", err)
	}
	if s.Snapshot().Epoch() != 3 {
		t.Errorf("epoch %d, want 3", s.Snapshot().Epoch())
	}
	// A document with the bytes of an earlier one is still checked for its
	// epoch after an Install.
	if err := s.Update(mustJSON(t, regAt(3)), "file"); err == nil {
		t.Error("stale document accepted after Install")
	}
}

// TestStoreConcurrentReaders runs readers against a stream of updates under
// -race: every reader sees a complete snapshot whose epoch never goes back.
func TestStoreConcurrentReaders(t *testing.T) {
	t.Parallel()
	s := NewStore(nil)
	if err := s.Install(regAt(1), "memory"); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := int64(0)
			for !stop.Load() {
				snap := s.Snapshot()
				if snap.Epoch() < last {
					t.Errorf("epoch went back from %d to %d", last, snap.Epoch())
					return
				}
				last = snap.Epoch()
				if d := snap.Decide(Request{Method: "GET", Tenant: "acme"}, nil); !d.Forward() {
					t.Errorf("decision failed: %s", d.Message())
					return
				}
			}
		}()
	}
	for e := int64(2); e <= 200; e++ {
		if err := s.Update(mustJSON(t, regAt(e)), "memory"); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
