package server

import (
	"bufio"
	"bytes"
	"io"
	"net"
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

// slowSize is the answer a slow client gets in TestSlowClientGetsWholeAnswer:
// eight times evMaxOutbound, what the event-loop engine used to buffer
// before it gave such a client up.
const slowSize = 64 << 20

// slowPattern is the bytes of a large answer, generated rather than held:
// byte i is slowPattern[i%len], a prime length so that reads of any size
// land at shifting offsets.
var slowPattern = func() []byte {
	p := make([]byte, 65521)
	for i := range p {
		p[i] = byte(i*131 + i>>8)
	}
	return p
}()

// fillPattern fills b with the answer's bytes from offset off.
func fillPattern(b []byte, off int64) {
	for n := 0; n < len(b); {
		i := int((off + int64(n)) % int64(len(slowPattern)))
		n += copy(b[n:], slowPattern[i:])
	}
}

// streamPattern writes size bytes of the pattern to w, counting them in
// written.
func streamPattern(w io.Writer, size int64, written *atomic.Int64) error {
	buf := make([]byte, 32<<10)
	for off := int64(0); off < size; {
		p := buf[:min(int64(len(buf)), size-off)]
		fillPattern(p, off)
		n, err := w.Write(p)
		off += int64(n)
		written.Add(int64(n))
		if err != nil {
			return err
		}
	}
	return nil
}

// waitStalled returns once the cell has written nothing for 150 ms
// (every buffer between it and the client is full) or all of it. It
// paces the test; it asserts nothing.
func waitStalled(written *atomic.Int64, size int64) {
	last, still := written.Load(), 0
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && still < 3; {
		time.Sleep(50 * time.Millisecond)
		switch n := written.Load(); {
		case n >= size:
			return
		case n == last:
			still++
		default:
			last, still = n, 0
		}
	}
}

// waitHeld returns once h's event-loop engine holds a client's requests
// back (holdBack records the bytes waiting as it starts to): pacing that
// waitStalled, 150 ms without progress, cannot give on a loaded machine,
// where the router may pause that long before its buffers are full. It
// fails the test after 30 s without.
func waitHeld(t *testing.T, h *harness) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); h.rt.evPeak.Load() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("after 30 s the router does not hold the client's requests back")
		}
	}
}

