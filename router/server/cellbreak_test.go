package server

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

// rawCell is a loopback cell that answers every connection with answer,
// then waits for cut and resets the connection (SO_LINGER 0), as a cell
// that crashes mid-answer does.
func rawCell(t *testing.T, answer string, cut <-chan struct{}) router.Cell {
	t.Helper()
	addr := rawServer(t, func(c net.Conn, br *bufio.Reader) {
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		if _, err := io.WriteString(c, answer); err != nil {
			return
		}
		<-cut
		_ = c.(*net.TCPConn).SetLinger(0)
	})
	return router.Cell{ID: "cell-a", Cloud: "aws", Region: "local", Endpoint: "http://" + addr, Weight: 100, State: fabric.CellActive}
}

// TestCellResetMidAnswer: a cell that resets its connection in the middle
// of an answer whose body runs until the connection closes has not
// finished it; the client must see the answer broken off (a read error),
// not a whole answer ending where the cell crashed.
func TestCellResetMidAnswer(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		cut := make(chan struct{})
		c := rawCell(t, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\npartial", cut)
		h := startRouter(t, registry(1, []router.Cell{c}, router.Tenant{ID: "acme", Cell: "cell-a"}), nil)
		req, _ := http.NewRequest(http.MethodGet, h.url+"/stream", nil)
		req.Header.Set("X-Tenant-ID", "acme")
		resp, err := h.client.Do(req)
		if err != nil {
			close(cut)
			t.Fatal(err)
		}
		defer resp.Body.Close()
		got := make([]byte, len("partial"))
		if _, err := io.ReadFull(resp.Body, got); err != nil || string(got) != "partial" {
			close(cut)
			t.Fatalf("start of the body: %q, %v; want %q", got, err, "partial")
		}
		close(cut) // the client has the start: now the cell crashes
		rest, err := io.ReadAll(resp.Body)
		if err == nil {
			t.Errorf("the client read the answer as whole (%q then %q) after the cell reset the connection mid-answer; want a read error", got, rest)
		}
	})
}

// TestBodyBreaksAfterTheAnswerBegan: a cell starts answering before the
// request's chunked body has all arrived, and the body then turns out
// malformed. The answer under way cannot be replaced: the client must
// see it broken off, never a second status line (the router's 400)
// spliced into it as if it were the cell's body.
func TestBodyBreaksAfterTheAnswerBegan(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		cut := make(chan struct{})
		cutOnce := sync.OnceFunc(func() { close(cut) })
		defer cutOnce()
		c := rawCell(t, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nhello", cut)
		h := startRouter(t, registry(1, []router.Cell{c}, router.Tenant{ID: "acme", Cell: "cell-a"}), nil)
		conn, err := net.Dial("tcp", hostOf(h.url))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second)) // a guard against a hang
		if _, err := conn.Write([]byte("POST /up HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\nTransfer-Encoding: chunked\r\n\r\n4\r\ngold\r\n")); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(conn)
		// The event-loop engine passes the cell's answer on as it comes,
		// the body still coming; the net/http engine holds the head until
		// more is written, the fasthttp engine's client sends the whole
		// body first.
		early := engineOf(t) == EngineEvLoop
		var resp *http.Response
		var start []byte
		if early {
			if resp, err = http.ReadResponse(br, nil); err != nil {
				t.Fatalf("no answer head: %v", err)
			}
			start = make([]byte, 5)
			if _, err := io.ReadFull(resp.Body, start); err != nil || resp.StatusCode != 200 {
				t.Fatalf("%d, body start %q, %v; want 200 and %q", resp.StatusCode, start, err, "hello")
			}
		}
		if _, err := conn.Write([]byte("zz\r\n")); err != nil { // not a chunk size
			t.Fatal(err)
		}
		cutOnce() // the cell gives up too
		if !early {
			if resp, err = http.ReadResponse(br, nil); err != nil {
				return // the connection closed without an answer: nothing passed off as whole
			}
		}
		rest, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 && err == nil {
			t.Errorf("the client read a whole answer %q+%q though the cell sent half of it and the body broke", start, rest)
		}
		if strings.Contains(string(rest), "HTTP/1.1") {
			t.Errorf("a second answer was spliced into the cell's: %q", rest)
		}
	})
}
