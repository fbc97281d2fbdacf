package embedded

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cellfabric/cellfabric/workload/state"
)

// CompactMinBytes is the log size below which the log is never rewritten.
const CompactMinBytes = 1 << 20

// wal is the append-only log in a data directory (see the package doc).
// Appends happen under the memory's write lock, compactions under its read
// lock, so the log's order is the memory's and a compaction sees no write.
type wal struct {
	dir, path string
	logger    *slog.Logger
	lock      *os.File // holds the directory's lock while open

	mu   sync.Mutex // guards the fields below
	file *os.File
	buf  []byte
	// compactAt holds compaction off until the log reaches it: set after
	// a failed compaction, so a full disk is not rewritten at every write.
	compactAt int64
	closed    bool

	// size is the log's length; written under mu, read without it.
	size atomic.Int64
	// failed is the sticky failure: set by the first failed append or
	// sync, after which the state of the file is unknown.
	failed atomic.Pointer[error]
	// fault, when set (tests only), runs before each step of an append or
	// a compaction; an error it returns stands for that step's failure.
	fault func(step string) error
}

// openLog opens the log in dir (creating both when missing) and calls
// restore with every record in order. A version 1 log is converted first
// (see convertV1), a torn last record cut off; damage anywhere else, or a
// file that is no log, refuses to open.
func openLog(dir string, logger *slog.Logger, restore func(entry)) (*wal, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded store: creating the data directory %s: %w", dir, err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	w := &wal{dir: dir, path: filepath.Join(dir, logFileName), logger: logger, lock: lock}
	if err := w.open(restore); err != nil {
		if w.file != nil {
			w.file.Close()
		}
		unlockDir(lock)
		return nil, err
	}
	return w, nil
}

func (w *wal) open(restore func(entry)) error {
	// A temporary file is what a compaction or a conversion left when it
	// crashed before its rename: the log itself is intact.
	if err := os.Remove(filepath.Join(w.dir, tmpFileName)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("embedded store: removing an unfinished compaction: %w", err)
	}
	f, err := os.OpenFile(w.path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("embedded store: opening %s: %w", w.path, err)
	}
	w.file = f
	data, err := io.ReadAll(f)
	if err != nil {
		return fmt.Errorf("embedded store: reading %s: %w", w.path, err)
	}
	switch {
	case len(data) == 0:
		return w.restart(0, "")
	case bytes.HasPrefix(data, []byte(v1Header)):
		if data, err = w.convert(data); err != nil {
			return err
		}
	case bytes.HasPrefix(data, []byte(v2Header)):
		if err := w.upgradeV2(); err != nil {
			return err
		}
	case !bytes.HasPrefix(data, []byte(logHeader)):
		if len(data) < len(logHeader) && (strings.HasPrefix(logHeader, string(data)) || strings.HasPrefix(v2Header, string(data)) || strings.HasPrefix(v1Header, string(data))) {
			// A crash while the header of a new log was written.
			return w.restart(0, "header")
		}
		return fmt.Errorf("embedded store: %s is not a cellfabric key/value log; move it aside or use another data directory", w.path)
	}
	off, n := len(logHeader), 0
	for off < len(data) {
		e, size, err := decodeEntry(data[off:])
		if errors.Is(err, errTorn) || (err != nil && tornTail(data, off)) {
			w.logger.Warn("embedded store: cutting off a torn last record (a write was interrupted before it was acknowledged)", "path", w.path, "offset", off, "bytes", len(data)-off)
			return w.restart(off, "record")
		}
		if err != nil {
			return fmt.Errorf("embedded store: %s is damaged at byte %d (%v), with records after it; restore it from a backup or move it aside", w.path, off, err)
		}
		restore(e)
		off += size
		n++
	}
	w.size.Store(int64(off))
	w.logger.Info("embedded store opened", "path", w.path, "records", n, "bytes", off)
	return nil
}

// upgradeV2 makes a version 2 log a version 3 one: every version 2 record
// reads alike in version 3, so only the header's version digit changes,
// in place (one byte: a crash leaves either header, and both open). An
// older cellfabric then refuses the log rather than misreading a fenced
// meta record.
func (w *wal) upgradeV2() error {
	if _, err := w.file.WriteAt([]byte(logHeader), 0); err != nil {
		return fmt.Errorf("embedded store: upgrading %s to version 3: %w", w.path, err)
	}
	if err := w.file.Sync(); err != nil {
		return fmt.Errorf("embedded store: syncing %s: %w", w.path, err)
	}
	w.logger.Info("embedded store: upgraded a version 2 log to version 3 (its header only)", "path", w.path)
	return nil
}

