//go:build !(js && wasm)

package main

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/router"
)

// TestStalePlacement: the isolate holds acme on cell-a at epoch 1; the
// directory then places it elsewhere (or not), and cell-a answers 421.
func TestStalePlacement(t *testing.T) {
	t.Parallel()
	notStale := cellAnswer{status: 421, body: `{"error":"misdirected","reason":"wrong_host"}`}
	long := cellAnswer{status: 421, body: `{"reason":"stale_placement","pad":"` + strings.Repeat("x", router.StaleBodyBytes) + `"}`}
	tests := []struct {
		name    string
		method  string
		hasBody bool
		// moved is acme's entry written after the first request; nil: none.
		moved         []byte
		kvErr         error
		notReplayable bool
		answers       map[string]any
		attempts      []string
		epochs        []int64
		status        int    // the answer's status (a cell's or a refusal's)
		reason        string // the refusal's reason, "" for a cell's answer
		cell          string // the cell whose answer is passed on
		outcome       string // the stale count that goes up, "" none
		also          string // another that goes up
		refetched     int    // the reads of the directory for the 421s
		// movedAgain is acme's entry written when the retry is sent.
		movedAgain []byte
		next       string // the cell the next request goes to
	}{
		{name: "newer placement: GET retried on its cell", method: "GET", moved: entryAt("acme", "cell-b", 2, ""),
			answers: map[string]any{"cell-a": staleAnswer}, attempts: []string{"cell-a", "cell-b"}, epochs: []int64{1, 2},
			status: 200, cell: "cell-b", outcome: staleRetried, refetched: 1, next: "cell-b"},
		{name: "newer placement: PUT with its body retried", method: "PUT", hasBody: true, moved: entryAt("acme", "cell-b", 2, ""),
			answers: map[string]any{"cell-a": staleAnswer}, attempts: []string{"cell-a", "cell-b"}, epochs: []int64{1, 2},
			status: 200, cell: "cell-b", outcome: staleRetried, refetched: 1, next: "cell-b"},
		{name: "POST retried too: the cell did nothing", method: "POST", hasBody: true, moved: entryAt("acme", "cell-c", 5, ""),
			answers: map[string]any{"cell-a": staleAnswer}, attempts: []string{"cell-a", "cell-c"}, epochs: []int64{1, 5},
			status: 200, cell: "cell-c", outcome: staleRetried, refetched: 1, next: "cell-c"},
		{name: "body not kept: the 421 passed on, the newer placement cached", method: "PUT", hasBody: true, notReplayable: true, moved: entryAt("acme", "cell-b", 2, ""),
			answers: map[string]any{"cell-a": staleAnswer}, attempts: []string{"cell-a"}, epochs: []int64{1},
			status: 421, cell: "cell-a", outcome: staleNotReplayable, refetched: 1, next: "cell-b"},
		{name: "nothing newer: the 421 passed on", method: "PUT", hasBody: true,
			answers: map[string]any{"cell-a": staleAnswer}, attempts: []string{"cell-a"}, epochs: []int64{1},
			status: 421, cell: "cell-a", outcome: staleNotNewer, refetched: 1, next: "cell-a"},
		{name: "entry removed: the 421 passed on", method: "GET", moved: []byte{},
			answers: map[string]any{"cell-a": staleAnswer}, attempts: []string{"cell-a"}, epochs: []int64{1},
			status: 421, cell: "cell-a", outcome: staleNotNewer, refetched: 1, next: "cell-a"},
		{name: "directory read fails: the 421 passed on", method: "GET", moved: entryAt("acme", "cell-b", 2, ""), kvErr: errors.New("kv down"),
			answers: map[string]any{"cell-a": staleAnswer}, attempts: []string{"cell-a"}, epochs: []int64{1},
			status: 421, cell: "cell-a", outcome: staleFetchFailed, refetched: 1},
		{name: "another 421 is the cell's answer", method: "GET", moved: entryAt("acme", "cell-b", 2, ""),
			answers: map[string]any{"cell-a": notStale}, attempts: []string{"cell-a"}, epochs: []int64{1},
			status: 421, cell: "cell-a"},
		{name: "a 421 body over 4 KiB is not stale_placement", method: "GET", moved: entryAt("acme", "cell-b", 2, ""),
			answers: map[string]any{"cell-a": long}, attempts: []string{"cell-a"}, epochs: []int64{1},
			status: 421, cell: "cell-a"},
		{name: "the newer placement refuses a write", method: "PUT", hasBody: true, moved: entryAt("acme", "cell-b", 2, `,"state":"migrating"`),
			answers: map[string]any{"cell-a": staleAnswer}, attempts: []string{"cell-a"}, epochs: []int64{1},
			status: 503, reason: string(router.ReasonTenantReadonly), outcome: staleRefused, refetched: 1},
		{name: "the retry's cell refuses too, nothing newer: its 421 passed on", method: "GET", moved: entryAt("acme", "cell-b", 2, ""),
			answers: map[string]any{"cell-a": staleAnswer, "cell-b": staleAnswer}, attempts: []string{"cell-a", "cell-b"}, epochs: []int64{1, 2},
			status: 421, cell: "cell-b", outcome: staleRetried, also: staleNotNewer, refetched: 2, next: "cell-b"},
		{name: "moved again meanwhile: one retry only, the newest cached", method: "GET", moved: entryAt("acme", "cell-b", 2, ""), movedAgain: entryAt("acme", "cell-c", 3, ""),
			answers: map[string]any{"cell-a": staleAnswer, "cell-b": staleAnswer}, attempts: []string{"cell-a", "cell-b"}, epochs: []int64{1, 2},
			status: 421, cell: "cell-b", outcome: staleRetried, also: staleAgain, refetched: 2, next: "cell-c"},
		{name: "the retry is one attempt: no failover after it", method: "GET", moved: entryAt("acme", "cell-b", 2, `,"failover":["cell-c"]`),
			answers: map[string]any{"cell-a": staleAnswer, "cell-b": errRefused}, attempts: []string{"cell-a", "cell-b"}, epochs: []int64{1, 2},
			status: 502, reason: string(router.ReasonUpstreamFailed), outcome: staleRetried, refetched: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, _, _ := newTestEdge(t, "")
			dir := dirOf(e)
			dir.set("t/acme", entryAt("acme", "cell-a", 1, `,"failover":["cell-c"]`))
			if got := route(t, e, "acme"); got != "cell-a" {
				t.Fatalf("before the move acme goes to %s", got)
			}
			switch {
			case tt.moved == nil:
			case len(tt.moved) == 0:
				_ = dir.Delete(t.Context(), "t/acme")
			default:
				dir.set("t/acme", tt.moved)
			}
			dir.fail(tt.kvErr)
			reads := dir.count("t/acme")

			up := &fakeUpstream{answers: tt.answers, notReplayable: tt.notReplayable}
			if tt.movedAgain != nil {
				up.onSend = func(a *attempt) {
					if a.Cell.ID == "cell-b" {
						dir.set("t/acme", tt.movedAgain)
					}
				}
			}
			res := e.serve(inbound{Method: tt.method, URL: "https://edge.example/x", Header: headers{"X-Tenant-Id": "acme"}, HasBody: tt.hasBody}, up)
			if got := up.cells(); !slices.Equal(got, tt.attempts) {
				t.Fatalf("attempts %v, want %v", got, tt.attempts)
			}
			var epochs []int64
			for _, a := range up.attempts {
				epochs = append(epochs, a.Epoch)
			}
			if !slices.Equal(epochs, tt.epochs) {
				t.Errorf("epochs sent %v, want %v", epochs, tt.epochs)
			}
			if res.Attempts != len(tt.attempts) {
				t.Errorf("result counts %d attempts, want %d", res.Attempts, len(tt.attempts))
			}
			switch {
			case tt.reason != "":
				if res.Refusal == nil || string(res.Refusal.Reason) != tt.reason || res.Refusal.Status != tt.status {
					t.Fatalf("answer %+v, want refusal %d %s", res, tt.status, tt.reason)
				}
			case res.Refusal != nil || res.Cell.ID != tt.cell || res.Reply.Status() != tt.status:
				t.Fatalf("answer %+v (refusal %+v), want %d from %s", res, res.Refusal, tt.status, tt.cell)
			case res.Reply.(*fakeReply).discarded:
				t.Errorf("the answer passed on was discarded")
			}
			for i, r := range up.replies[:max(len(up.replies)-1, 0)] {
				if !r.discarded {
					t.Errorf("answer %d (%d), dropped for a retry, was not discarded", i, r.status)
				}
			}
			if tt.hasBody && up.kept != 1 {
				t.Errorf("Keep called %d times, want once", up.kept)
			}
			if got := dir.count("t/acme") - reads; got != tt.refetched {
				t.Errorf("the directory was read %d times for the 421s, want %d", got, tt.refetched)
			}
			want := map[string]uint64{}
			for _, o := range staleOutcomes {
				want[o] = 0
			}
			for _, o := range []string{tt.outcome, tt.also} {
				if o != "" {
					want[o]++
				}
			}
			if got := e.stale.report(); !maps.Equal(got, want) {
				t.Errorf("stale counts %v, want %v", got, want)
			}
			if tt.next != "" {
				dir.fail(nil)
				if got := route(t, e, "acme"); got != tt.next {
					t.Errorf("the next request goes to %s, want %s", got, tt.next)
				}
			}
		})
	}
}

