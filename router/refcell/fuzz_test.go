package refcell

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecodeRecord: any bytes decode to a valid record or an error, never a
// panic, and a decoded record encodes back to the same bytes.
func FuzzDecodeRecord(f *testing.F) {
	f.Add(appendRecord(nil, record{op: opPut, tenant: "acme", key: "a", value: []byte("v")}))
	f.Add(appendRecord(nil, record{op: opDelete, tenant: "globex", key: "user:1"}))
	f.Add([]byte{0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, n, err := decodeRecord(b)
		if err != nil {
			return
		}
		if !validTenant(r.tenant) || validKey(r.key) != nil || (r.op != opPut && r.op != opDelete) {
			t.Fatalf("decoded an invalid record %+v", r)
		}
		if got := appendRecord(nil, r); !bytes.Equal(got, b[:n]) {
			t.Fatalf("re-encoding differs:\n%x\n%x", got, b[:n])
		}
	})
}

// FuzzReplay: opening a store over any log content either fails with an
// error or yields a store whose every entry is valid; never a panic.
func FuzzReplay(f *testing.F) {
	good := appendRecord([]byte(logHeader), record{op: opPut, tenant: "acme", key: "a", value: []byte("v")})
	f.Add(good)
	f.Add(append(good, 1, 2, 3))
	f.Add([]byte(logHeader[:4]))
	f.Add([]byte("not a log"))
	f.Fuzz(func(t *testing.T, content []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, logFileName), content, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := openStore(dir, quiet)
		if err != nil {
			return
		}
		defer s.close()
		for tenant, m := range s.data {
			if !validTenant(tenant) || len(m) == 0 {
				t.Fatalf("replayed tenant %q with %d keys", tenant, len(m))
			}
			for k := range m {
				if validKey(k) != nil {
					t.Fatalf("replayed invalid key %q", k)
				}
			}
		}
	})
}
