package server

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

// TestForwardedHeaders: on both engines the cell gets X-Forwarded-For
// (the client's address as the router saw it, never the client's own
// claim),
// X-Forwarded-Host and -Proto, never the hop-by-hop headers (those named
// in Connection included), and the answer carries the router's headers
// without the cell's hop-by-hop ones.
func TestForwardedHeaders(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		cell := newRecordingCell(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Connection", "X-Cell-Private")
			w.Header().Set("X-Cell-Private", "1")
			w.Header().Set("X-Kept", "yes")
			w.Write([]byte("ok"))
		})
		c := router.Cell{ID: "cell-a", Cloud: "gcp", Region: "r", Endpoint: cell.srv.URL, HealthURL: cell.srv.URL + "/healthz", Weight: 100, State: fabric.CellActive}
		h := startRouter(t, registry(1, []router.Cell{c}, router.Tenant{ID: "acme", Cell: "cell-a"}), nil)
		resp, body := h.do(t, "GET", "/p?q=1", map[string]string{
			"X-Tenant-ID": "acme", "Host": "front.example", "X-Forwarded-For": "203.0.113.7",
			"X-Forwarded-Host": "spoofed", "Connection": "X-Client-Private", "X-Client-Private": "1", "Keep-Alive": "timeout=5",
			"X-Request-ID": "req-123",
		}, "")
		if resp.StatusCode != 200 || string(body) != "ok" {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		seen := cell.requests()
		if len(seen) != 1 {
			t.Fatalf("cell saw %d requests", len(seen))
		}
		got := seen[0].header
		for k, want := range map[string]string{
			"X-Forwarded-For": "127.0.0.1", "X-Forwarded-Host": "front.example", "X-Forwarded-Proto": "http",
			"X-Request-Id": "req-123", "X-Tenant-Id": "acme",
		} {
			if v := strings.Join(got.Values(k), "|"); v != want {
				t.Errorf("cell got %s %q, want %q", k, v, want)
			}
		}
		for _, k := range []string{"X-Client-Private", "Keep-Alive"} {
			if v := got.Get(k); v != "" {
				t.Errorf("hop-by-hop %s reached the cell: %q", k, v)
			}
		}
		if seen[0].target != "/p?q=1" {
			t.Errorf("target %q, want /p?q=1", seen[0].target)
		}
		for k, want := range map[string]string{"X-Cell-Id": "cell-a", "X-Processed-By-Cloud": "gcp", "X-Request-Id": "req-123", "X-Kept": "yes", "X-Cell-Private": ""} {
			if v := resp.Header.Get(k); v != want {
				t.Errorf("answer %s %q, want %q", k, v, want)
			}
		}
	})
}

// TestAnswersWithoutBody: 204 and 304 answers and answers to HEAD reach
// the client without a body, and the connection carries the next request,
// on both engines.
func TestAnswersWithoutBody(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		cell := newRecordingCell(t, func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/204":
				w.WriteHeader(http.StatusNoContent)
			case "/304":
				w.WriteHeader(http.StatusNotModified)
			default:
				w.Header().Set("Content-Length", "5")
				w.Write([]byte("hello"))
			}
		})
		c := router.Cell{ID: "cell-a", Cloud: "aws", Region: "r", Endpoint: cell.srv.URL, HealthURL: cell.srv.URL + "/healthz", Weight: 100, State: fabric.CellActive}
		h := startRouter(t, registry(1, []router.Cell{c}, router.Tenant{ID: "acme", Cell: "cell-a"}), nil)
		const hdr = "Host: localhost\r\nX-Tenant-ID: acme\r\n"
		conn, err := net.Dial("tcp", hostOf(h.url))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(conn)
		for _, w := range []struct {
			method, path string
			status       int
			body         string
		}{{"GET", "/204", 204, ""}, {"GET", "/304", 304, ""}, {"HEAD", "/head", 200, ""}, {"GET", "/last", 200, "hello"}} {
			if _, err := io.WriteString(conn, w.method+" "+w.path+" HTTP/1.1\r\n"+hdr+"\r\n"); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(br, &http.Request{Method: w.method})
			if err != nil {
				t.Fatalf("%s %s: %v", w.method, w.path, err)
			}
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != w.status || string(b) != w.body {
				t.Errorf("%s %s: %d %q, want %d %q", w.method, w.path, resp.StatusCode, b, w.status, w.body)
			}
		}
	})
}
