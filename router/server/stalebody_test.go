package server

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
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
		conn := sendRaw(t, h, "POST /kv/plan HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\nTransfer-Encoding: chunked\r\n\r\n4\r\ngold\r\n")
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

// TestStalePlacementFromAClosingCell: a cell answers 421 stale_placement
// and closes its connection (Connection: close), as a cell may after a
// refusal. The router reads the tenant's placement again and sends the
// request to the newer placement's cell, or, with nothing newer, passes
// the 421 on whole: the cell's connection being gone does not matter once
// its whole answer was read.
func TestStalePlacementFromAClosingCell(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fresh int64 // the epoch the directory holds now
		want  string
	}{
		{name: "newer placement: sent there", fresh: 2, want: "cell-b"},
		{name: "nothing newer: the 421 passed on", fresh: 1, want: "cell-a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			eachEngine(t, func(t *testing.T) {
				refusal := `{"error":"tenant acme: placement epoch 1 is older than 2","reason":"stale_placement","tenant":"acme","epoch":2}`
				answer := "HTTP/1.1 421 Misdirected Request\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " + strconv.Itoa(len(refusal)) + "\r\n\r\n" + refusal
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = ln.Close() })
				routerClosed := make(chan struct{}) // the router closed its end of the first connection
				go func() {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					defer c.Close()
					if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
						return
					}
					_, _ = io.WriteString(c, answer)
					_ = c.(*net.TCPConn).CloseWrite()
					_, _ = io.Copy(io.Discard, c)
					close(routerClosed)
				}()
				a := router.Cell{ID: "cell-a", Cloud: "aws", Region: "local", Endpoint: "http://" + ln.Addr().String(), Weight: 100, State: fabric.CellActive}
				b := newFencedCell(t, "cell-b", 2)
				mem := newMemFeed(router.Tenant{ID: "acme", Cell: "cell-a"}) // epoch 1
				fresh := router.Tenant{ID: "acme", Cell: "cell-b", Epoch: tt.fresh}
				if tt.fresh == 1 {
					fresh.Cell = "cell-a"
				}
				f := &getFeed{memFeed: mem, fresh: map[string]router.Tenant{"acme": fresh}}
				h := loadedRouter(t, registry(1, []router.Cell{a, b.cell()}), f, "acme")
				f.mu.Lock() // the placement read waits until the router has seen cell-a close
				unlocked := make(chan struct{})
				go func() {
					if engineOf(t) == EngineEvLoop {
						// Only the event-loop engine closes its end while the
						// placement is read; the others close it after.
						select {
						case <-routerClosed:
						case <-time.After(10 * time.Second): // a guard against a hang
						}
					}
					f.mu.Unlock()
					close(unlocked)
				}()
				resp, body := h.do(t, http.MethodGet, "/kv/plan", map[string]string{"X-Tenant-ID": "acme"}, "")
				<-unlocked
				switch tt.want {
				case "cell-b":
					if resp.StatusCode != 200 || resp.Header.Get("X-Cell-ID") != "cell-b" {
						t.Errorf("%d from %q: %.200s; want 200 from cell-b (the newer placement)", resp.StatusCode, resp.Header.Get("X-Cell-ID"), body)
					}
				default:
					if resp.StatusCode != http.StatusMisdirectedRequest || resp.Header.Get("X-Cell-ID") != "cell-a" || string(body) != refusal {
						t.Errorf("%d from %q: %q; want cell-a's 421 whole (%q)", resp.StatusCode, resp.Header.Get("X-Cell-ID"), body, refusal)
					}
				}
			})
		})
	}
}

// TestStalePlacementFromAClosingCellToHTTP10Client: as
// TestStalePlacementFromAClosingCell with nothing newer, the cell's 421
// chunked and the client speaking HTTP/1.0: the 421 passed on reaches
// the client as HTTP/1.0 reads an answer without a length, its bytes
// unframed until the connection closes, not in chunks.
func TestStalePlacementFromAClosingCellToHTTP10Client(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		refusal := `{"error":"tenant acme: placement epoch 1 is older than 2","reason":"stale_placement","tenant":"acme","epoch":2}`
		answer := "HTTP/1.1 421 Misdirected Request\r\nContent-Type: application/json\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n" +
			strconv.FormatInt(int64(len(refusal)), 16) + "\r\n" + refusal + "\r\n0\r\n\r\n"
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ln.Close() })
		routerClosed := make(chan struct{}) // the router closed its end of the connection
		go func() {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
				return
			}
			_, _ = io.WriteString(c, answer)
			_ = c.(*net.TCPConn).CloseWrite()
			_, _ = io.Copy(io.Discard, c)
			close(routerClosed)
		}()
		a := router.Cell{ID: "cell-a", Cloud: "aws", Region: "local", Endpoint: "http://" + ln.Addr().String(), Weight: 100, State: fabric.CellActive}
		f := &getFeed{memFeed: newMemFeed(router.Tenant{ID: "acme", Cell: "cell-a"}), fresh: map[string]router.Tenant{"acme": {ID: "acme", Cell: "cell-a", Epoch: 1}}}
		h := loadedRouter(t, registry(1, []router.Cell{a}), f, "acme")
		f.mu.Lock() // the placement read waits until the router has seen cell-a close
		go func() {
			if engineOf(t) == EngineEvLoop {
				// Only the event-loop engine closes its end while the
				// placement is read; the others close it after.
				select {
				case <-routerClosed:
				case <-time.After(10 * time.Second): // a guard against a hang
				}
			}
			f.mu.Unlock()
		}()
		conn := sendRaw(t, h, "GET /kv/plan HTTP/1.0\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n")
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // a guard against a hang
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusMisdirectedRequest || string(body) != refusal {
			t.Errorf("%d %q (%v), transfer encoding %v; want cell-a's 421 whole (%q), unframed", resp.StatusCode, body, err, resp.TransferEncoding, refusal)
		}
	})
}
