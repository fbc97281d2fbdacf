//go:build linux

package server

import (
	"bufio"
	"bytes"

	"github.com/panjf2000/gnet/v2"
)

// Reading heads on an event loop (EngineEvLoop): the bytes are in the
// connection's buffer already; fasthttp's parsers read them through a
// bufio.Reader over them, the loop's own, once the whole head is there.

// evParser parses heads for one loop (not safe for concurrent use; each
// loop has its own).
type evParser struct {
	rd bytes.Reader
	br *bufio.Reader
}

// newEvParser makes a parser for heads of up to size bytes.
func newEvParser(size int) *evParser {
	p := &evParser{}
	p.br = bufio.NewReaderSize(&p.rd, size)
	return p
}

// headEnd reports whether buf holds a whole head: up to an empty line,
// "\r\n\r\n" or, as fasthttp also reads it, "\n\n".
func headEnd(buf []byte) bool {
	return bytes.Contains(buf, []byte("\r\n\r\n")) || bytes.Contains(buf, []byte("\n\n"))
}

// headReader is a head fasthttp parses from a bufio.Reader: a request's
// or an answer's.
type headReader interface {
	Read(r *bufio.Reader) error
}

// head parses the head at the start of buf into h (a request's or an
// answer's) and returns its length in bytes. buf must hold the whole head
// (headEnd).
func (p *evParser) head(h headReader, buf []byte) (int, error) {
	if len(buf) > p.br.Size() {
		buf = buf[:p.br.Size()]
	}
	p.rd.Reset(buf)
	p.br.Reset(&p.rd)
	if err := h.Read(p.br); err != nil {
		return 0, err
	}
	return len(buf) - p.rd.Len() - p.br.Buffered(), nil
}

// discard drops the first n bytes read on c. gnet's Discard drops
// everything for n <= 0; this drops nothing then.
func discard(c gnet.Conn, n int) {
	if n > 0 {
		_, _ = c.Discard(n)
	}
}
