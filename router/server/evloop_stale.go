//go:build linux

package server

import (
	"bytes"
	"context"
	"math"

	"github.com/panjf2000/gnet/v2"

	"github.com/cellfabric/cellfabric/router"
)

// A cell's 421 on an event loop (EngineEvLoop; stale.go has the rules):
// the start of its body is read without taking it from the connection,
// stalePlacement (which may read the tenant directory's feed) runs in a
// goroutine, and the loop goes on with its outcome: the request sent
// again (its body from what was kept, evBody.keep), the router's refusal,
// or the cell's answer passed on as any other.

// lookStale reads the start of a 421's body once enough of it is there
// and hands it to stalePlacement off the loop (staleDecided goes on);
// true: the answer is not a candidate (no directory feed or no tenant):
// pass it on.
func (cc *evCell) lookStale(cl *evClient) bool {
	rt := cc.loop.s.rt
	if rt.dirSync == nil || cl.st.tenant == "" {
		cc.staleLook = false
		return true
	}
	buf, _ := cc.c.Peek(-1)
	var data []byte
	probe := cc.ans
	probe.limit, probe.over, probe.keep = math.MaxInt64, false, &data
	if _, _, err := probe.take(buf, nil); err != nil {
		cc.broken(cl, err)
		return false
	}
	if !probe.done && len(data) <= router.StaleBodyBytes {
		return false // more to come
	}
	complete := probe.done && len(data) <= router.StaleBodyBytes
	peek := bytes.Clone(data[:min(len(data), router.StaleBodyBytes+1)])
	cc.staleLook = false
	st := &cl.st
	if cl.body.on {
		if cl.body.done && !cl.body.over && cl.body.keep != nil {
			st.replay, _ = newReplayBody(bytes.NewReader(cl.kept), int64(len(cl.kept)))
		} else {
			st.replay = &replayBody{over: true}
		}
	}
	cc.staleWait, cl.offLoop = true, true
	method := cl.method
	status := cc.resp.StatusCode()
	go func() {
		_, retry, refusal := rt.stalePlacement(context.Background(), st, method, status, peek)
		_ = cc.loop.el.Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
			cc.staleDecided(cl, retry, refusal, complete, peek)
			return nil
		}))
	}()
	return false
}

// staleDecided goes on after stalePlacement: retry, refuse, or pass the
// answer on. complete says body is the answer's whole body.
func (cc *evCell) staleDecided(cl *evClient, retry bool, refusal *router.Refusal, complete bool, body []byte) {
	cc.staleWait, cl.offLoop = false, false
	if cl.closed {
		cl.cc = nil
		cc.close()
		cl.abandon()
		return
	}
	if !retry && refusal == nil {
		if cc.closed {
			// The cell closed meanwhile (after its answer, or in it): the
			// connection's buffer is gone with it.
			cc.closedAnswer(cl, complete, body)
			return
		}
		cc.passBody(cl, cc.answerHead(cl))
		return
	}
	if complete && cc.keepRsp && cl.body.done && !cc.closed {
		_, _ = cc.c.Discard(-1)
		cc.idle()
	} else {
		cc.close()
	}
	cl.cc = nil
	if refusal != nil {
		cl.st.cell = nil
		cl.refuse(*refusal)
		return
	}
	if cl.body.on {
		// The kept body goes as a Content-Length body.
		cl.replay = append([]byte(nil), cl.kept...)
		cl.out.SetContentLength(len(cl.replay))
		if len(cl.replay) == 0 {
			cl.replay = nil
		}
	}
	cl.send()
}

// closedAnswer passes on a 421 whose connection closed while it was
// looked at: whole from body when complete (its head is not sent yet),
// else the attempt failed (the client has had nothing of it).
func (cc *evCell) closedAnswer(cl *evClient, complete bool, body []byte) {
	cl.cc = nil
	if !complete {
		cl.failed(errCellClosed, true)
		return
	}
	if !cl.body.done {
		cl.closeAfter = true // the rest of the body is still on the wire
	}
	out := cc.answerHead(cl)
	if cc.ans.chunked && !cc.bare { // bare: unframed, to an HTTP/1.0 client
		if len(body) > 0 {
			out = appendChunk(out, body)
		}
		out = append(out, "0\r\n\r\n"...)
	} else {
		out = append(out, body...)
	}
	cl.answering = true
	cl.account()
	cl.write(out)
	cl.finish()
}