// A tenant of the registry (no epoch) that a move put into the directory:
// a 421 finds its entry and the request goes to it.
func TestStalePlacementOfARegistryTenant(t *testing.T) {
	t.Parallel()
	e, _, _ := newTestEdge(t, "")
	if got := route(t, e, "solo"); got != "cell-a" {
		t.Fatalf("solo goes to %s", got)
	}
	dirOf(e).set("t/solo", entryAt("solo", "cell-b", 3, ""))
	up := &fakeUpstream{answers: map[string]any{"cell-a": staleAnswer}}
	res := e.serve(inbound{Method: "DELETE", URL: "https://edge.example/x", Header: headers{"X-Tenant-Id": "solo"}}, up)
	if res.Refusal != nil || res.Cell.ID != "cell-b" || len(up.attempts) != 2 || up.attempts[0].Epoch != 0 || up.attempts[1].Epoch != 3 {
		t.Fatalf("answer %+v, attempts %+v", res, up.attempts)
	}
}

// A client's body that fails while the Worker keeps it is the client's
// fault: 400, no attempt.
func TestStaleKeepFailsOnTheClientsBody(t *testing.T) {
	t.Parallel()
	e, _, _ := newTestEdge(t, "")
	up := &fakeUpstream{keepErr: fmt.Errorf("%w: cut short", errClientBody)}
	res := e.serve(inbound{Method: "PUT", URL: "https://edge.example/x", Header: headers{"X-Tenant-Id": "acme"}, HasBody: true}, up)
	if res.Refusal == nil || res.Refusal.Reason != router.ReasonBadRequestBody || len(up.attempts) != 0 {
		t.Fatalf("answer %+v, %d attempts", res.Refusal, len(up.attempts))
	}
}

