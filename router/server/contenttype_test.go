package server

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
)

// TestAnswerContentTypeAsTheCellSent: a proxy does not invent a content
// type. A cell's answer without Content-Type reaches the client without
// one (neither fasthttp's default text/plain nor net/http's sniffing of
// the body), framed by a length or not, to an HTTP/1.1 or an HTTP/1.0
// client; a cell's own Content-Type passes unchanged; the router's own
// error answers keep theirs.
func TestAnswerContentTypeAsTheCellSent(t *testing.T) {
	t.Parallel()
	// A body net/http would sniff as text/html.
	const page = "<html><body>hello</body></html>"
	cell := rawServer(t, func(c net.Conn, br *bufio.Reader) {
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			_, _ = io.Copy(io.Discard, req.Body)
			var answer string
			switch req.URL.Path {
			case "/untyped":
				answer = "HTTP/1.1 200 OK\r\nContent-Length: 31\r\n\r\n" + page
			case "/untyped-chunked":
				answer = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1f\r\n" + page + "\r\n0\r\n\r\n"
			case "/untyped-after-103":
				answer = "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n" +
					"HTTP/1.1 200 OK\r\nContent-Length: 31\r\n\r\n" + page
			case "/untyped-empty":
				answer = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
			case "/typed":
				answer = "HTTP/1.1 200 OK\r\nContent-Type: application/x-cell; v=1\r\nContent-Length: 31\r\n\r\n" + page
			default:
				answer = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
			}
			if _, err := io.WriteString(c, answer); err != nil {
				return
			}
		}
	})
	for _, tc := range []struct {
		name   string
		proto  string
		path   string
		tenant string
		status int
		want   string // "" for no Content-Type header at all
	}{
		{"no type, with a length", "HTTP/1.1", "/untyped", "acme", http.StatusOK, ""},
		{"no type, chunked", "HTTP/1.1", "/untyped-chunked", "acme", http.StatusOK, ""},
		{"no type, after an early hint", "HTTP/1.1", "/untyped-after-103", "acme", http.StatusOK, ""},
		{"no type, empty", "HTTP/1.1", "/untyped-empty", "acme", http.StatusOK, ""},
		{"no type, chunked, HTTP/1.0 client", "HTTP/1.0", "/untyped-chunked", "acme", http.StatusOK, ""},
		{"no type, with a length, HTTP/1.0 client", "HTTP/1.0", "/untyped", "acme", http.StatusOK, ""},
		{"the cell's type", "HTTP/1.1", "/typed", "acme", http.StatusOK, "application/x-cell; v=1"},
		{"the cell's type, HTTP/1.0 client", "HTTP/1.0", "/typed", "acme", http.StatusOK, "application/x-cell; v=1"},
		{"the router's refusal", "HTTP/1.1", "/untyped", "nobody", http.StatusNotFound, "application/json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eachEngine(t, func(t *testing.T) {
				h := startRouter(t, oneCell("http://"+cell), nil)
				br := bufio.NewReader(sendRaw(t, h, "GET "+tc.path+" "+tc.proto+"\r\nHost: x\r\nX-Tenant-ID: "+tc.tenant+"\r\nConnection: close\r\n\r\n"))
				var resp *http.Response
				for resp == nil || resp.StatusCode < 200 { // past an early hint passed on
					var err error
					if resp, err = http.ReadResponse(br, nil); err != nil {
						t.Fatalf("reading the answer: %v", err)
					}
				}
				defer resp.Body.Close()
				body, err := io.ReadAll(resp.Body)
				if err != nil {
					t.Fatalf("reading the body: %v", err)
				}
				if resp.StatusCode != tc.status {
					t.Fatalf("status %d, want %d (body %q)", resp.StatusCode, tc.status, body)
				}
				got, present := resp.Header["Content-Type"]
				switch {
				case tc.want == "" && present:
					t.Errorf("Content-Type %q on an answer whose cell sent none; want no Content-Type", got)
				case tc.want != "" && (len(got) != 1 || got[0] != tc.want):
					t.Errorf("Content-Type %q, want exactly %q", got, tc.want)
				}
				if tc.status == http.StatusOK && tc.path != "/untyped-empty" && string(body) != "<html><body>hello</body></html>" {
					t.Errorf("body %q, want the cell's", body)
				}
			})
		})
	}
}
