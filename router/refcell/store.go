package refcell

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// Limits of the embedded store, in one place.
const (
	// MaxKeyBytes is the longest key.
	MaxKeyBytes = 256
	// MaxTenantBytes is the longest tenant id (a DNS label).
	MaxTenantBytes = 63
	// MaxValueBytes is the largest value (a larger PUT body gets 413).
	MaxValueBytes = 1 << 20
	// MaxKeysPerTenant is the most keys one tenant may hold (507 beyond).
	MaxKeysPerTenant = 10_000
	// MaxStoreBytes bounds the live data of all tenants together (507
	// beyond), so a cell's memory stays bounded.
	MaxStoreBytes = 256 << 20
	// CompactMinBytes is the log size below which the log is never
	// rewritten.
	CompactMinBytes = 1 << 20
	// DefaultListLimit and MaxListLimit bound GET /kv/.
	DefaultListLimit = 1000
	MaxListLimit     = 10_000
)

// Errors of the store; the HTTP layer maps them to statuses.
var (
	errNotFound  = errors.New("no such key")
	errFull      = errors.New("store full")
	errClosed    = errors.New("store closed")
	errStoreFail = errors.New("store failed")
)

// store is the embedded key/value store: tenant → key → value in memory,
// and, with a directory, an append-only log (see the package doc).
type store struct {
	dir    string
	logger *slog.Logger

	mu       sync.RWMutex
	data     map[string]map[string][]byte
	live     int64 // bytes the live entries take in a compacted log
	file     *os.File
	logBytes int64
	failed   error // sticky: set by the first failed write
	closed   bool
	buf      []byte
}

// openStore opens the store: in memory when dir is "", else replaying
// dir/kv.log (created when missing).
func openStore(dir string, logger *slog.Logger) (*store, error) {
	s := &store{dir: dir, logger: logger, data: map[string]map[string][]byte{}}
	if dir == "" {
		return s, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("kv store: creating %s: %w", dir, err)
	}
	// A temporary file is what a compaction left when it crashed before
	// its rename: the log itself is intact.
	_ = os.Remove(filepath.Join(dir, tmpFileName))
	path := filepath.Join(dir, logFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("kv store: opening %s: %w", path, err)
	}
	if err := s.replay(f, path); err != nil {
		f.Close()
		return nil, err
	}
	s.file = f
	return s, nil
}

