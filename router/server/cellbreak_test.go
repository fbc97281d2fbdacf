package server

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

// rawCell is a loopback cell that answers every connection with answer,
// then waits for cut and resets the connection (SO_LINGER 0), as a cell
// that crashes mid-answer does.
func rawCell(t *testing.T, answer string, cut <-chan struct{}) router.Cell {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				if _, err := http.ReadRequest(br); err != nil {
					return
				}
				if _, err := io.WriteString(c, answer); err != nil {
					return
				}
				<-cut
				_ = c.(*net.TCPConn).SetLinger(0)
			}()
		}
	}()
	return router.Cell{ID: "cell-a", Cloud: "aws", Region: "local", Endpoint: "http://" + ln.Addr().String(), Weight: 100, State: fabric.CellActive}
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
