package dirhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/router"
)

// smallBatches stands in for a server that takes batches of at most max
// entries (the Worker): it refuses a larger one as directory does, before
// anything is written, and records the size of every batch it saw.
type smallBatches struct {
	max int
	// announce puts max in the refusal (ErrorBody.MaxBatch), as the
	// Worker does.
	announce bool
	mu       sync.Mutex
	sizes    []int
}

func (s *smallBatches) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var br directory.BatchRequest
		if err := json.Unmarshal(body, &br); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.sizes = append(s.sizes, len(br.Entries))
		s.mu.Unlock()
		if len(br.Entries) > s.max {
			w.Header().Set("Content-Type", directory.ContentType)
			w.WriteHeader(http.StatusBadRequest)
			eb := directory.ErrorBody{Reason: directory.ReasonBatchTooLarge,
				Error: "the batch has " + strconv.Itoa(len(br.Entries)) + " entries, over this server's " + strconv.Itoa(s.max)}
			if s.announce {
				eb.MaxBatch = s.max
			}
			_ = json.NewEncoder(w).Encode(eb)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

func (s *smallBatches) seen() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.sizes...)
}

// A batch larger than the server takes is sent again in halves until it
// is taken, every entry applied once and its result in order; the Client's
// next batch starts at the size that was taken.
func TestBatchSplitsWhenTooLarge(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sb := &smallBatches{max: 3}
	s := newServer(t, sb.wrap)
	c := s.client(t, nil)
	entries := make([]router.Tenant, 10)
	for i := range entries {
		entries[i] = router.Tenant{ID: fmt.Sprintf("t%d", i), Cell: "aws-use1"}
	}
	results, err := c.Batch(ctx, entries, directory.ModeIfAbsent)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != len(entries) {
		t.Fatalf("%d results for %d entries", len(results), len(entries))
	}
	for i, r := range results {
		if r.ID != entries[i].ID || r.Outcome != directory.OutcomeAdded || r.Epoch != 1 {
			t.Fatalf("result %d: %+v, want %s added at epoch 1", i, r, entries[i].ID)
		}
		if _, found, err := s.dir.Get(ctx, entries[i].ID); err != nil || !found {
			t.Fatalf("%s is not in the directory: %v", entries[i].ID, err)
		}
	}
	// 10 refused, 5 refused, 3 taken, then 3-entry parts (the last 1).
	if got, want := fmt.Sprint(sb.seen()), "[10 5 3 3 3 1]"; got != want {
		t.Fatalf("batch sizes sent %s, want %s", got, want)
	}
	more := make([]router.Tenant, 4)
	for i := range more {
		more[i] = router.Tenant{ID: fmt.Sprintf("u%d", i), Cell: "gcp-usc1"}
	}
	if _, err := c.Batch(ctx, more, directory.ModeUpsert); err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(sb.seen()[6:]), "[3 1]"; got != want {
		t.Fatalf("the next batch was sent as %s, want %s (the size taken before)", got, want)
	}
}

// A server that says in its refusal how large a batch it takes (the
// Worker: 247 over four cells) gets batches of exactly that size, not the
// halves that first fit (1000, 500, 250 refused, then 125 each).
func TestBatchTakesTheSizeTheServerAnnounces(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sb := &smallBatches{max: 247, announce: true}
	s := newServer(t, sb.wrap)
	c := s.client(t, nil)
	entries := make([]router.Tenant, 1000)
	for i := range entries {
		entries[i] = router.Tenant{ID: fmt.Sprintf("t%d", i), Cell: "aws-use1"}
	}
	results, err := c.Batch(ctx, entries, directory.ModeIfAbsent)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		if r.ID != entries[i].ID || r.Outcome != directory.OutcomeAdded {
			t.Fatalf("result %d: %+v, want %s added", i, r, entries[i].ID)
		}
	}
	if got, want := fmt.Sprint(sb.seen()), "[1000 247 247 247 247 12]"; got != want {
		t.Fatalf("batch sizes sent %s, want %s", got, want)
	}
	// An announced size at or above the refused batch's is no help: the
	// client halves as with a server that says nothing.
	sb2 := &smallBatches{max: 3, announce: true}
	s2 := newServer(t, func(next http.Handler) http.Handler {
		inner := sb2.wrap(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if sb2.seen() == nil { // the first refusal announces 10, wrongly
				sb2.mu.Lock()
				sb2.sizes = append(sb2.sizes, 10)
				sb2.mu.Unlock()
				w.Header().Set("Content-Type", directory.ContentType)
				w.WriteHeader(http.StatusBadRequest)
				_ = json.NewEncoder(w).Encode(directory.ErrorBody{Reason: directory.ReasonBatchTooLarge, Error: "too large", MaxBatch: 10})
				return
			}
			inner.ServeHTTP(w, r)
		})
	})
	if _, err := s2.client(t, nil).Batch(ctx, entries[:10], directory.ModeUpsert); err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(sb2.seen()), "[10 5 3 3 3 1]"; got != want {
		t.Fatalf("batch sizes sent %s, want %s", got, want)
	}
}

// A server that takes no batch at all (not even one entry) is not asked
// for ever: the refusal of a one-entry batch is the answer.
func TestBatchTooLargeForOneEntry(t *testing.T) {
	t.Parallel()
	sb := &smallBatches{max: 0}
	s := newServer(t, sb.wrap)
	c := s.client(t, nil)
	_, err := c.Batch(context.Background(), []router.Tenant{{ID: "a", Cell: "aws-use1"}, {ID: "b", Cell: "aws-use1"}}, directory.ModeUpsert)
	if Reason(err) != directory.ReasonBatchTooLarge {
		t.Fatalf("Batch error %v, want %s", err, directory.ReasonBatchTooLarge)
	}
	if got := fmt.Sprint(sb.seen()); got != "[2 1]" {
		t.Fatalf("batch sizes sent %s, want [2 1]", got)
	}
}
