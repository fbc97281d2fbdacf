package server

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router"
)

// TestExpectContinue: a client that asks before sending its body
// (Expect: 100-continue) is told to go on, on every engine, and its body
// reaches the cell.
func TestExpectContinue(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		a := newTestCell(t, "cell-a", "aws")
		h := startRouter(t, registry(1, []router.Cell{a.cell()}, router.Tenant{ID: "acme", Cell: "cell-a"}), nil)
		conn := sendRaw(t, h, "PUT /x HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
		// The deadline only keeps a router that never answers from
		// hanging the test.
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(conn)
		line, err := br.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100 ") {
			t.Fatalf("before the body: %q, %v; want HTTP/1.1 100 Continue", line, err)
		}
		for line != "\r\n" {
			if line, err = br.ReadString('\n'); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := conn.Write([]byte("hello")); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"bodyBytes":5`) {
			t.Fatalf("%d %s, want 200 and the cell seeing 5 body bytes", resp.StatusCode, body)
		}
	})
}

// TestExpectContinueRefused: a request that asks before sending its body
// and is refused without being told to go on has no body on the wire (the
// client holds it back); the router must not read the client's next
// request as that body. Either it closes the connection after the
// refusal or it serves the next request as sent.
func TestExpectContinueRefused(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		a := newTestCell(t, "cell-a", "aws")
		h := startRouter(t, registry(1, []router.Cell{a.cell()}, router.Tenant{ID: "acme", Cell: "cell-a"}), nil)
		conn, err := net.Dial("tcp", hostOf(h.url))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second)) // a guard against a hang
		if _, err := conn.Write([]byte("PUT /x HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: nobody\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode == http.StatusContinue {
			// This engine tells every client to go on before deciding
			// (fasthttp's server): the body is due, then the answer.
			if _, err := conn.Write([]byte("hello")); err != nil {
				t.Fatal(err)
			}
			if resp, err = http.ReadResponse(br, nil); err != nil {
				t.Fatal(err)
			}
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Fatalf("%d for an unknown tenant, want a refusal", resp.StatusCode)
		}
		// The body is never sent; the next request follows at once.
		if _, err := conn.Write([]byte("GET /next HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n")); err != nil {
			return // closed after the refusal: fine
		}
		resp, err = http.ReadResponse(br, nil)
		if err != nil {
			return // closed after the refusal: fine
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"path":"/next"`) {
			t.Errorf("the request after the refused one: %d %s; want it served as sent (200 from cell-a for /next) or the connection closed", resp.StatusCode, body)
		}
	})
}
