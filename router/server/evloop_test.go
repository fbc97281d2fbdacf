//go:build linux

package server

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

// TestEvLoopSlowLaneEndsWithItsClient: an answer read at its client's
// pace (the slow lane, evloop_lane.go) ends when its client does: when the
// client leaves, or takes nothing for WriteTimeout, the request counts as
// the client's (499) and the cell's connection, off the loop, is closed
// (the cell's writes fail) rather than left open with its goroutine. So
// does it when the router shuts down with the answer still going.
func TestEvLoopSlowLaneEndsWithItsClient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		writeTimeout time.Duration
		leave        bool // the client closes its connection
		shutdown     bool // the router shuts down (its timeout passes)
	}{
		{name: "client leaves", leave: true},
		{name: "client takes nothing for WriteTimeout", writeTimeout: 300 * time.Millisecond},
		{name: "router shuts down", shutdown: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var written atomic.Int64
			cellGaveUp := make(chan struct{})
			cell := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", strconv.Itoa(slowSize))
				if err := streamPattern(w, slowSize, &written); err != nil {
					close(cellGaveUp)
				}
			}))
			t.Cleanup(cell.Close)
			c := router.Cell{ID: "cell-a", Cloud: "aws", Region: "local", Endpoint: cell.URL, Weight: 100, State: fabric.CellActive}
			h := startRouter(t, registry(1, []router.Cell{c}, router.Tenant{ID: "acme", Cell: "cell-a"}), func(c *Config) {
				c.Engine, c.WriteTimeout, c.ShutdownTimeout = EngineEvLoop, tt.writeTimeout, 300*time.Millisecond
			})
			conn := sendRaw(t, h, "GET /big HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n")
			waitStalled(&written, slowSize) // the client reads nothing
			if peak := h.rt.evPeak.Load(); peak > 2*evSlowHigh {
				t.Errorf("the router held %d bytes for a client that read nothing; want at most %d", peak, 2*evSlowHigh)
			}
			if tt.leave {
				conn.Close()
			}
			if tt.shutdown {
				if err := h.stop(t); err == nil {
					t.Errorf("Serve returned nil with an answer still going after the shutdown timeout; want an error saying so")
				}
			}
			select {
			case <-cellGaveUp:
			case <-time.After(30 * time.Second): // a guard against a hang
				t.Fatalf("the cell could still write its answer (%d of %d bytes written) after its client was gone", written.Load(), slowSize)
			}
			if tt.shutdown {
				return // the admin listener is closed: no metrics
			}
			gaveUp := `cellfabric_router_requests_total{cell="cell-a",cloud="aws",code="499"}`
			for deadline := time.Now().Add(10 * time.Second); metricValue(t, h, gaveUp) != 1; time.Sleep(20 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("%s = %v, want 1", gaveUp, metricValue(t, h, gaveUp))
				}
			}
		})
	}
}

// TestEvLoopBoundsWhatAClientSendsAhead: bytes a client sends behind a
// request that waits for its cell stay buffered until the answer is
// written (pipelining); the event-loop engine cannot stop reading them,
// so past evMaxAhead it gives the request up (499) and closes the
// connection instead of buffering without end.
func TestEvLoopBoundsWhatAClientSendsAhead(t *testing.T) {
	t.Parallel()
	a := newTestCell(t, "cell-a", "aws")
	release := make(chan struct{})
	a.hold.Store(&release)
	defer close(release)
	h := startRouter(t, registry(1, []router.Cell{a.cell()}, router.Tenant{ID: "acme", Cell: "cell-a"}), func(c *Config) { c.Engine = EngineEvLoop })
	conn := sendRaw(t, h, "GET /slow HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n")
	// Send far more than the bound behind it, until the router closes
	// the connection (a write fails) or it was all taken.
	junk := bytes.Repeat([]byte("GET /next HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n"), 1<<10)
	sent := 0
	_ = conn.SetWriteDeadline(time.Now().Add(30 * time.Second))
	for sent < 16*evMaxAhead {
		n, err := conn.Write(junk)
		sent += n
		if err != nil {
			break
		}
	}
	if sent >= 16*evMaxAhead {
		t.Fatalf("the router took %d bytes sent ahead of a request waiting for its cell, over 16 times the bound %d", sent, evMaxAhead)
	}
	gaveUp := `cellfabric_router_requests_total{cell="",cloud="",code="499"}`
	for deadline := time.Now().Add(30 * time.Second); metricValue(t, h, gaveUp) != 1; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v, want 1", gaveUp, metricValue(t, h, gaveUp))
		}
	}
}

