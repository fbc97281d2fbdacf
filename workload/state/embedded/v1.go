package embedded

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/workload/state"
)

// Version 1 of the log is what the reference cell's own store wrote before
// the cell moved onto the state port (testdata/v1.log is such a log, kept
// as written): the same file name and framing, the header
// v1Header, and one record per put or delete of a value, with no sequence
// numbers:
//
//	payload: u8 op (1 put, 2 delete) | u8 tenant length | tenant | u16 key length | key | value
//
// Opening a directory with a version 1 log converts it (convertV1): the
// data is the same, only the format differs, so a restart with a newer
// cellfabric keeps the tenants' data rather than asking the operator to
// move it aside.
const (
	v1Header     = "cellfabric-kv-v1\n"
	v1BackupName = "kv.log.v1"
	v1OpPut      = 1
	v1OpDelete   = 2
	v1MaxValue   = 1 << 20
	v1MinPayload = 1 + 1 + 1 + 2 + 1
	v1MaxPayload = 1 + 1 + maxTenantBytes + 2 + state.MaxKeyBytes + v1MaxValue
)

// convertV1 returns the state a version 1 log holds as a version 2 log:
// each tenant's live keys, in key order, get the sequence numbers 1, 2, ...
// and the tenant's meta record the last of them (a version 1 log has no
// history to keep: no sequence numbers, no tombstones). A torn last record
// is dropped as replay would; damage elsewhere, or a value larger than the
// state port allows, refuses the conversion. It returns the new log, how
// many records it holds and how many torn bytes were dropped.
func convertV1(data []byte, path string) (out []byte, records, torn int, err error) {
	tenants := map[string]map[string][]byte{}
	for off := len(v1Header); off < len(data); {
		p, size, err := frame(data[off:], v1MinPayload, v1MaxPayload)
		var op byte
		var tenant, key string
		var value []byte
		if err == nil {
			op, tenant, key, value, err = decodeV1(p)
		}
		if errors.Is(err, errTorn) || (err != nil && tornTail(data, off)) {
			torn = len(data) - off // an append interrupted before it was acknowledged
			break
		}
		if err != nil {
			return nil, 0, 0, fmt.Errorf("embedded store: %s (a version 1 log) is damaged at byte %d (%v), with records after it; restore it from a backup or move it aside", path, off, err)
		}
		m := tenants[tenant]
		if m == nil {
			m = map[string][]byte{}
			tenants[tenant] = m
		}
		if op == v1OpPut {
			m[key] = value
		} else {
			delete(m, key)
		}
		off += size
	}
	out = []byte(logHeader)
	for _, tenant := range slices.Sorted(maps.Keys(tenants)) {
		m := tenants[tenant]
		if len(m) == 0 {
			continue
		}
		var seq uint64
		for _, key := range slices.Sorted(maps.Keys(m)) {
			if len(m[key]) > state.MaxValueBytes {
				return nil, 0, 0, fmt.Errorf("embedded store: %s (a version 1 log) holds key %s of tenant %s with a %d byte value, over the %d bytes a value may have now; shrink or delete it with the cellfabric version that wrote the log, or move the log aside", path, key, tenant, len(m[key]), state.MaxValueBytes)
			}
			seq++
			out = appendEntry(out, itemEntry(tenant, state.Record{Key: key, Value: m[key], Seq: seq}))
			records++
		}
		out = appendEntry(out, metaEntry(tenant, state.Meta{Seq: seq}))
		records++
	}
	return out, records, torn, nil
}

// decodeV1 reads a version 1 record's payload. The value shares memory
// with p.
func decodeV1(p []byte) (op byte, tenant, key string, value []byte, err error) {
	op, tl := p[0], int(p[1])
	if op != v1OpPut && op != v1OpDelete {
		return 0, "", "", nil, fmt.Errorf("unknown operation %d", op)
	}
	if 2+tl+2 > len(p) {
		return 0, "", "", nil, errors.New("tenant overruns the record")
	}
	tenant = string(p[2 : 2+tl])
	kl := int(binary.LittleEndian.Uint16(p[2+tl:]))
	rest := p[2+tl+2:]
	if kl > len(rest) {
		return 0, "", "", nil, errors.New("key overruns the record")
	}
	key, value = string(rest[:kl]), rest[kl:]
	if op == v1OpDelete && len(value) > 0 {
		return 0, "", "", nil, errors.New("a delete carries a value")
	}
	if !fabric.ValidTenantID(tenant) || state.ValidKey(key) != nil {
		return 0, "", "", nil, errors.New("invalid tenant or key")
	}
	if len(value) > v1MaxValue {
		return 0, "", "", nil, errors.New("value over the size limit")
	}
	return op, tenant, key, value, nil
}

// convert replaces the version 1 log data (open in w.file) by its version
// 2 form and returns that. The version 1 log is kept as kv.log.v1. The new
// log is written to a temporary file, synced and renamed over the old one:
// a crash leaves the version 1 log, converted again at the next open, or
// the version 2 one.
func (w *wal) convert(data []byte) ([]byte, error) {
	v2, n, torn, err := convertV1(data, w.path)
	if err != nil {
		return nil, err
	}
	if torn > 0 {
		w.logger.Warn("embedded store: dropping a torn last record of a version 1 log (a write was interrupted before it was acknowledged)", "path", w.path, "bytes", torn)
	}
	backup := filepath.Join(w.dir, v1BackupName)
	if err := writeSynced(backup, data); err != nil {
		return nil, fmt.Errorf("embedded store: keeping the version 1 log as %s before converting it: %w", backup, err)
	}
	tmpPath := filepath.Join(w.dir, tmpFileName)
	err = writeSynced(tmpPath, v2)
	if err == nil {
		err = w.check("convert.rename")
	}
	if err == nil {
		err = os.Rename(tmpPath, w.path)
	}
	if err == nil {
		err = syncDir(w.dir)
	}
	if err != nil {
		os.Remove(tmpPath)
		return nil, fmt.Errorf("embedded store: converting %s from version 1: %w", w.path, err)
	}
	w.file.Close()
	if w.file, err = os.OpenFile(w.path, os.O_RDWR, 0); err != nil {
		return nil, fmt.Errorf("embedded store: opening %s: %w", w.path, err)
	}
	if _, err := w.file.Seek(0, io.SeekEnd); err != nil {
		return nil, fmt.Errorf("embedded store: %s: %w", w.path, err)
	}
	w.logger.Info("embedded store: converted a version 1 log; the original is kept beside it and may be deleted", "path", w.path, "records", n, "original", backup)
	return v2, nil
}

// writeSynced writes data to a new file at path and syncs it.
func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
