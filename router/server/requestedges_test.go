package server

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

// TestClientRequestEdges: requests at the edges of HTTP/1.1's rules are
// answered as RFC 9110/9112 say, the same on every engine, and nothing
// the client's framing does not send as a request reaches the cell.
func TestClientRequestEdges(t *testing.T) {
	t.Parallel()
	const h = "Host: localhost\r\nX-Tenant-ID: acme\r\n"
	const smuggled = "GET /smuggled HTTP/1.1\r\n" + h + "\r\n"
	tests := []struct {
		name  string
		raw   string
		check func(t *testing.T, answers []*http.Response, seen []seenRequest)
	}{
		{name: "Connection: close, then more bytes", raw: "GET /a HTTP/1.1\r\n" + h + "Connection: close\r\n\r\n" + smuggled,
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 200)
				wantTargets(t, seen, "/a")
			}},
		{name: "hop-by-hop headers named in the client's Connection headers",
			raw: "GET /a HTTP/1.1\r\n" + h + "Connection: X-Hop-A\r\nConnection: X-Hop-B, keep-alive\r\nX-Hop-A: 1\r\nX-Hop-B: 2\r\n\r\n" + "GET /b HTTP/1.1\r\n" + h + "Connection: close\r\n\r\n",
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 200, 200)
				wantTargets(t, seen, "/a", "/b")
				if len(seen) > 0 && (seen[0].header.Get("X-Hop-A") != "" || seen[0].header.Get("X-Hop-B") != "") {
					t.Errorf("hop-by-hop headers reached the cell: %v", seen[0].header)
				}
			}},
		{name: "hop-by-hop header named beside close",
			raw: "GET /a HTTP/1.1\r\n" + h + "Connection: close, X-Hop\r\nX-Hop: 1\r\n\r\n",
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 200)
				wantTargets(t, seen, "/a")
				if len(seen) == 1 && seen[0].header.Get("X-Hop") != "" {
					t.Errorf("hop-by-hop header reached the cell: %v", seen[0].header)
				}
			}},
		{name: "Transfer-Encoding: gzip, chunked", raw: "POST /a HTTP/1.1\r\n" + h + "Transfer-Encoding: gzip, chunked\r\n\r\n" + "4\r\nabcd\r\n0\r\n\r\n" + smuggled,
			// Not a coding the router decodes: refused (400 or 501), the
			// connection closed (what follows is not readable as requests).
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				if len(answers) != 1 || (answers[0].StatusCode != 400 && answers[0].StatusCode != 501) {
					t.Errorf("answers %v, want one 400 or 501", statuses(answers))
				}
				wantTargets(t, seen)
			}},
		{name: "Transfer-Encoding: identity", raw: "POST /a HTTP/1.1\r\n" + h + "Transfer-Encoding: identity\r\n\r\n" + smuggled,
			// identity is no transfer coding any more (RFC 9112 §7): an
			// unknown one, refused (501, as net/http answers it), the
			// connection closed. Read as no body, what follows would be
			// served as a request the client's framing did not send.
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				if len(answers) != 1 || (answers[0].StatusCode != 400 && answers[0].StatusCode != 501) {
					t.Errorf("answers %v, want one 400 or 501", statuses(answers))
				}
				wantTargets(t, seen)
			}},
		{name: "Transfer-Encoding: identity with Content-Length", raw: "POST /a HTTP/1.1\r\n" + h + "Transfer-Encoding: identity\r\nContent-Length: 4\r\n\r\nabcd" + smuggled,
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				if len(answers) != 1 || (answers[0].StatusCode != 400 && answers[0].StatusCode != 501) {
					t.Errorf("answers %v, want one 400 or 501", statuses(answers))
				}
				wantTargets(t, seen)
			}},
		{name: "HTTP/1.1 without Host", raw: "GET /a HTTP/1.1\r\nX-Tenant-ID: acme\r\n\r\n",
			// RFC 9112 §3.2: a server must answer 400.
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 400)
				wantTargets(t, seen)
			}},
		{name: "absolute-form target with an invalid authority", raw: "GET http://a\"b/a HTTP/1.1\r\nX-Tenant-ID: acme\r\nHost: localhost\r\n\r\n" + smuggled,
			// The authority stands for the Host field (RFC 9112 §3.2.2),
			// and the same bytes in a Host field are refused; net/http's
			// server and evloop forwarded it (found by FuzzEnginesAgree).
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 400)
				wantTargets(t, seen)
			}},
		{name: "Trailer header naming a non-token", raw: "POST /a HTTP/1.1\r\n" + h + "Trailer: X a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled,
			// net/http's server took it and its transport then refused to
			// send it (502, the connection kept); fasthttp's parser
			// refuses it (found by FuzzEnginesAgree).
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 400)
				wantTargets(t, seen)
			}},
		{name: "HTTP/1.2 without Host", raw: "GET /a HTTP/1.2\r\nX-Tenant-ID: acme\r\n\r\n" + smuggled,
			// A later minor version is read as the highest the server
			// speaks, 1.1 (RFC 9110 §2.5), which requires Host: found by
			// FuzzEnginesAgree (fasthttp's parser reads HTTP/1.2 as 1.0,
			// and the request was forwarded).
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 400)
				wantTargets(t, seen)
			}},
		{name: "Host with a space", raw: "GET /a HTTP/1.1\r\nHost: a b\r\nX-Tenant-ID: acme\r\n\r\n" + smuggled,
			// An invalid Host value is answered 400, the connection closed
			// (RFC 9112 §3.2), never forwarded as X-Forwarded-Host.
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 400)
				wantTargets(t, seen)
			}},
		{name: "Host with a slash", raw: "GET /a HTTP/1.1\r\nHost: a/b\r\nX-Tenant-ID: acme\r\n\r\n" + smuggled,
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 400)
				wantTargets(t, seen)
			}},
		{name: "Host with a quote", raw: "GET /a HTTP/1.1\r\nHost: a\"b\r\nX-Tenant-ID: acme\r\n\r\n" + smuggled,
			// A character no host has (found by FuzzEnginesAgree: fasthttp's
			// parser refuses a space, not this): refused as net/http
			// refuses it.
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 400)
				wantTargets(t, seen)
			}},
		{name: "absolute-form target with an invalid Host field", raw: "GET http://localhost/a HTTP/1.1\r\nHost: a\"b\r\nX-Tenant-ID: acme\r\n\r\n" + smuggled,
			// The target's authority wins (RFC 9112 §3.2.2), but an
			// invalid Host field is still refused (§3.2), as net/http
			// refuses it. Found by FuzzEnginesAgree.
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 400)
				wantTargets(t, seen)
			}},
		{name: "HTTP/1.0 without Host", raw: "GET /a HTTP/1.0\r\nX-Tenant-ID: acme\r\n\r\n",
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 200)
				wantTargets(t, seen, "/a")
			}},
		{name: "absolute-form target", raw: "GET http://localhost/a?q=1 HTTP/1.1\r\n" + h + "Connection: close\r\n\r\n",
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 200)
				wantTargets(t, seen, "/a?q=1")
			}},
		{name: "target with a fragment", raw: "GET /a#frag HTTP/1.1\r\n" + h + "Connection: close\r\n\r\n",
			// A target has no fragment (RFC 9112 §3.2): every engine, as
			// net/http's server, reads '#' as part of the path, so the cell
			// gets it escaped, never a path cut at '#' that the client
			// did not send.
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 200)
				wantTargets(t, seen, "/a%23frag")
			}},
		{name: "HTTP/2.0 request line", raw: "GET /a HTTP/2.0\r\n" + h + "\r\n" + smuggled,
			// A major version the router does not speak: 505, the
			// connection closed (RFC 9110 §15.6.6), as net/http answers it;
			// never served as HTTP/1.0.
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 505)
				wantTargets(t, seen)
			}},
		{name: "HTTP/0.9 request line", raw: "GET /a HTTP/0.9\r\n" + h + "\r\n" + smuggled,
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 505)
				wantTargets(t, seen)
			}},
		{name: "request line without a version", raw: "GET /a\r\n" + h + "\r\n" + smuggled,
			// HTTP/0.9's form: not a request the parsers read (400, the
			// connection closed), not one of an unsupported version (505).
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 400)
				wantTargets(t, seen)
			}},
		{name: "query with semicolons and a bad escape", raw: "GET /a?x=1;y=2&z=3&w=%zz&v=4 HTTP/1.1\r\n" + h + "Connection: close\r\n\r\n",
			// The router reads no query: the cell gets it as the client
			// sent it, on every engine (net/http's ReverseProxy would drop
			// the parameters url.ParseQuery refuses).
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 200)
				wantTargets(t, seen, "/a?x=1;y=2&z=3&w=%zz&v=4")
			}},
		{name: "empty query", raw: "GET /a? HTTP/1.1\r\n" + h + "Connection: close\r\n\r\n",
			// "/a?" is not "/a" (RFC 3986 §6.2.3: a delimiter of an
			// empty component is not dropped): the cell gets the target
			// as sent, on every engine, as net/http's ReverseProxy sends
			// it. Found by FuzzEnginesAgree.
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 200)
				wantTargets(t, seen, "/a?")
			}},
		{name: "target with a bare space", raw: "GET /a b HTTP/1.1\r\n" + h + "Connection: close\r\n\r\n",
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 400)
				wantTargets(t, seen)
			}},
		{name: "chunked body with trailers", raw: "POST /a HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Sum: 5\r\n\r\n" + "GET /b HTTP/1.1\r\n" + h + "Connection: close\r\n\r\n",
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 200, 200)
				wantTargets(t, seen, "/a", "/b")
				if len(seen) > 0 && seen[0].body != "hello" {
					t.Errorf("the cell got body %q, want hello", seen[0].body)
				}
			}},
		{name: "Expect: 100-continue from an HTTP/1.0 client", raw: "POST /a HTTP/1.0\r\n" + h + "Content-Length: 5\r\nExpect: 100-continue\r\nConnection: keep-alive\r\n\r\nhello" + "GET /b HTTP/1.0\r\n" + h + "\r\n",
			// HTTP/1.0 has no 1xx: a server must not send one to it, and
			// ignores the expectation (RFC 9110 §10.1.1, §15.2). The client
			// would take a 100 for its answer, and every answer after it
			// for the one to its previous request.
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				if got := allStatuses(answers); !slices.Equal(got, []int{200, 200}) {
					t.Errorf("answers %v, want [200 200] with no interim one", got)
				}
				wantTargets(t, seen, "/a", "/b")
			}},
		{name: "body without Content-Type", raw: "POST /a HTTP/1.1\r\n" + h + "Content-Length: 5\r\n\r\nhello" + "POST /b HTTP/1.1\r\n" + h + "Content-Type: text/x-mine\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi",
			// A proxy invents no media type (RFC 9110 §8.3: without one
			// the recipient may assume application/octet-stream or look
			// at the data; that is the cell's choice): the cell gets the
			// request without Content-Type, and the client's own as sent.
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 200, 200)
				wantTargets(t, seen, "/a", "/b")
				if len(seen) == 2 {
					if ct, ok := seen[0].header["Content-Type"]; ok {
						t.Errorf("the cell got Content-Type %q on a request sent without one", ct)
					}
					if ct := seen[1].header.Values("Content-Type"); !slices.Equal(ct, []string{"text/x-mine"}) {
						t.Errorf("the cell got Content-Type %q, want the client's text/x-mine", ct)
					}
				}
			}},
		{name: "Content-Length 0 with Expect: 100-continue", raw: "POST /a HTTP/1.1\r\n" + h + "Content-Length: 0\r\nExpect: 100-continue\r\n\r\n" + "GET /b HTTP/1.1\r\n" + h + "Connection: close\r\n\r\n",
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 200, 200)
				wantTargets(t, seen, "/a", "/b")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			eachEngine(t, func(t *testing.T) {
				cell := newRecordingCell(t, nil)
				rh := startRouter(t, oneCell(cell.srv.URL), nil)
				tt.check(t, exchangeAll(t, hostOf(rh.url), tt.raw), cell.requests())
			})
		})
	}
}