// replay loads the log into memory, writes the header into a new log, and
// cuts off a torn last record.
func (s *store) replay(f *os.File, path string) error {
	data, err := io.ReadAll(f)
	if err != nil {
		return fmt.Errorf("kv store: reading %s: %w", path, err)
	}
	if len(data) == 0 {
		if _, err := f.Write([]byte(logHeader)); err != nil {
			return fmt.Errorf("kv store: writing %s: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			return fmt.Errorf("kv store: syncing %s: %w", path, err)
		}
		s.logBytes = int64(len(logHeader))
		return syncDir(s.dir)
	}
	if !bytes.HasPrefix(data, []byte(logHeader)) {
		if len(data) < len(logHeader) && strings.HasPrefix(logHeader, string(data)) {
			// A crash while the header of a new log was written.
			return s.truncate(f, path, 0, "header")
		}
		return fmt.Errorf("kv store: %s is not a cellfabric key/value log; move it aside or point the cell at another data directory", path)
	}
	off := len(logHeader)
	n := 0
	for off < len(data) {
		r, size, err := decodeRecord(data[off:])
		if errors.Is(err, errTorn) || (err != nil && tornTail(data, off)) {
			s.logger.Warn("kv store: cutting off a torn last record (a write was interrupted before it was acknowledged)", "offset", off, "bytes", len(data)-off)
			return s.truncate(f, path, off, "record")
		}
		if err != nil {
			return fmt.Errorf("kv store: %s is damaged at byte %d (%v), with records after it; restore it from a backup or move it aside", path, off, err)
		}
		s.apply(r)
		off += size
		n++
	}
	s.logBytes = int64(off)
	s.logger.Info("kv store opened", "path", path, "records", n, "tenants", len(s.data), "live_bytes", s.live)
	return nil
}

// tornTail reports whether the damaged record at off is what an interrupted
// append leaves: a record that claims to end exactly at the end of data, or
// nothing but zeros (a file system that extended the file before the data
// reached it). Anything else is damage in the middle of the log.
func tornTail(data []byte, off int) bool {
	if len(data)-off < recordHead {
		return true
	}
	if n := int(binary.LittleEndian.Uint32(data[off:])); off+recordHead+n == len(data) {
		return true
	}
	for _, b := range data[off:] {
		if b != 0 {
			return false
		}
	}
	return true
}

func (s *store) truncate(f *os.File, path string, off int, what string) error {
	if err := f.Truncate(int64(off)); err != nil {
		return fmt.Errorf("kv store: cutting the torn %s off %s: %w", what, path, err)
	}
	if _, err := f.Seek(int64(off), io.SeekStart); err != nil {
		return fmt.Errorf("kv store: %s: %w", path, err)
	}
	if off == 0 {
		if _, err := f.Write([]byte(logHeader)); err != nil {
			return fmt.Errorf("kv store: writing %s: %w", path, err)
		}
		off = len(logHeader)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("kv store: syncing %s: %w", path, err)
	}
	s.logBytes = int64(off)
	return nil
}

// apply changes the in-memory state; callers hold mu (or own s).
func (s *store) apply(r record) {
	m := s.data[r.tenant]
	if old, ok := m[r.key]; ok {
		s.live -= record{op: opPut, tenant: r.tenant, key: r.key, value: old}.size()
		delete(m, r.key)
	}
	if r.op == opPut {
		if m == nil {
			m = map[string][]byte{}
			s.data[r.tenant] = m
		}
		m[r.key] = r.value
		s.live += r.size()
	}
	if m != nil && len(m) == 0 {
		delete(s.data, r.tenant)
	}
}

// get returns a copy-free view of a value; callers must not modify it.
func (s *store) get(tenant, key string) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, errClosed
	}
	v, ok := s.data[tenant][key]
	if !ok {
		return nil, errNotFound
	}
	return v, nil
}

// list returns up to limit of the tenant's keys with the prefix, sorted,
// and whether there were more.
func (s *store) list(tenant, prefix string, limit int) ([]string, bool, error) {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return nil, false, errClosed
	}
	keys := make([]string, 0, len(s.data[tenant]))
	for k := range s.data[tenant] {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	s.mu.RUnlock()
	slices.Sort(keys)
	if len(keys) > limit {
		return keys[:limit], true, nil
	}
	return keys, false, nil
}

// put stores value (which the store keeps: the caller must not reuse it)
// and reports whether the key is new.
func (s *store) put(tenant, key string, value []byte) (created bool, err error) {
	r := record{op: opPut, tenant: tenant, key: key, value: value}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return false, err
	}
	old, exists := s.data[tenant][key]
	if !exists && len(s.data[tenant]) >= MaxKeysPerTenant {
		return false, fmt.Errorf("%w: tenant %s holds %d keys, the limit", errFull, tenant, MaxKeysPerTenant)
	}
	grow := r.size()
	if exists {
		grow -= record{op: opPut, tenant: tenant, key: key, value: old}.size()
	}
	if s.live+grow > MaxStoreBytes {
		return false, fmt.Errorf("%w: the cell's store holds %d bytes, the limit is %d", errFull, s.live, MaxStoreBytes)
	}
	if err := s.write(r); err != nil {
		return false, err
	}
	s.apply(r)
	s.maybeCompact()
	return !exists, nil
}

// remove deletes a key; errNotFound when it is absent.
func (s *store) remove(tenant, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	if _, ok := s.data[tenant][key]; !ok {
		return errNotFound
	}
	r := record{op: opDelete, tenant: tenant, key: key}
	if err := s.write(r); err != nil {
		return err
	}
	s.apply(r)
	s.maybeCompact()
	return nil
}

func (s *store) usable() error {
	switch {
	case s.closed:
		return errClosed
	case s.failed != nil:
		return s.failed
	}
	return nil
}