// restart cuts the log at off (0: an empty or torn new log, which gets its
// header) and syncs it.
func (w *wal) restart(off int, torn string) error {
	if err := w.file.Truncate(int64(off)); err != nil {
		return fmt.Errorf("embedded store: cutting the torn %s off %s: %w", torn, w.path, err)
	}
	if _, err := w.file.Seek(int64(off), io.SeekStart); err != nil {
		return fmt.Errorf("embedded store: %s: %w", w.path, err)
	}
	if off == 0 {
		if _, err := w.file.Write([]byte(logHeader)); err != nil {
			return fmt.Errorf("embedded store: writing %s: %w", w.path, err)
		}
		off = len(logHeader)
	}
	if err := w.file.Sync(); err != nil {
		return fmt.Errorf("embedded store: syncing %s: %w", w.path, err)
	}
	w.size.Store(int64(off))
	if torn == "" {
		return syncDir(w.dir) // a new file
	}
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

func (w *wal) check(step string) error {
	if w.fault == nil {
		return nil
	}
	return w.fault(step)
}

// failure is the sticky failure, or nil.
func (w *wal) failure() error {
	if p := w.failed.Load(); p != nil {
		return *p
	}
	return nil
}

// append writes e to the log and syncs it. A failure is sticky: every later
// append fails the same way.
func (w *wal) append(e entry) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return state.ErrClosed
	}
	if err := w.failure(); err != nil {
		return err
	}
	w.buf = appendEntry(w.buf[:0], e)
	err := w.check("append")
	if err == nil {
		_, err = w.file.Write(w.buf)
	}
	if err != nil {
		return w.fail("appending to", err)
	}
	err = w.check("sync")
	if err == nil {
		err = w.file.Sync()
	}
	if err != nil {
		return w.fail("syncing", err)
	}
	w.size.Add(int64(len(w.buf)))
	if cap(w.buf) > 64<<10 {
		w.buf = nil // do not pin a large value's buffer
	}
	return nil
}

// fail makes err the sticky failure and returns it.
func (w *wal) fail(what string, err error) error {
	f := fmt.Errorf("%w: embedded store: %s %s failed (%v); writes are refused until the process restarts: fix the disk, then restart", state.ErrUnavailable, what, w.path, err)
	if w.failed.CompareAndSwap(nil, &f) {
		w.logger.Error("embedded store failed; refusing writes until restart", "path", w.path, "error", err.Error())
	}
	return w.failure()
}

// maybeCompact rewrites the log when it is mostly dead records: past
// CompactMinBytes and more than twice what the live records take. live is
// those records' size; each yields them. Callers keep writers out. A
// failed compaction leaves the old log in place and is only logged.
func (w *wal) maybeCompact(live int64, each func(func(entry) error) error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || w.failure() != nil || w.size.Load() < max(CompactMinBytes, w.compactAt) || w.size.Load() <= 2*(live+int64(len(logHeader))) {
		return
	}
	if err := w.compact(each); err != nil {
		w.compactAt = w.size.Load() + CompactMinBytes
		w.logger.Warn("embedded store: compaction failed; the log keeps growing until the next try", "path", w.path, "error", err.Error())
	}
}

// compact writes the records each yields to a new log and renames it over
// the old one; w.mu is held. A crash at any point leaves either the old log
// (and a temporary file the next open removes) or the new one.
func (w *wal) compact(each func(func(entry) error) error) error {
	tmpPath := filepath.Join(w.dir, tmpFileName)
	if err := w.check("compact.create"); err != nil {
		return err
	}
	tmp, err := os.OpenFile(tmpPath, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	buf := []byte(logHeader)
	size := int64(0)
	flush := func() error {
		if err := w.check("compact.write"); err != nil {
			return err
		}
		n, err := tmp.Write(buf)
		size += int64(n)
		buf = buf[:0]
		return err
	}
	err = each(func(e entry) error {
		buf = appendEntry(buf, e)
		if len(buf) < 1<<20 {
			return nil
		}
		return flush()
	})
	if err == nil {
		err = flush()
	}
	if err == nil {
		err = w.check("compact.sync")
	}
	if err == nil {
		err = tmp.Sync()
	}
	if err == nil {
		err = w.check("compact.rename")
	}
	if err == nil {
		err = os.Rename(tmpPath, w.path)
	}
	if err != nil {
		tmp.Close()
		os.Remove(tmpPath)
		return err
	}
	// From here the new log is the log: appends go to it.
	w.file.Close()
	w.file = tmp
	w.size.Store(size)
	err = w.check("compact.syncdir")
	if err == nil {
		err = syncDir(w.dir)
	}
	if err != nil {
		// The rename may not survive a crash, and later appends go to
		// the new file: the log's state is unknown.
		return w.fail("syncing the data directory after compacting", err)
	}
	w.logger.Info("embedded store compacted", "path", w.path, "bytes", size)
	return nil
}

// stats returns the log's size and its failure, without waiting for a
// compaction.
func (w *wal) stats() (int64, error) { return w.size.Load(), w.failure() }

// close syncs and closes the log and releases the directory.
func (w *wal) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.file.Sync()
	if cerr := w.file.Close(); err == nil {
		err = cerr
	}
	unlockDir(w.lock)
	if w.failure() != nil {
		return nil // the failure was reported; releasing is all that is left
	}
	if err != nil {
		return fmt.Errorf("%w: embedded store: closing %s: %v", state.ErrUnavailable, w.path, err)
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
