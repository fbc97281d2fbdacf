//go:build linux

package server

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// A request body on an event loop (EngineEvLoop): read from the client's
// buffer as it arrives and written to the cell connection of the attempt,
// a Content-Length body as it is, a chunked one decoded strictly (as
// net/http reads it) and sent chunked again, without extensions or
// trailers. Bytes leave the client's buffer only once written to a cell,
// so an attempt that never reached its cell (a failed dial) leaves the
// whole body for the next one.

// evBody is the state of a request's body.
type evBody struct {
	on      bool  // the request has a body
	chunked bool  // Transfer-Encoding: chunked; else Content-Length
	limit   int64 // MaxBodyBytes
	n       int64 // body bytes taken so far (chunk data for chunked)
	rest    int64 // bytes left: of the body, or of the current chunk
	state   chunkState
	done    bool
	// keep, when not nil, collects the body's data (without chunked
	// framing) up to replayMaxBytes, to send again after a
	// stale_placement answer; over says it outgrew that.
	keep *[]byte
	over bool
	// trailers counts the trailer section's bytes (bounded by
	// maxChunkLine in all, as net/http bounds it by its buffer).
	trailers int
	// bare: take passes a chunked body's data on without its framing
	// (to an HTTP/1.0 client); else the chunks as they came.
	bare bool
}

// kept records data taken, while it fits replayMaxBytes.
func (b *evBody) kept(data []byte) {
	if b.keep == nil || b.over {
		return
	}
	if len(*b.keep)+len(data) > replayMaxBytes {
		b.over = true
		return
	}
	*b.keep = append(*b.keep, data...)
}

// chunkState is where a chunked body's decoder is.
type chunkState uint8

const (
	chunkSize    chunkState = iota // at a chunk-size line
	chunkData                      // in a chunk's data (rest bytes left)
	chunkDataEnd                   // at the CRLF after a chunk's data
	chunkTrailer                   // in the trailer section, after the last chunk
)

// maxChunkLine bounds a chunk-size line and the trailer section, as
// net/http does (4 KiB, its reader's buffer).
const maxChunkLine = 4 << 10

// errShortChunkLine is a chunk line that needs more bytes than arrived.
var errShortChunkLine = errors.New("need more")

// reset starts the body of a request whose head says contentLength
// (fasthttp's: -1 chunked, -2 none).
func (b *evBody) reset(contentLength int, limit int64) {
	keep := b.keep
	if keep != nil {
		*keep = (*keep)[:0]
	}
	*b = evBody{limit: limit, keep: keep}
	switch {
	case contentLength == -1:
		b.on, b.chunked = true, true
	case contentLength > 0:
		b.on, b.rest = true, int64(contentLength)
	}
	b.done = !b.on
}

// take reads what it can of the body from in, appends what is to be sent
// to the cell to out, and returns how many bytes of in it used. err is
// the body's fault (classified by bodyFault): malformed chunked framing,
// or over the limit (*http.MaxBytesError).
func (b *evBody) take(in, out []byte) (used int, _ []byte, err error) {
	if !b.chunked {
		k := int(min(int64(len(in)), b.rest))
		out = append(out, in[:k]...)
		b.kept(in[:k])
		b.rest -= int64(k)
		b.n += int64(k)
		b.done = b.rest == 0
		return k, out, nil
	}
	for !b.done && used < len(in) {
		p := in[used:]
		switch b.state {
		case chunkSize:
			line, n, err := chunkLine(p)
			if err == errShortChunkLine {
				return used, out, nil
			}
			if err != nil {
				return used, out, err
			}
			size, err := parseChunkSize(line)
			if err != nil {
				return used, out, err
			}
			used += n
			if size == 0 {
				b.state = chunkTrailer
				continue
			}
			if b.n+size > b.limit {
				return used, out, &http.MaxBytesError{Limit: b.limit}
			}
			if !b.bare {
				out = strconv.AppendInt(out, size, 16)
				out = append(out, "\r\n"...)
			}
			b.state, b.rest = chunkData, size
		case chunkData:
			k := int(min(int64(len(p)), b.rest))
			out = append(out, p[:k]...)
			b.kept(p[:k])
			used += k
			b.n += int64(k)
			if b.rest -= int64(k); b.rest == 0 {
				b.state = chunkDataEnd
			}
		case chunkDataEnd:
			if len(p) < 2 {
				if len(p) == 1 && p[0] != '\r' {
					return used, out, errors.New("malformed chunked encoding: no CRLF after the chunk data")
				}
				return used, out, nil
			}
			if p[0] != '\r' || p[1] != '\n' {
				return used, out, errors.New("malformed chunked encoding: no CRLF after the chunk data")
			}
			if !b.bare {
				out = append(out, "\r\n"...)
			}
			used += 2
			b.state = chunkSize
		case chunkTrailer:
			line, n, err := chunkLine(p)
			if err == errShortChunkLine {
				return used, out, nil
			}
			if err != nil {
				return used, out, err
			}
			used += n
			if len(line) == 0 {
				if !b.bare {
					out = append(out, "0\r\n\r\n"...) // trailers are not passed on
				}
				b.done = true
				continue
			}
			if b.trailers += n; b.trailers > maxChunkLine {
				return used, out, errors.New("malformed chunked encoding: trailer section too long")
			}
			if err := trailerLine(line, b.trailers == n); err != nil {
				return used, out, err
			}
		}
	}
	return used, out, nil
}