// TestOptionsAsterisk: OPTIONS * (asking about the server, not a
// resource) is answered by net/http's server itself, as Go's server
// answers it (200, no body); the fasthttp and evloop engines forward it
// to the tenant's cell with its target unchanged. Either way the
// connection carries the next request.
func TestOptionsAsterisk(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		addr := scriptedCell(t, map[string]string{"*": "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nstar"})
		h := startRouter(t, oneCell("http://"+addr), nil)
		conn := sendRaw(t, h, "")
		br := bufio.NewReader(conn)
		x := exchangeOn(conn, br, "OPTIONS", "OPTIONS * HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n")
		if engineOf(t) == EngineNetHTTP {
			wantAnswer(200, "")(t, x)
		} else {
			wantAnswer(200, "star")(t, x)
		}
		wantAnswer(200, "ok")(t, exchangeOn(conn, br, "GET", "GET /next HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n"))
	})
}

// TestPipelinedBehindAStreamingAnswer: requests a client pipelines while
// the answer to its previous one is still streaming, a HEAD among them,
// get their answers in order, each framed right: the HEAD's without a
// body though the cell declares a length, and the streaming answer whole.
func TestPipelinedBehindAStreamingAnswer(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		release := make(chan struct{})
		cell := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/stream":
				_, _ = io.WriteString(w, "part1,")
				w.(http.Flusher).Flush()
				<-release
				_, _ = io.WriteString(w, "part2")
			case "/head":
				w.Header().Set("Content-Length", "5")
				_, _ = io.WriteString(w, "hello")
			default:
				_, _ = io.WriteString(w, "last")
			}
		}))
		t.Cleanup(cell.Close)
		t.Cleanup(func() {
			select {
			case <-release:
			default:
				close(release)
			}
		})
		h := startRouter(t, oneCell(cell.URL), nil)
		const hdr = "Host: x\r\nX-Tenant-ID: acme\r\n\r\n"
		conn := sendRaw(t, h, "GET /stream HTTP/1.1\r\n"+hdr)
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		first := make([]byte, len("part1,"))
		if _, err := io.ReadFull(resp.Body, first); err != nil || string(first) != "part1," {
			t.Fatalf("the stream's start: %q, %v", first, err)
		}
		// The answer is streaming: two more requests behind it.
		if _, err := io.WriteString(conn, "HEAD /head HTTP/1.1\r\n"+hdr+"GET /last HTTP/1.1\r\n"+hdr); err != nil {
			t.Fatal(err)
		}
		close(release)
		rest, err := io.ReadAll(resp.Body)
		if err != nil || string(rest) != "part2" {
			t.Fatalf("the stream's rest: %q, %v; want part2", rest, err)
		}
		x := exchangeOn(conn, br, "HEAD", "")
		wantAnswer(200, "")(t, x)
		if x.resp != nil && x.resp.Header.Get("Content-Length") != "5" {
			t.Errorf("HEAD answer's Content-Length %q, want the cell's 5", x.resp.Header.Get("Content-Length"))
		}
		wantAnswer(200, "last")(t, exchangeOn(conn, br, "GET", ""))
	})
}