// The cache keeps the newest placement: a read older than what it holds
// (Workers KV is eventually consistent) does not replace it.
func TestDirCachePutNewer(t *testing.T) {
	t.Parallel()
	now := newClock().now()
	tests := []struct {
		name   string
		held   *router.Tenant // nil: nothing cached
		absent bool           // the cache holds the directory's absence
		read   int64
		want   int64
	}{
		{name: "nothing cached", read: 2, want: 2},
		{name: "absence cached", absent: true, read: 2, want: 2},
		{name: "older cached", held: &router.Tenant{ID: "acme", Cell: "cell-a", Epoch: 1}, read: 2, want: 2},
		{name: "same epoch", held: &router.Tenant{ID: "acme", Cell: "cell-a", Epoch: 2}, read: 2, want: 2},
		{name: "newer cached", held: &router.Tenant{ID: "acme", Cell: "cell-a", Epoch: 3}, read: 2, want: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newDirCache(4)
			if tt.held != nil || tt.absent {
				c.put("acme", tt.held, now)
			}
			gen := c.generation()
			got := c.putNewer(&router.Tenant{ID: "acme", Cell: "cell-b", Epoch: tt.read}, now.Add(10e9))
			if got.Epoch != tt.want {
				t.Fatalf("putNewer returned epoch %d, want %d", got.Epoch, tt.want)
			}
			held, ok := c.get("acme", now)
			if !ok || held.Tenant == nil || held.Tenant.Epoch != tt.want {
				t.Fatalf("the cache holds %+v, want epoch %d", held, tt.want)
			}
			if replaced := tt.want == tt.read; replaced != (c.generation() != gen) {
				t.Errorf("replaced %v but the generation went from %d to %d", replaced, gen, c.generation())
			}
		})
	}
}