// trailerLine checks one line of a trailer section (first: the section's
// first line) as net/http's chunked reader does: a field line, name ":"
// value, the name a token and the value without control bytes but HT; or,
// after a field line, a folded continuation of it (starting with SP or
// HT). Trailers are dropped, but a line that is none of these is a
// malformed body, not a field to skip: read as one, "GET /x HTTP/1.1"
// would pass as a trailer where net/http, and a server behind a proxy
// that reads as it does, ends the body before it.
func trailerLine(line []byte, first bool) error {
	value := line
	if line[0] == ' ' || line[0] == '\t' {
		if first {
			return errors.New("malformed chunked encoding: the trailer section starts with a folded line")
		}
	} else {
		name, v, ok := bytes.Cut(line, []byte(":"))
		if !ok || !isToken(name) {
			return errors.New("malformed chunked encoding: a trailer line that is not a field")
		}
		value = v
	}
	for _, c := range value {
		if c < ' ' && c != '\t' || c == 0x7f {
			return errors.New("malformed chunked encoding: a control byte in a trailer")
		}
	}
	return nil
}

// chunkLine returns the line at the start of p without its CRLF, and its
// length with it. A line must end with CRLF, and hold no other CR; a bare
// LF is malformed, and so is a bare CR (as net/http reads chunk lines):
// read as part of a chunk extension, it would let the bytes up to the
// next LF, a pipelined request's line among them, pass as that line.
func chunkLine(p []byte) (line []byte, n int, err error) {
	i := bytes.IndexByte(p, '\n')
	if i < 0 {
		if len(p) > maxChunkLine {
			return nil, 0, errors.New("malformed chunked encoding: chunk line too long")
		}
		return nil, 0, errShortChunkLine
	}
	if i == 0 || p[i-1] != '\r' {
		return nil, 0, errors.New("malformed chunked encoding: line not ended by CRLF")
	}
	if bytes.IndexByte(p[:i-1], '\r') >= 0 {
		return nil, 0, errors.New("malformed chunked encoding: a CR inside a line")
	}
	return p[:i-1], i + 1, nil
}

// parseChunkSize reads a chunk-size line: hex digits, then optional
// extensions after ';' (ignored), as net/http reads it.
func parseChunkSize(line []byte) (int64, error) {
	if i := bytes.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	line = bytes.TrimRight(line, " \t")
	if len(line) == 0 {
		return 0, errors.New("malformed chunked encoding: empty chunk size")
	}
	if len(line) > 16 {
		return 0, errors.New("malformed chunked encoding: chunk size too large")
	}
	var n int64
	for _, c := range line {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, fmt.Errorf("malformed chunked encoding: invalid byte %q in chunk size", c)
		}
		if n > (1<<62)>>4 {
			return 0, errors.New("malformed chunked encoding: chunk size too large")
		}
		n = n<<4 | int64(d)
	}
	return n, nil
}