// write appends r to the log and syncs it; in memory it does nothing. A
// failure is sticky.
func (s *store) write(r record) error {
	if s.file == nil {
		return nil
	}
	s.buf = appendRecord(s.buf[:0], r)
	if _, err := s.file.Write(s.buf); err != nil {
		return s.fail("appending to the log", err)
	}
	if err := s.file.Sync(); err != nil {
		return s.fail("syncing the log", err)
	}
	s.logBytes += int64(len(s.buf))
	if cap(s.buf) > 64<<10 {
		s.buf = nil // do not pin a large value's buffer
	}
	return nil
}

func (s *store) fail(what string, err error) error {
	s.failed = fmt.Errorf("%w: %s: %v; restart the cell after fixing the disk", errStoreFail, what, err)
	s.logger.Error("kv store failed; refusing writes until restart", "error", err.Error())
	return s.failed
}

// maybeCompact rewrites the log when it is mostly dead records. A failed
// compaction leaves the old log in place and is only logged.
func (s *store) maybeCompact() {
	if s.file == nil || s.logBytes < CompactMinBytes || s.logBytes <= 2*(s.live+int64(len(logHeader))) {
		return
	}
	if err := s.compact(); err != nil {
		s.logger.Warn("kv store: compaction failed; the log keeps growing until the next try", "error", err.Error())
	}
}

// compact writes the live entries to a new log and renames it over the old
// one. Callers hold mu.
func (s *store) compact() error {
	tmpPath := filepath.Join(s.dir, tmpFileName)
	path := filepath.Join(s.dir, logFileName)
	tmp, err := os.OpenFile(tmpPath, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	buf := []byte(logHeader)
	for _, t := range slices.Sorted(maps.Keys(s.data)) {
		m := s.data[t]
		for _, k := range slices.Sorted(maps.Keys(m)) {
			buf = appendRecord(buf, record{op: opPut, tenant: t, key: k, value: m[k]})
			if len(buf) >= 1<<20 {
				if _, err := tmp.Write(buf); err != nil {
					return s.abandon(tmp, err)
				}
				buf = buf[:0]
			}
		}
	}
	if _, err := tmp.Write(buf); err != nil {
		return s.abandon(tmp, err)
	}
	if err := tmp.Sync(); err != nil {
		return s.abandon(tmp, err)
	}
	size, err := tmp.Seek(0, io.SeekEnd)
	if err != nil {
		return s.abandon(tmp, err)
	}
	if err := os.Rename(tmpPath, path); err != nil {
		return s.abandon(tmp, err)
	}
	// From here the new log is the log: appends go to it.
	s.file.Close()
	s.file, s.logBytes = tmp, size
	if err := syncDir(s.dir); err != nil {
		return s.fail("syncing the data directory after compaction", err)
	}
	s.logger.Info("kv store compacted", "bytes", size)
	return nil
}

func (s *store) abandon(tmp *os.File, err error) error {
	tmp.Close()
	os.Remove(tmp.Name())
	return err
}

// stats is what /healthz reports about the store.
type stats struct {
	Mode    string `json:"mode"` // "memory" or "disk"
	OK      bool   `json:"ok"`
	Error   string `json:"error,omitempty"`
	Tenants int    `json:"tenants"`
	Keys    int    `json:"keys"`
	Bytes   int64  `json:"bytes"`
	LogSize int64  `json:"logBytes,omitempty"`
}

func (s *store) stats() stats {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := stats{Mode: "memory", OK: s.failed == nil && !s.closed, Tenants: len(s.data), Bytes: s.live}
	if s.file != nil || s.dir != "" {
		st.Mode, st.LogSize = "disk", s.logBytes
	}
	for _, m := range s.data {
		st.Keys += len(m)
	}
	switch {
	case s.closed:
		st.Error = "closed"
	case s.failed != nil:
		st.Error = s.failed.Error()
	}
	return st
}

// close syncs and closes the log. Further calls fail with errClosed.
func (s *store) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.file == nil {
		return nil
	}
	err := s.file.Sync()
	if cerr := s.file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("kv store: closing the log: %w", err)
	}
	return nil
}

// syncDir makes a rename or a new file in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}
