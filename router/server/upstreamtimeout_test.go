package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

// TestUpstreamTimeoutBoundsOnlyTheHead: UpstreamTimeout bounds the wait
// for a cell's response head and nothing after it, on both engines: a
// body that pauses past it arrives whole, a connection whose last answer
// was read while its deadline was armed serves the next request after
// that deadline passed, and a head that does not come in time is a 504.
func TestUpstreamTimeoutBoundsOnlyTheHead(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		const timeout = 100 * time.Millisecond
		cell := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/slowbody": // the head at once, the body's end after the timeout
				w.Header().Set("Content-Length", "10")
				w.WriteHeader(http.StatusOK)
				_, _ = w.Write([]byte("first"))
				w.(http.Flusher).Flush()
				time.Sleep(3 * timeout)
				_, _ = w.Write([]byte("-last"))
			case "/slowhead":
				time.Sleep(3 * timeout)
			default:
				_, _ = w.Write([]byte("small"))
			}
		}))
		t.Cleanup(cell.Close)
		c := router.Cell{ID: "cell-a", Cloud: fabric.Cloud("aws"), Region: "local", Endpoint: cell.URL, HealthURL: cell.URL + "/healthz", Weight: 100, State: fabric.CellActive}
		h := startRouter(t, registry(1, []router.Cell{c}, router.Tenant{ID: "acme", Cell: "cell-a"}), func(c *Config) {
			c.UpstreamTimeout = timeout
			c.MaxAttempts = 1
		})
		hdr := map[string]string{"X-Tenant-ID": "acme"}

		if resp, body := h.do(t, "GET", "/slowbody", hdr, ""); resp.StatusCode != 200 || string(body) != "first-last" {
			t.Fatalf("body pausing past the timeout: %d %q, want 200 %q", resp.StatusCode, body, "first-last")
		}
		// A small answer, read whole with the head: its connection goes
		// back to the pool; the next request on it comes after the
		// deadline armed for that head has passed.
		if resp, body := h.do(t, "GET", "/small", hdr, ""); resp.StatusCode != 200 || string(body) != "small" {
			t.Fatalf("small answer: %d %q", resp.StatusCode, body)
		}
		time.Sleep(2 * timeout) // sets up the condition; asserts nothing
		for i := range 3 {
			if resp, body := h.do(t, "GET", "/small", hdr, ""); resp.StatusCode != 200 || string(body) != "small" {
				t.Fatalf("request %d on a kept connection after its old deadline: %d %q", i, resp.StatusCode, body)
			}
		}
		if resp, body := h.do(t, "GET", "/slowhead", hdr, ""); resp.StatusCode != http.StatusGatewayTimeout || !strings.Contains(string(body), "upstream_timeout") {
			t.Fatalf("head later than the timeout: %d %s, want 504 upstream_timeout", resp.StatusCode, body)
		}
	})
}

// TestUpstreamTimeoutStartsAfterTheBody: the wait UpstreamTimeout bounds
// starts once the request's body is sent, on every engine: a client that
// takes longer than the timeout to send its body, to a cell that answers
// within the timeout of having it all, gets the cell's answer.
func TestUpstreamTimeoutStartsAfterTheBody(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		const timeout = 200 * time.Millisecond
		cell := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			time.Sleep(timeout / 2) // within the timeout, counted from the body's end
			_, _ = w.Write(b)
		}))
		t.Cleanup(cell.Close)
		c := router.Cell{ID: "cell-a", Cloud: fabric.Cloud("aws"), Region: "local", Endpoint: cell.URL, HealthURL: cell.URL + "/healthz", Weight: 100, State: fabric.CellActive}
		h := startRouter(t, registry(1, []router.Cell{c}, router.Tenant{ID: "acme", Cell: "cell-a"}), func(c *Config) {
			c.UpstreamTimeout = timeout
			c.MaxAttempts = 1
		})
		pr, pw := io.Pipe()
		go func() {
			_, _ = pw.Write([]byte("first"))
			time.Sleep(3 * timeout) // a slow client; sets up the condition
			_, _ = pw.Write([]byte("-last"))
			pw.Close()
		}()
		req, err := http.NewRequest("PUT", h.url+"/slowupload", pr)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = 10
		req.Header.Set("X-Tenant-ID", "acme")
		resp, err := h.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(body) != "first-last" {
			t.Fatalf("slow upload: %d %s, want 200 %q", resp.StatusCode, body, "first-last")
		}
	})
}
