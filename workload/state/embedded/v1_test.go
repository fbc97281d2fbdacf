package embedded

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/workload/state"
)

// v1Record encodes one version 1 record, as the reference cell's store
// writes it (the golden file testdata/v1.log comes from that store itself).
func v1Record(op byte, tenant, key string, value []byte) []byte {
	n := 1 + 1 + len(tenant) + 2 + len(key) + len(value)
	b := binary.LittleEndian.AppendUint32(nil, uint32(n))
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = append(b, op, byte(len(tenant)))
	b = append(b, tenant...)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(key)))
	b = append(b, key...)
	b = append(b, value...)
	binary.LittleEndian.PutUint32(b[4:], crc32.Checksum(b[recordHead:], castagnoli))
	return b
}

func items(recs ...state.Record) []state.Record { return recs }

// goldenV1Dir returns a data directory holding the golden version 1 log
// (testdata/v1.log), and that log.
func goldenV1Dir(t *testing.T) (string, []byte) {
	t.Helper()
	v1, err := os.ReadFile(filepath.Join("testdata", "v1.log"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(logPath(dir), v1, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, v1
}

// TestConvertV1Golden opens a directory holding a log the reference cell's
// own store wrote (testdata/v1.log): its live keys come
// back with sequence numbers in key order, the original is kept beside it,
// and a second open reads the converted log without converting again.
func TestConvertV1Golden(t *testing.T) {
	t.Parallel()
	dir, v1 := goldenV1Dir(t)
	want := map[string]tenantDump{
		"acme": {Meta: state.Meta{Seq: 2}, HasMeta: true, Items: items(
			state.Record{Key: "a", Value: []byte("alpha2"), Seq: 1},
			state.Record{Key: "~x:y", Value: []byte{}, Seq: 2},
		)},
		"initech": {Meta: state.Meta{Seq: 1}, HasMeta: true, Items: items(
			state.Record{Key: "user:1", Value: []byte(`{"name":"Peter"}`), Seq: 1},
		)},
	}
	b, err := Open(dir, quiet)
	if err != nil {
		t.Fatal(err)
	}
	sameContent(t, "converted", dump(b), want)
	if backup, err := os.ReadFile(filepath.Join(dir, v1BackupName)); err != nil || !bytes.Equal(backup, v1) {
		t.Errorf("the version 1 log was not kept as %s: %v", v1BackupName, err)
	}
	converted, _ := os.ReadFile(logPath(dir))
	if !bytes.HasPrefix(converted, []byte(logHeader)) {
		t.Fatalf("the log after conversion starts %q", converted[:min(len(converted), 20)])
	}
	// Through the port: the keys are there, and the sequence goes on.
	st := state.New(b)
	if it, err := st.Get(ctx(t), "acme", "a"); err != nil || string(it.Value) != "alpha2" || it.ETag() != `"1"` {
		t.Errorf("acme/a after conversion: %+v %v", it, err)
	}
	if it, _, err := st.Put(ctx(t), "acme", "new", []byte("n"), state.Cond{}); err != nil || it.Seq != 3 {
		t.Errorf("a write after conversion: %+v %v, want seq 3", it, err)
	}
	want["acme"] = tenantDump{Meta: state.Meta{Seq: 3}, HasMeta: true, Items: append(want["acme"].Items[:1:1],
		state.Record{Key: "new", Value: []byte("n"), Seq: 3}, want["acme"].Items[1])}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	b2 := mustOpen(t, dir)
	sameContent(t, "reopened after conversion", dump(b2), want)
	if backup, _ := os.ReadFile(filepath.Join(dir, v1BackupName)); !bytes.Equal(backup, v1) {
		t.Error("the kept version 1 log changed at the second open")
	}
}

func TestConvertV1(t *testing.T) {
	t.Parallel()
	put := func(tenant, key, value string) []byte { return v1Record(v1OpPut, tenant, key, []byte(value)) }
	good := slices.Concat([]byte(v1Header), put("acme", "b", "2"), put("acme", "a", "1"), v1Record(v1OpDelete, "acme", "b", nil))
	badCRC := put("acme", "c", "3")
	badCRC[len(badCRC)-1] ^= 0xff
	wantGood := map[string]tenantDump{"acme": {Meta: state.Meta{Seq: 1}, HasMeta: true, Items: items(state.Record{Key: "a", Value: []byte("1"), Seq: 1})}}
	tests := []struct {
		name    string
		content []byte
		want    map[string]tenantDump
		wantErr []string
	}{
		{name: "clean", content: good, want: wantGood},
		{name: "torn last record", content: slices.Concat(good, put("acme", "c", "3")[:9]), want: wantGood},
		{name: "last record with a bad checksum", content: slices.Concat(good, badCRC), want: wantGood},
		{name: "just the header", content: []byte(v1Header), want: map[string]tenantDump{}},
		{name: "damage in the middle", content: slices.Concat(good, badCRC, put("acme", "d", "4")),
			wantErr: []string{"version 1", "damaged at byte", "move it aside"}},
		{name: "value larger than the port allows", content: slices.Concat(good, put("acme", "huge", strings.Repeat("x", state.MaxValueBytes+1))),
			wantErr: []string{"key huge of tenant acme", "262145 byte value", "move the log aside"}},
		{name: "invalid key", content: slices.Concat(good, put("acme", "a/b", "x"), put("acme", "d", "4")),
			wantErr: []string{"damaged at byte", "invalid tenant or key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if err := os.WriteFile(logPath(dir), tt.content, 0o600); err != nil {
				t.Fatal(err)
			}
			b, err := Open(dir, quiet)
			if tt.wantErr != nil {
				for _, w := range tt.wantErr {
					if err == nil || !strings.Contains(err.Error(), w) {
						t.Fatalf("open: %v, want an error with %q", err, w)
					}
				}
				if got, _ := os.ReadFile(logPath(dir)); !bytes.Equal(got, tt.content) {
					t.Error("a refused version 1 log was modified")
				}
				if _, err := os.Stat(filepath.Join(dir, v1BackupName)); err == nil {
					t.Error("a refused conversion left a copy")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			sameContent(t, "converted", dump(b), tt.want)
		})
	}
}

// TestConvertV1Crash: a crash before the converted log is renamed into
// place leaves the version 1 log, converted again at the next open.
func TestConvertV1Crash(t *testing.T) {
	t.Parallel()
	dir, v1 := goldenV1Dir(t)
	// Open by hand to set the fault before the conversion runs.
	b := New()
	var crashed string
	lock, err := lockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	w := &wal{dir: dir, path: logPath(dir), logger: quiet, lock: lock, fault: func(step string) error {
		if step == "convert.rename" {
			crashed = copyDir(t, dir)
		}
		return nil
	}}
	if err := w.open(b.mem.restore); err != nil {
		t.Fatal(err)
	}
	b.log = w
	t.Cleanup(func() { b.Close() })
	if crashed == "" {
		t.Fatal("the conversion never reached its rename")
	}
	if got, _ := os.ReadFile(logPath(crashed)); !bytes.Equal(got, v1) {
		t.Fatal("before the rename the log is not the version 1 log")
	}
	sameContent(t, "converted after a crash", dump(mustOpen(t, crashed)), dump(b))
}