// TestSlowClientGetsWholeAnswer: an answer far larger than what the router
// holds for one client reaches a client that reads it slowly (long pauses,
// small reads) whole and byte for byte, however the cell frames it: every
// engine slows the cell down to the client's pace instead of holding the
// answer or giving the client up. Meanwhile other clients are served (the
// event-loop engine's loops are not blocked by the slow one), and the
// event-loop engine holds at most about its high watermark for the slow
// client (evSlowHigh: the rest waits in the cell's socket).
func TestSlowClientGetsWholeAnswer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		framing string // content-length, chunked or close (close-delimited)
		http10  bool   // the client speaks HTTP/1.0: the answer comes unframed
	}{
		{name: "content-length", framing: "content-length"},
		{name: "chunked", framing: "chunked"},
		{name: "close-delimited", framing: "close"},
		{name: "chunked, HTTP/1.0 client", framing: "chunked", http10: true},
		{name: "close-delimited, HTTP/1.0 client", framing: "close", http10: true},
	}
	eachEngine(t, func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var written atomic.Int64
				cell := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path != "/big" {
						_, _ = io.WriteString(w, "small")
						return
					}
					switch tt.framing {
					case "content-length":
						w.Header().Set("Content-Length", strconv.Itoa(slowSize))
						_ = streamPattern(w, slowSize, &written)
					case "chunked": // no length: net/http sends it chunked
						_ = streamPattern(w, slowSize, &written)
					case "close":
						conn, bw, err := http.NewResponseController(w).Hijack()
						if err != nil {
							t.Error(err)
							return
						}
						defer conn.Close()
						_, _ = bw.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n")
						_ = streamPattern(bw, slowSize, &written)
						_ = bw.Flush()
					}
				}))
				t.Cleanup(cell.Close)
				c := router.Cell{ID: "cell-a", Cloud: "aws", Region: "local", Endpoint: cell.URL, Weight: 100, State: fabric.CellActive}
				h := startRouter(t, registry(1, []router.Cell{c}, router.Tenant{ID: "acme", Cell: "cell-a"}), nil)

				proto := "HTTP/1.1"
				if tt.http10 {
					proto = "HTTP/1.0"
				}
				conn := sendRaw(t, h, "GET /big "+proto+"\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n")
				// Read nothing until every buffer on the way is full.
				waitStalled(&written, slowSize)

				// Other clients are served meanwhile, on fresh
				// connections (so on every loop of the event-loop engine).
				fast := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
				for i := range 8 {
					req, _ := http.NewRequest(http.MethodGet, h.url+"/small", nil)
					req.Header.Set("X-Tenant-ID", "acme")
					resp, err := fast.Do(req)
					if err != nil {
						t.Fatalf("request %d of another client while the slow one waits: %v", i, err)
					}
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK || string(b) != "small" {
						t.Fatalf("request %d of another client while the slow one waits: %d %q, want 200 %q", i, resp.StatusCode, b, "small")
					}
				}

				br := bufio.NewReaderSize(conn, 4<<10)
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatalf("reading the answer's head: %v", err)
				}
				defer resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("status %d, want 200", resp.StatusCode)
				}
				if tt.http10 && len(resp.TransferEncoding) > 0 {
					t.Fatalf("the answer to an HTTP/1.0 client is sent %v", resp.TransferEncoding)
				}
				// Small reads, with two more long pauses on the way and,
				// between them, a steady pace of about 32 MB/s.
				got, want := make([]byte, 3<<10), make([]byte, 3<<10)
				var off int64
				pauses := []int64{slowSize / 4, slowSize * 5 / 8}
				for {
					if len(pauses) > 0 && off >= pauses[0] {
						pauses = pauses[1:]
						waitStalled(&written, slowSize)
					}
					if len(pauses) == 1 && off%(64<<10) < int64(len(got)) {
						time.Sleep(2 * time.Millisecond)
					}
					n, err := resp.Body.Read(got)
					if n > 0 {
						fillPattern(want[:n], off)
						if !bytes.Equal(got[:n], want[:n]) {
							t.Fatalf("the answer differs from what the cell sent at bytes %d-%d", off, off+int64(n))
						}
						off += int64(n)
					}
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatalf("after %d of %d bytes: %v", off, slowSize, err)
					}
				}
				if off != slowSize {
					t.Fatalf("the client got %d bytes, want %d", off, slowSize)
				}
				if engineOf(t) == EngineEvLoop {
					// The engine had to hold back (the client paused
					// with every buffer full), and held little.
					peak := h.rt.evPeak.Load()
					if peak <= evSlowHigh || peak > 2*evSlowHigh {
						t.Errorf("the most the router held for the slow client is %d bytes; want it over the high watermark (%d: the client made it wait) and at most twice that", peak, evSlowHigh)
					}
				}
				const ok = `cellfabric_router_requests_total{cell="cell-a",cloud="aws",code="200"}`
				for deadline := time.Now().Add(10 * time.Second); metricValue(t, h, ok) != 9; time.Sleep(10 * time.Millisecond) {
					if time.Now().After(deadline) { // a guard against a hang
						t.Fatalf("%s = %v, want 9 (the slow answer and 8 others)", ok, metricValue(t, h, ok))
					}
				}
			})
		}
	})
}

