package dirhttp

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
)

// Closing and opening a cell over loopback HTTP: the flag is listed, and
// placements through the API (Place, RecordAtRequest) skip the closed
// cell until it is opened.
func TestCellPlacementEndpoints(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newServer(t, nil)
	c := s.client(t, nil)

	cells, err := c.Cells(ctx)
	if err != nil || len(cells) != 5 {
		t.Fatalf("Cells = %+v, %v", cells, err)
	}
	for _, p := range cells {
		if p.Placement != directory.PlacementOpen {
			t.Fatalf("before any flag: %+v", p)
		}
	}
	closed, err := c.CloseCell(ctx, "aws-use1", "hardware refresh")
	if err != nil || closed.ID != "aws-use1" || closed.Placement != directory.PlacementClosed || closed.Reason != "hardware refresh" || closed.Since == 0 || closed.State != "active" {
		t.Fatalf("CloseCell = %+v, %v", closed, err)
	}
	set, err := c.Closed(ctx)
	if err != nil || len(set) != 1 || !set["aws-use1"] {
		t.Fatalf("Closed = %v, %v", set, err)
	}

	// Place (server side) and RecordAtRequest (client side) skip it.
	placed, err := c.Place(ctx, "acme", directory.PlaceRequest{})
	if err != nil || placed.Cell == "aws-use1" {
		t.Fatalf("Place on a closed aws-use1: %+v, %v", placed, err)
	}
	wouldHave := 0
	for i := range 40 {
		id := fmt.Sprintf("new%02d", i)
		if open, _ := directory.PlaceAtRequest(s.snap, id, nil); open.Cell == "aws-use1" {
			wouldHave++
		}
		got, err := c.RecordAtRequest(ctx, s.snap, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.Cell == "aws-use1" || strings.Contains(strings.Join(got.Failover, ","), "aws-use1") {
			t.Fatalf("RecordAtRequest placed %s on the closed cell: %s %v", id, got.Cell, got.Failover)
		}
	}
	if wouldHave == 0 {
		t.Fatal("no tenant would have gone to aws-use1 while open: the test proves nothing")
	}

	opened, err := c.OpenCell(ctx, "aws-use1")
	if err != nil || opened.Placement != directory.PlacementOpen || opened.Reason != "" {
		t.Fatalf("OpenCell = %+v, %v", opened, err)
	}
	if placed, err := c.Place(ctx, "after", directory.PlaceRequest{}); err != nil || placed.Cell != "aws-use1" {
		t.Fatalf("Place after opening: %+v, %v; want aws-use1 (it holds the fewest)", placed, err)
	}
}

func TestCellPlacementRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newServer(t, nil)
	c := s.client(t, nil)
	tests := []struct {
		name      string
		call      func() error
		status    int
		reason    string
		fragments []string
	}{
		{name: "unknown cell", call: func() error { _, err := c.CloseCell(ctx, "aws-nowhere", ""); return err },
			status: 422, reason: directory.ReasonUnknownCell, fragments: []string{`cell "aws-nowhere" is not in the registry`, "aws-use1, azure-weu"}},
		{name: "reason too long", call: func() error { _, err := c.CloseCell(ctx, "aws-use1", strings.Repeat("x", 201)); return err },
			status: 422, reason: directory.ReasonInvalidFlag, fragments: []string{"at most 200"}},
		{name: "invalid cell id, refused before sending", call: func() error { _, err := c.OpenCell(ctx, "AWS/../x"); return err },
			status: 422, reason: directory.ReasonUnknownCell, fragments: []string{"not a valid cell id"}},
		{name: "open an unknown cell", call: func() error { _, err := c.OpenCell(ctx, "gcp-nowhere"); return err },
			status: 422, reason: directory.ReasonUnknownCell},
		{name: "signed with the edge key", call: func() error {
			_, err := s.client(t, func(cfg *ClientConfig) { cfg.Key = edgeKey }).CloseCell(ctx, "aws-use1", "")
			return err
		}, status: http.StatusUnauthorized, reason: directory.AuthUnknownKey},
		{name: "listing signed with the edge key", call: func() error {
			_, err := s.client(t, func(cfg *ClientConfig) { cfg.Key = edgeKey }).Cells(ctx)
			return err
		}, status: http.StatusUnauthorized, reason: directory.AuthUnknownKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantAPIError(t, tt.call(), tt.status, tt.reason, tt.fragments...)
		})
	}
	if set, err := c.Closed(ctx); err != nil || len(set) != 0 {
		t.Fatalf("after refusals, Closed = %v, %v", set, err)
	}
}

// A router placing over HTTP with ClosedTTL asks GET /cells once per TTL,
// not once per tenant first seen at a request; a cell drained through
// another client is skipped once the TTL has passed.
func TestRecordAtRequestCachesClosedCells(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var mu sync.Mutex
	listed := 0
	s := newServer(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == "GET" && strings.HasSuffix(r.URL.Path, "/cells") {
				mu.Lock()
				listed++
				mu.Unlock()
			}
			next.ServeHTTP(w, r)
		})
	})
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return listed
	}
	var clkMu sync.Mutex
	now := time.Now()
	clock := func() time.Time {
		clkMu.Lock()
		defer clkMu.Unlock()
		return now
	}
	const ttl = 10 * time.Second // within the verifier's clock skew: the clock also signs
	c := s.client(t, func(cfg *ClientConfig) { cfg.ClosedTTL, cfg.Now = ttl, clock })
	const n = 12
	for i := range n {
		if _, err := c.RecordAtRequest(ctx, s.snap, fmt.Sprintf("new%02d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if got := count(); got != 1 {
		t.Fatalf("%d GET /cells for %d new tenants, want 1 (once per ClosedTTL)", got, n)
	}

	open, err := directory.PlaceAtRequest(s.snap, "later", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.client(t, nil).CloseCell(ctx, open.Cell, "drained elsewhere"); err != nil {
		t.Fatal(err)
	}
	clkMu.Lock()
	now = now.Add(ttl + time.Second)
	clkMu.Unlock()
	got, err := c.RecordAtRequest(ctx, s.snap, "later")
	if err != nil || got.Cell == open.Cell {
		t.Fatalf("later after the TTL: %+v, %v; want it off the drained %s", got, err, open.Cell)
	}
	if got := count(); got != 2 {
		t.Fatalf("%d GET /cells after one TTL, want 2", got)
	}

	// A drain through this client counts at once.
	next, err := directory.PlaceAtRequest(s.snap, "sooner", directory.ClosedCells{open.Cell: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CloseCell(ctx, next.Cell, "drained here"); err != nil {
		t.Fatal(err)
	}
	if got, err := c.RecordAtRequest(ctx, s.snap, "sooner"); err != nil || got.Cell == next.Cell || got.Cell == open.Cell {
		t.Fatalf("sooner right after this client drained %s (and %s before): %+v, %v", next.Cell, open.Cell, got, err)
	}
}
