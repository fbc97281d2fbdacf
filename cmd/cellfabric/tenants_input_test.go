package main

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"
)

// Whatever an import file holds, the reader never panics, numbers lines
// from 1 up, and its offsets rise to the file's end: what the checkpoint
// is made of.
func FuzzImportInput(f *testing.F) {
	f.Add("id,cell,failover\nacme,aws-use1,a;b\n\nx,\"y\n", true)
	f.Add("{\"id\":\"acme\",\"cell\":\"aws-use1\"}\n{bad\n\r\n{\"id\":\"Z\"}", false)
	f.Add("\ufeffID,Cell\r\nacme,aws-use1\r\n", true)
	f.Fuzz(func(t *testing.T, data string, csvFormat bool) {
		format := formatNDJSON
		if csvFormat {
			format = formatCSV
		}
		ir, err := newInputReader(bytes.NewReader([]byte(data)), format)
		if err != nil {
			return
		}
		line, end := ir.line, ir.offset
		for {
			rec, err := ir.next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if rec.line <= line || rec.end <= end || rec.end > int64(len(data)) {
				t.Fatalf("record at line %d ending at %d after line %d ending at %d (file %d bytes)", rec.line, rec.end, line, end, len(data))
			}
			if rec.err == nil && rec.t.ID == "" {
				t.Fatalf("line %d: a tenant without an id passed", rec.line)
			}
			line, end = rec.line, rec.end
		}
	})
}

func TestProgress(t *testing.T) {
	t.Parallel()
	now := time.Unix(1000, 0)
	var out bytes.Buffer
	p := newProgress(&out, false, "t.csv", 1000)
	p.now = func() time.Time { return now }
	p.start = now
	p.update(100, 10, importCounts{})
	now = now.Add(time.Second)
	p.update(200, 20, importCounts{Failed: 1})
	if n := bytes.Count(out.Bytes(), []byte("\n")); n != 1 {
		t.Fatalf("%d lines within %s, want 1:\n%s", n, progressEvery, out.String())
	}
	now = now.Add(progressEvery)
	p.update(500, 50, importCounts{Failed: 2})
	if !bytes.Contains(out.Bytes(), []byte("import t.csv:  50.0% (500 of 1000 bytes), 50 tenants sent, 8/s, 2 failed\n")) {
		t.Fatalf("progress:\n%s", out.String())
	}
	p.done()
	if bytes.HasSuffix(out.Bytes(), []byte("\n\n")) {
		t.Error("done added a line without a terminal")
	}
	// On a terminal: one line redrawn.
	out.Reset()
	tp := newProgress(&out, true, "t.csv", 10)
	tp.update(5, 1, importCounts{})
	tp.done()
	if !bytes.HasPrefix(out.Bytes(), []byte("\r\033[K")) || !bytes.HasSuffix(out.Bytes(), []byte("\n")) {
		t.Errorf("terminal progress %q", out.String())
	}
}
