package server

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
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
