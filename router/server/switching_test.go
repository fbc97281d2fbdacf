package server

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

// TestCellSwitchingProtocolsNotReused: a cell that answers 101 Switching
// Protocols speaks another protocol on that connection from then on; the
// router must never send it another HTTP request there.
func TestCellSwitchingProtocolsNotReused(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		var afterSwitch atomic.Int64 // requests a cell got on a switched connection
		addr := rawServer(t, func(c net.Conn, br *bufio.Reader) {
			switched := false
			for {
				r, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, r.Body)
				if switched {
					afterSwitch.Add(1)
					_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
					continue
				}
				switched = true
				if _, err := io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: other\r\n\r\n"); err != nil {
					return
				}
			}
		})
		h := startRouter(t, oneCell("http://"+addr), nil)
		for i := 0; i < 2*runtime.GOMAXPROCS(0)+2; i++ { // every loop twice (the evloop engine pools per loop)
			conn, err := net.Dial("tcp", hostOf(h.url))
			if err != nil {
				t.Fatal(err)
			}
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second)) // a guard against a hang
			if _, err := conn.Write([]byte("GET /a HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n")); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("request %d: no answer: %v", i, err)
			}
			resp.Body.Close()
			conn.Close()
		}
		if n := afterSwitch.Load(); n != 0 {
			t.Errorf("the cell got %d requests on a connection it had switched to another protocol", n)
		}
	})
}

// TestNetHTTPProxiesUpgrades: the net/http engine proxies a protocol
// upgrade the client asks for (WebSocket and the like; the other engines
// do not, engine.go): the cell's 101 reaches the client and bytes then
// flow both ways on the connection.
func TestNetHTTPProxiesUpgrades(t *testing.T) {
	t.Parallel()
	cell := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "echo" {
			http.Error(w, "no upgrade asked", http.StatusBadRequest)
			return
		}
		echoUpgrade(w)
	}))
	t.Cleanup(cell.Close)
	c := router.Cell{ID: "cell-a", Cloud: "aws", Region: "local", Endpoint: cell.URL, Weight: 100, State: fabric.CellActive}
	h := startRouter(t, registry(1, []router.Cell{c}, router.Tenant{ID: "acme", Cell: "cell-a"}), func(c *Config) { c.Engine = EngineNetHTTP })
	conn, err := net.Dial("tcp", hostOf(h.url))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second)) // a guard against a hang
	if _, err := io.WriteString(conn, "GET /ws HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d (%s), want 101 from the cell", resp.StatusCode, body)
	}
	if _, err := io.WriteString(conn, "ping"); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 4)
	if _, err := io.ReadFull(br, got); err != nil || string(got) != "ping" {
		t.Errorf("read %q (%v) back on the upgraded connection, want %q", got, err, "ping")
	}
}

// TestHTTP10UpgradeIgnored: an HTTP/1.0 request's Upgrade is ignored
// (RFC 9110 §7.8), on every engine: the cell is not asked to switch
// protocols and the client gets the cell's ordinary answer, never a 101,
// which is a 1xx answer an HTTP/1.0 client does not have.
func TestHTTP10UpgradeIgnored(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		var asked atomic.Bool
		cell := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Upgrade") == "" {
				_, _ = io.WriteString(w, "no upgrade")
				return
			}
			asked.Store(true)
			echoUpgrade(w)
		}))
		t.Cleanup(cell.Close)
		h := startRouter(t, oneCell(cell.URL), nil)
		conn := sendRaw(t, h, "GET /ws HTTP/1.0\r\nHost: x\r\nX-Tenant-ID: acme\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // a guard against a hang
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || string(body) != "no upgrade" || asked.Load() {
			t.Errorf("status %d %q, the cell asked to upgrade: %v; want the cell's 200 %q, no upgrade asked", resp.StatusCode, body, asked.Load(), "no upgrade")
		}
	})
}

// TestUnaskedSwitchingProtocolsClosesCellConnection: a cell that answers
// 101 Switching Protocols to a request that did not ask to upgrade has
// broken the request; the router must close its connection to that cell
// (the connection speaks an unknown protocol from then on) rather than
// leave it open until the cell gives up, and answer the client 502, on
// every engine.
func TestUnaskedSwitchingProtocolsClosesCellConnection(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		closed := make(chan error, 1)
		addr := rawServer(t, func(c net.Conn, br *bufio.Reader) {
			r, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			_, _ = io.Copy(io.Discard, r.Body)
			if _, err := io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: other\r\n\r\n"); err != nil {
				return
			}
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second)) // a guard against a hang
			_, err = br.ReadByte()
			closed <- err
		})
		h := startRouter(t, oneCell("http://"+addr), nil)
		conn := sendRaw(t, h, "GET /a HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n")
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // a guard against a hang
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("no answer: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadGateway {
			t.Errorf("status %d for a cell's unasked 101, want 502: the client asked for no upgrade, and a 101 would tell it the connection switched", resp.StatusCode)
		}
		// conn stays open: the router must not wait for its client to
		// close the cell's connection.
		err = <-closed
		var ne net.Error
		if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
			t.Errorf("the cell's connection is still open 10 s after its unasked 101 (read: %v), want it closed by the router", err)
		}
	})
}

// echoUpgrade is a cell's side of an upgrade: it takes w's connection
// over, answers 101 (Upgrade: echo) and echoes what comes until the
// router closes the connection (or a 20 s guard passes).
func echoUpgrade(w http.ResponseWriter) {
	c, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer c.Close()
	_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
	_ = brw.Flush()
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second)) // a guard against a hang
	_, _ = io.Copy(c, brw)
}
