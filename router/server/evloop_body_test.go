//go:build linux

package server

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httputil"
	"testing"
)

// takeAll feeds in to a chunked evBody split into pieces of step bytes
// (0: all at once), as bytes arrive on a connection, and returns the
// data kept, what would be sent to the cell, and the error.
func takeAll(in []byte, step int, limit int64) (data, sent []byte, done bool, err error) {
	var b evBody
	var keep []byte
	b.keep = &keep
	b.reset(-1, limit)
	var pending []byte
	for i := 0; i < len(in) || len(pending) > 0; {
		n := len(in) - i
		if step > 0 {
			n = min(n, step)
		}
		pending = append(pending, in[i:i+n]...)
		i += n
		var used int
		used, sent, err = b.take(pending, sent)
		pending = pending[used:]
		if err != nil || b.done {
			break
		}
		if n == 0 {
			break // nothing more to feed
		}
	}
	return keep, sent, b.done, err
}

func TestEvBodyChunked(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       string
		limit    int64
		wantData string
		wantDone bool
		wantErr  bool
		tooLarge bool
	}{
		{name: "two chunks", in: "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", wantData: "hello world", wantDone: true},
		{name: "extension ignored", in: "5;ext=1\r\nhello\r\n0\r\n\r\n", wantData: "hello", wantDone: true},
		{name: "trailers dropped", in: "5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n", wantData: "hello", wantDone: true},
		{name: "folded trailer and obs-text dropped", in: "5\r\nhello\r\n0\r\nX-T: 1\r\n\t2\r\nX-U: caf\xc3\xa9\r\n\r\n", wantData: "hello", wantDone: true},
		{name: "trailer line not a field", in: "5\r\nhello\r\n0\r\nGET / HTTP/1.1\r\n\r\n", wantErr: true},
		{name: "trailer section starting folded", in: "5\r\nhello\r\n0\r\n X-T: 1\r\n\r\n", wantErr: true},
		{name: "DEL in a trailer", in: "5\r\nhello\r\n0\r\nX-T: 1\x7f\r\n\r\n", wantErr: true},
		{name: "upper-case hex", in: "A\r\n0123456789\r\n0\r\n\r\n", wantData: "0123456789", wantDone: true},
		{name: "cut short waits", in: "5\r\nhel", wantData: "hel"},
		{name: "not hex", in: "ZZ\r\n", wantErr: true},
		{name: "hex prefix", in: "0x5\r\nhello\r\n0\r\n\r\n", wantErr: true},
		{name: "bare LF", in: "5\nhello\n0\n\n", wantErr: true},
		{name: "no CRLF after the data", in: "5\r\nhelloXX0\r\n\r\n", wantErr: true},
		{name: "empty size", in: "\r\n", wantErr: true},
		{name: "size over 16 digits", in: "10000000000000000\r\n", wantErr: true},
		{name: "line too long", in: "5;" + string(bytes.Repeat([]byte("x"), maxChunkLine+1)), wantErr: true},
		{name: "over the limit", in: "800\r\n", limit: 1024, wantErr: true, tooLarge: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			limit := tt.limit
			if limit == 0 {
				limit = 1 << 20
			}
			for _, step := range []int{0, 1, 3} {
				data, _, done, err := takeAll([]byte(tt.in), step, limit)
				if (err != nil) != tt.wantErr {
					t.Fatalf("step %d: err %v, want an error: %v", step, err, tt.wantErr)
				}
				var mbe *http.MaxBytesError
				if tt.tooLarge && !errors.As(err, &mbe) {
					t.Errorf("step %d: err %v, want a *http.MaxBytesError", step, err)
				}
				if tt.wantErr {
					continue
				}
				if string(data) != tt.wantData || done != tt.wantDone {
					t.Errorf("step %d: data %q done %v, want %q %v", step, data, done, tt.wantData, tt.wantDone)
				}
			}
		})
	}
}

func TestEvBodyContentLength(t *testing.T) {
	t.Parallel()
	var b evBody
	b.reset(5, 100)
	used, out, err := b.take([]byte("helloGET / HTTP/1.1"), nil)
	if err != nil || used != 5 || string(out) != "hello" || !b.done {
		t.Fatalf("took %d %q done %v err %v, want 5 bytes of the body and done", used, out, b.done, err)
	}
}

// FuzzEvBodyChunked: a chunked body the event-loop engine takes whole is
// one net/http reads the same, and what it sends on decodes to the same
// data; fed a byte at a time it decides as fed at once.
func FuzzEvBodyChunked(f *testing.F) {
	for _, s := range []string{"5\r\nhello\r\n0\r\n\r\n", "0\r\n\r\n", "5;x\r\nhello\r\n0\r\nT: 1\r\n\r\n", "ZZ\r\n", "5\nhello\n0\n\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		data, sent, done, err := takeAll(in, 0, 1<<20)
		data1, _, done1, err1 := takeAll(in, 1, 1<<20)
		if done != done1 || (err == nil) != (err1 == nil) || (err == nil && !bytes.Equal(data, data1)) {
			t.Fatalf("at once: %q %v %v; a byte at a time: %q %v %v", data, done, err, data1, done1, err1)
		}
		if err != nil || !done {
			return
		}
		want, werr := io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(in)))
		if werr != nil || !bytes.Equal(want, data) {
			t.Fatalf("took %q; net/http reads %q, %v", data, want, werr)
		}
		again, aerr := io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(sent)))
		if aerr != nil || !bytes.Equal(again, data) {
			t.Fatalf("sent %q decodes to %q, %v; want %q", sent, again, aerr, data)
		}
	})
}
