package server

import (
	"bufio"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router"
)

// TestStalePlacementWhileTheBodyBreaks: a cell answers 421
// stale_placement before the request's chunked body has all arrived, and
// while the router reads the tenant's placement again the client's body
// turns out malformed. The request ends once, with the cell's 421 or the
// router's 400, and nothing the placement step works on is touched by
// the body's failure meanwhile (the race detector watches the event-loop
// engine's off-loop step).
func TestStalePlacementWhileTheBodyBreaks(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		// cell-a refuses at once, without reading the body (a net/http
		// cell reads a body before it answers: a raw one).
		refusal := `{"error":"tenant acme: placement epoch 1 is older than 2","reason":"stale_placement","tenant":"acme","epoch":2}`
		cut := make(chan struct{})
		defer close(cut)
		a := rawCell(t, "HTTP/1.1 421 Misdirected Request\r\nContent-Type: application/json\r\nContent-Length: "+strconv.Itoa(len(refusal))+"\r\n\r\n"+refusal, cut)
		b := newFencedCell(t, "cell-b", 2)
		mem := newMemFeed(router.Tenant{ID: "acme", Cell: "cell-a"}) // epoch 1
		f := &getFeed{memFeed: mem, fresh: map[string]router.Tenant{"acme": {ID: "acme", Cell: "cell-b", Epoch: 2}}}
		h := loadedRouter(t, registry(1, []router.Cell{a, b.cell()}), f, "acme")
		f.mu.Lock() // the placement read waits until the body has broken
		locked := true
		defer func() {
			if locked {
				f.mu.Unlock()
			}
		}()
		conn, err := net.Dial("tcp", hostOf(h.url))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.Write([]byte("POST /kv/plan HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\nTransfer-Encoding: chunked\r\n\r\n4\r\ngold\r\n")); err != nil {
			t.Fatal(err)
		}
		// The event-loop and net/http engines read the cell's answer while
		// the body is still coming; the fasthttp engine's client sends the
		// whole body first, so there the placement is read only after it.
		early := engineOf(t) != EngineFastHTTP
		for deadline := time.Now().Add(10 * time.Second); early && f.gets.Load() == 0; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) { // a guard, not a measurement
				t.Fatal("the router never read the placement again after the cell's 421")
			}
		}
		if _, err := conn.Write([]byte("zz\r\n")); err != nil { // not a chunk size
			t.Fatal(err)
		}
		// Let the body's failure reach the router before the placement
		// read goes on: on the event-loop engine the 400 is counted
		// then. (The deadline bounds the wait on engines that wait for
		// the placement read first.)
		fault := `cellfabric_router_requests_total{cell="",cloud="",code="400"}`
		for deadline := time.Now().Add(time.Second); time.Now().Before(deadline) && metricValue(t, h, fault) == 0; time.Sleep(5 * time.Millisecond) {
		}
		f.mu.Unlock()
		locked = false
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("no answer: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMisdirectedRequest && resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status %d, want 421 (the cell's) or 400 (the malformed body)", resp.StatusCode)
		}
		for deadline := time.Now().Add(10 * time.Second); h.rt.inflight.Load() != 0; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d requests still in flight", h.rt.inflight.Load())
			}
		}
	})
}