// TestEvLoopHeldClientBounds: requests the event-loop engine holds back
// for a client that does not read their answers (holdBack) are bounded:
// a client that sends more than evMaxAhead of them meanwhile is closed,
// and so is one that takes nothing for WriteTimeout, or for IdleTimeout
// when there is no WriteTimeout, rather than kept forever.
func TestEvLoopHeldClientBounds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		requests int // about 56 B each
		more     int // requests sent once the router holds
		idle     time.Duration
		write    time.Duration // WriteTimeout
		wait     time.Duration // how long the client reads nothing once the router holds
		warning  string        // in the log, if any
	}{
		{name: "too much ahead", requests: 16000, more: 12000, idle: time.Minute, warning: "client sent too much ahead of the answers it does not read"},
		{name: "takes nothing for IdleTimeout", requests: 16000, idle: 500 * time.Millisecond, wait: 2 * time.Second},
		{name: "takes nothing for WriteTimeout", requests: 16000, idle: time.Minute, write: 500 * time.Millisecond, wait: 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int64
			logs := &syncBuffer{}
			h := startRouter(t, registry(1, []router.Cell{pipelineCell(t, &hits)}, router.Tenant{ID: "acme", Cell: "cell-a"}), func(c *Config) {
				c.Engine, c.Logger, c.IdleTimeout, c.WriteTimeout = EngineEvLoop, slogTo(logs), tt.idle, tt.write
			})
			conn := pipelined(t, h, tt.requests)
			waitStalled(&hits, int64(tt.requests))
			waitHeld(t, h)
			if tt.more > 0 {
				// From a goroutine: the router may close the connection
				// before all of it is written. The client reads nothing
				// until the router has given it up (a guard against a hang).
				go func() { _, _ = io.WriteString(conn, pipelineRequests(tt.requests, tt.more)) }()
				for deadline := time.Now().Add(30 * time.Second); !strings.Contains(logs.String(), tt.warning); time.Sleep(10 * time.Millisecond) {
					if time.Now().After(deadline) {
						t.Fatalf("after 30 s the router has not given the client up; log:\n%s", logs.String())
					}
				}
			}
			time.Sleep(tt.wait)
			got, err := readPipelined(t, conn, tt.requests+tt.more)
			if got == tt.requests+tt.more || err == nil {
				t.Fatalf("the client got all %d answers; want the connection closed before", got)
			}
			if !strings.Contains(logs.String(), tt.warning) {
				t.Errorf("the log lacks %q:\n%s", tt.warning, logs.String())
			}
		})
	}
}

// TestEvLoopShutdownWithAHeldClient: a router shut down while it holds
// back a client's pipelined requests (holdBack) closes that connection
// once every answer written to it is sent, not before: the client gets
// each answer the cell gave, whole, then the end of the connection, and
// Serve returns nil (a clean drain).
func TestEvLoopShutdownWithAHeldClient(t *testing.T) {
	t.Parallel()
	const requests = 16000
	var hits atomic.Int64
	h := startRouter(t, registry(1, []router.Cell{pipelineCell(t, &hits)}, router.Tenant{ID: "acme", Cell: "cell-a"}), func(c *Config) {
		c.Engine, c.ShutdownTimeout = EngineEvLoop, time.Minute
	})
	conn := pipelined(t, h, requests)
	waitHeld(t, h) // the answers fill every buffer on the way
	h.cancel()
	for deadline := time.Now().Add(10 * time.Second); !h.rt.draining.Load(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the router does not shut down")
		}
	}
	got, err := readPipelined(t, conn, requests)
	if got == requests || err == nil {
		t.Fatalf("the client got all %d answers; want the connection closed by the shutdown", got)
	}
	if n := hits.Load(); int64(got) != n {
		t.Errorf("the client got %d answers (then %v) of the %d the cell gave; want each one", got, err, n)
	}
	select {
	case err := <-h.done:
		h.done <- nil // for the harness's cleanup
		if err != nil {
			t.Errorf("Serve: %v; want nil (every answer sent)", err)
		}
	case <-time.After(30 * time.Second): // a guard against a hang
		t.Fatal("Serve did not return within 30 s of the client taking its answers")
	}
}

// TestEvLoopTooSlowWhileTheBodyIsSent: an answer that outruns its
// request's body (still being sent) cannot take the slow lane (the cell's
// connection must stay on the loop to carry the rest of the body), so the
// engine buffers it for a client that does not read up to evMaxOutbound,
// then gives the request up as the client's (499) and closes both
// connections, rather than buffer the whole answer.
func TestEvLoopTooSlowWhileTheBodyIsSent(t *testing.T) {
	t.Parallel()
	const answer = 32 << 20
	cell := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Answers at once, without reading the body.
		w.Header().Set("Content-Length", strconv.Itoa(answer))
		chunk := bytes.Repeat([]byte("a"), 64<<10)
		for n := 0; n < answer; n += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	t.Cleanup(cell.Close)
	h := startRouter(t, oneCell(cell.URL), func(c *Config) { c.Engine = EngineEvLoop })
	// The head and a little of a 1 MiB body; the rest never comes, and the
	// client reads nothing for now.
	conn := sendRaw(t, h, "POST /up HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\nContent-Length: 1048576\r\n\r\n"+strings.Repeat("b", 1024))
	const gaveUp = `cellfabric_router_requests_total{cell="cell-a",cloud="aws",code="499"}`
	for deadline := time.Now().Add(20 * time.Second); metricValue(t, h, gaveUp) != 1; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) { // a guard against a hang
			t.Fatalf("%s = %v, want 1: the request was not given up", gaveUp, metricValue(t, h, gaveUp))
		}
	}
	if peak := h.rt.evPeak.Load(); peak > evMaxOutbound+2*evLaneRead {
		t.Errorf("the engine held %d bytes for the client; want at most about evMaxOutbound (%d)", peak, evMaxOutbound)
	}
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second)) // a guard against a hang
	got, _ := io.Copy(io.Discard, conn)
	if got >= answer {
		t.Errorf("the client read %d bytes, the whole answer; want it cut (connection closed) after about evMaxOutbound", got)
	}
}
