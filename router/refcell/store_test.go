package refcell

import (
	"bytes"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var quiet = slog.New(slog.DiscardHandler)

// dump returns the store's content as tenant/key → value.
func dump(s *store) map[string]string {
	out := map[string]string{}
	for t, m := range s.data {
		for k, v := range m {
			out[t+"/"+k] = string(v)
		}
	}
	return out
}

func mustOpen(t *testing.T, dir string) *store {
	t.Helper()
	s, err := openStore(dir, quiet)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStoreReopen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := mustOpen(t, dir)
	for _, op := range []struct{ tenant, key, val string }{
		{"acme", "a", "1"}, {"acme", "b", "2"}, {"globex", "a", "3"}, {"acme", "a", "4"}, {"acme", "empty", ""},
	} {
		if _, err := s.put(op.tenant, op.key, []byte(op.val)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.remove("acme", "b"); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"acme/a": "4", "acme/empty": "", "globex/a": "3"}
	if got := dump(s); !maps.Equal(got, want) {
		t.Fatalf("before restart: %v", got)
	}
	liveBefore := s.live
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.put("acme", "c", nil); err != errClosed {
		t.Errorf("put after close: %v", err)
	}
	s2 := mustOpen(t, dir)
	defer s2.close()
	if got := dump(s2); !maps.Equal(got, want) {
		t.Errorf("after restart: %v, want %v", got, want)
	}
	if s2.live != liveBefore {
		t.Errorf("live bytes after replay %d, before %d", s2.live, liveBefore)
	}
	// The reopened store appends after the replayed records.
	if _, err := s2.put("acme", "z", []byte("26")); err != nil {
		t.Fatal(err)
	}
	s2.close()
	s3 := mustOpen(t, dir)
	defer s3.close()
	want["acme/z"] = "26"
	if got := dump(s3); !maps.Equal(got, want) {
		t.Errorf("after second restart: %v", got)
	}
}

func TestStoreInMemoryWritesNoFile(t *testing.T) {
	t.Parallel()
	s := mustOpen(t, "")
	if _, err := s.put("acme", "a", []byte("1")); err != nil {
		t.Fatal(err)
	}
	if st := s.stats(); st.Mode != "memory" || st.Keys != 1 || st.Tenants != 1 {
		t.Errorf("stats: %+v", st)
	}
}

func TestStoreRecovery(t *testing.T) {
	t.Parallel()
	a := record{op: opPut, tenant: "acme", key: "a", value: []byte("alpha")}
	b := record{op: opPut, tenant: "acme", key: "b", value: []byte("beta")}
	full := appendRecord(nil, b)
	badCRC := appendRecord(nil, b)
	badCRC[len(badCRC)-1] ^= 0xff
	tests := []struct {
		name    string
		tail    []byte
		after   []record
		want    map[string]string
		wantErr string
	}{
		{name: "clean", want: map[string]string{"acme/a": "alpha"}},
		{name: "torn record head", tail: full[:5], want: map[string]string{"acme/a": "alpha"}},
		{name: "torn record body", tail: full[:len(full)-2], want: map[string]string{"acme/a": "alpha"}},
		{name: "last record with a bad checksum", tail: badCRC, want: map[string]string{"acme/a": "alpha"}},
		{name: "zeros after the last record", tail: make([]byte, 100), want: map[string]string{"acme/a": "alpha"}},
		{name: "damage in the middle", tail: badCRC, after: []record{a}, wantErr: "damaged at byte"},
		{name: "garbage in the middle", tail: []byte("garbage!garbage!"), after: []record{a}, wantErr: "damaged at byte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			b := []byte(logHeader)
			b = appendRecord(b, a)
			b = append(b, tt.tail...)
			for _, r := range tt.after {
				b = appendRecord(b, r)
			}
			path := filepath.Join(dir, logFileName)
			os.WriteFile(path, b, 0o600)
			s, err := openStore(dir, quiet)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "move it aside") {
					t.Fatalf("open: %v, want an error with %q", err, tt.wantErr)
				}
				// The damaged log is left as it was for the operator.
				if got, _ := os.ReadFile(path); !bytes.Equal(got, b) {
					t.Error("a refused log was modified")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := dump(s); !maps.Equal(got, tt.want) {
				t.Errorf("recovered %v, want %v", got, tt.want)
			}
			// The torn tail is gone: a new write and a reopen keep both.
			if _, err := s.put("acme", "c", []byte("gamma")); err != nil {
				t.Fatal(err)
			}
			s.close()
			s2 := mustOpen(t, dir)
			defer s2.close()
			want := maps.Clone(tt.want)
			want["acme/c"] = "gamma"
			if got := dump(s2); !maps.Equal(got, want) {
				t.Errorf("after write and reopen %v, want %v", got, want)
			}
		})
	}
}

func TestStoreRefusesForeignFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content string
		wantErr bool
	}{
		{"not a log", "hello, world, this is a text file", true},
		{"torn header", logHeader[:6], false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, logFileName), []byte(tt.content), 0o600)
			s, err := openStore(dir, quiet)
			if (err != nil) != tt.wantErr {
				t.Fatalf("open: %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			defer s.close()
			got, _ := os.ReadFile(filepath.Join(dir, logFileName))
			if string(got) != logHeader {
				t.Errorf("log after open %q, want just the header", got)
			}
		})
	}
}

func TestStoreCompaction(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// A compaction that crashed before its rename leaves a temporary file;
	// opening ignores and removes it.
	os.WriteFile(filepath.Join(dir, tmpFileName), []byte("half a compaction"), 0o600)
	s := mustOpen(t, dir)
	if _, err := os.Stat(filepath.Join(dir, tmpFileName)); !os.IsNotExist(err) {
		t.Errorf("leftover temporary file not removed: %v", err)
	}
	val := bytes.Repeat([]byte("v"), 64<<10)
	s.put("globex", "keep", []byte("kept"))
	for i := range 40 {
		val[0] = byte('a' + i%26)
		if _, err := s.put("acme", "hot", val); err != nil {
			t.Fatal(err)
		}
		s.put("acme", fmt.Sprintf("tmp%d", i), []byte("x"))
		s.remove("acme", fmt.Sprintf("tmp%d", i))
	}
	fi, err := os.Stat(filepath.Join(dir, logFileName))
	if err != nil {
		t.Fatal(err)
	}
	// 40 writes of 64 KiB without compaction would be 2.6 MB; with it the
	// log never passes CompactMinBytes by more than one record.
	if fi.Size() > CompactMinBytes+(65<<10) || fi.Size() != s.logBytes {
		t.Errorf("log is %d bytes (store thinks %d): not compacted", fi.Size(), s.logBytes)
	}
	want := dump(s)
	s.close()
	s2 := mustOpen(t, dir)
	defer s2.close()
	if got := dump(s2); !maps.Equal(got, want) || got["globex/keep"] != "kept" || got["acme/hot"][0] != byte('a'+39%26) {
		t.Errorf("after compaction and reopen: %d keys, keep=%q", len(got), got["globex/keep"])
	}
}