// pipelineCell answers GET /p/N with 2 KiB that begin with its path,
// counting the requests it got.
func pipelineCell(t *testing.T, hits *atomic.Int64) router.Cell {
	t.Helper()
	cell := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		body := make([]byte, pipelineAnswer)
		for i := range body {
			body[i] = '.'
		}
		copy(body, r.URL.Path)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	}))
	t.Cleanup(cell.Close)
	return router.Cell{ID: "cell-a", Cloud: "aws", Region: "local", Endpoint: cell.URL, Weight: 100, State: fabric.CellActive}
}

// pipelineAnswer is the size of pipelineCell's answers.
const pipelineAnswer = 2 << 10

// pipelined is n pipelined requests for /p/0 … /p/n-1, sent from a
// goroutine (an engine that takes one request at a time stops reading
// them while its answers wait for the client).
func pipelined(t *testing.T, h *harness, n int) net.Conn {
	t.Helper()
	conn := sendRaw(t, h, "")
	raw := pipelineRequests(0, n)
	go func() { _, _ = io.WriteString(conn, raw) }()
	return conn
}

// pipelineRequests is the requests for /p/from … /p/from+n-1.
func pipelineRequests(from, n int) string {
	var raw strings.Builder
	for i := from; i < from+n; i++ {
		raw.WriteString("GET /p/" + strconv.Itoa(i) + " HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n")
	}
	return raw.String()
}

// readPipelined reads the answers to pipelined's requests in order,
// checking each is whole and the one to its own request; it returns how
// many came before the connection ended, and how it ended.
func readPipelined(t *testing.T, conn net.Conn, n int) (int, error) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(60 * time.Second)) // a guard against a hang
	br := bufio.NewReader(conn)
	for i := range n {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return i, err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return i, err
		}
		if want := "/p/" + strconv.Itoa(i) + "."; resp.StatusCode != http.StatusOK || len(b) != pipelineAnswer || !bytes.HasPrefix(b, []byte(want)) {
			t.Fatalf("answer %d: %d, %d bytes beginning %q; want 200, %d bytes beginning %q", i, resp.StatusCode, len(b), b[:min(len(b), 16)], pipelineAnswer, want)
		}
	}
	return n, nil
}

// TestPipelinedAnswersAtTheClientsPace: a client that pipelines far more
// requests than every buffer on the way holds answers to, and reads none
// of them for a while, gets every answer, in order and whole, once it
// reads: every engine takes its requests at the pace it takes their
// answers, rather than buffering the answers or giving it up, and the
// event-loop engine holds about its high watermark for it meanwhile
// (evSlowHigh: the requests wait in its buffer, not their answers).
func TestPipelinedAnswersAtTheClientsPace(t *testing.T) {
	t.Parallel()
	// 31 MiB of answers, far more than the sockets between the router
	// and the client hold; 0.8 MiB of requests, under evMaxAhead.
	const requests = 16000
	eachEngine(t, func(t *testing.T) {
		var hits atomic.Int64
		h := startRouter(t, registry(1, []router.Cell{pipelineCell(t, &hits)}, router.Tenant{ID: "acme", Cell: "cell-a"}), nil)
		conn := pipelined(t, h, requests)
		waitStalled(&hits, requests) // every buffer on the way full
		if engineOf(t) == EngineEvLoop {
			waitHeld(t, h)
		}
		if n := hits.Load(); n >= requests {
			t.Fatalf("the cell got all %d requests (%d MiB of answers) while the client read nothing; want the router to hold them back", n, requests*pipelineAnswer>>20)
		}
		if engineOf(t) == EngineEvLoop {
			peak := h.rt.evPeak.Load()
			if peak == 0 || peak > evSlowHigh+evLaneRead {
				t.Errorf("the engine held %d bytes of answers for the client; want more than 0 (it held requests back) and at most about evSlowHigh (%d)", peak, evSlowHigh)
			}
		}
		if got, err := readPipelined(t, conn, requests); got != requests {
			t.Fatalf("the client got %d of %d answers (%v); want all", got, requests, err)
		}
	})
}
