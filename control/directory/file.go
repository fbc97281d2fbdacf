package directory

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// File is a Memory kept on disk in a directory, for `cellfabric local
// --data-dir`: every write is appended to a log (one JSON line, written
// with one write call before the write is visible), and when the log
// outgrows the last snapshot, a new snapshot is written to a temporary
// file, synced and renamed over the old one, and the log is emptied.
// Opening replays the snapshot, then the log.
//
// What a crash leaves: a write that returned is in the log (the kernel has
// it; File does not fsync each write, so a power cut can lose the last
// ones, never half a key). A line cut short by a crash is the last one of
// the log and is dropped on open. A crash between a snapshot's rename and
// the log's truncation replays writes the snapshot already holds, which
// leaves the same state (each key's last write wins). Nothing half-written
// is ever read.
type File struct {
	mem *Memory
	dir string

	mu        sync.Mutex // serialises writes, the log and compaction
	log       *os.File
	logBytes  int64
	snapBytes int64
	closed    bool
}

var (
	_ KV          = (*File)(nil)
	_ ValueLister = (*File)(nil)
)

// Names of File's files in its directory.
const (
	FileSnapshot = "directory.snapshot"
	FileLog      = "directory.log"
)

// compactMin is the smallest log that is compacted into a snapshot.
const compactMin = 16 << 20

// fileRecord is one line of the snapshot or the log.
type fileRecord struct {
	Key     string `json:"k"`
	Value   []byte `json:"v,omitempty"`
	Expires int64  `json:"x,omitempty"` // unix ms; 0: never
	Deleted bool   `json:"d,omitempty"`
}

// OpenFile opens (creating it if needed) the store kept in dir. now is its
// clock for TTLs (nil: time.Now). Close it when done.
func OpenFile(dir string, now func() time.Time) (*File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("tenant directory store: creating %s: %w", dir, err)
	}
	f := &File{mem: NewMemory(now), dir: dir}
	snap := filepath.Join(dir, FileSnapshot)
	n, err := f.replay(snap, false)
	if err != nil {
		return nil, err
	}
	f.snapBytes = n
	logPath := filepath.Join(dir, FileLog)
	if f.logBytes, err = f.replay(logPath, true); err != nil {
		return nil, err
	}
	if f.log, err = os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600); err != nil {
		return nil, fmt.Errorf("tenant directory store: opening %s: %w", logPath, err)
	}
	return f, nil
}

// replay applies the records of one file and returns the bytes of it that
// hold whole records. In the log, a last line cut short is dropped (the
// file is truncated to the records before it).
func (f *File) replay(path string, isLog bool) (int64, error) {
	file, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("tenant directory store: opening %s: %w", path, err)
	}
	defer file.Close()
	now := f.mem.now().UnixMilli()
	r := bufio.NewReaderSize(file, 1<<20)
	var good int64
	for line := 1; ; line++ {
		b, err := r.ReadBytes('\n')
		if err == io.EOF && len(b) == 0 {
			return good, nil
		}
		if err != nil && err != io.EOF {
			return 0, fmt.Errorf("tenant directory store: reading %s: %w", path, err)
		}
		var rec fileRecord
		complete := err == nil
		if jerr := json.Unmarshal(bytes.TrimSpace(b), &rec); jerr != nil || rec.Key == "" || !complete {
			if isLog && (!complete || isLastLine(r)) {
				// Cut short by a crash: drop it.
				if terr := os.Truncate(path, good); terr != nil {
					return 0, fmt.Errorf("tenant directory store: dropping the unfinished last line of %s: %w", path, terr)
				}
				return good, nil
			}
			return 0, fmt.Errorf("tenant directory store: %s line %d is not a record: the file is damaged; move it away to start from the snapshot (or empty)", path, line)
		}
		good += int64(len(b))
		switch {
		case rec.Deleted:
			f.mem.delete(rec.Key)
		case rec.Expires != 0 && rec.Expires <= now:
			f.mem.delete(rec.Key)
		default:
			f.mem.put(rec.Key, rec.Value, rec.Expires)
		}
	}
}

// isLastLine reports whether nothing but white space follows in r.
func isLastLine(r *bufio.Reader) bool {
	rest, _ := io.ReadAll(r)
	return len(bytes.TrimSpace(rest)) == 0
}

// Close closes the log.
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	return f.log.Close()
}

// Get implements KV.
func (f *File) Get(ctx context.Context, key string) ([]byte, bool, error) {
	return f.mem.Get(ctx, key)
}

// List implements KV.
func (f *File) List(ctx context.Context, prefix, cursor string, limit int) ([]string, string, error) {
	return f.mem.List(ctx, prefix, cursor, limit)
}

// ListValues implements ValueLister.
func (f *File) ListValues(ctx context.Context, prefix, cursor string, limit int) ([]KeyValue, string, error) {
	return f.mem.ListValues(ctx, prefix, cursor, limit)
}

// Put implements KV.
func (f *File) Put(ctx context.Context, key string, value []byte, ttlSeconds int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	rec := fileRecord{Key: key, Value: append([]byte(nil), value...), Expires: f.mem.expiry(ttlSeconds)}
	return f.apply(rec)
}

// Delete implements KV.
func (f *File) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return f.apply(fileRecord{Key: key, Deleted: true})
}

// apply logs rec, then makes it visible.
func (f *File) apply(rec fileRecord) error {
	line, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	line = append(line, '\n')
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return errors.New("tenant directory store: closed")
	}
	if _, err := f.log.Write(line); err != nil {
		return fmt.Errorf("tenant directory store: writing %s: %w", FileLog, err)
	}
	f.logBytes += int64(len(line))
	if rec.Deleted {
		f.mem.delete(rec.Key)
	} else {
		f.mem.put(rec.Key, rec.Value, rec.Expires)
	}
	if f.logBytes >= max(compactMin, f.snapBytes) {
		if err := f.compact(); err != nil {
			// The write is in the log; compaction is retried on the next.
			return nil
		}
	}
	return nil
}

// compact writes every live key to a new snapshot and empties the log
// (f.mu held).
func (f *File) compact() error {
	tmp, err := os.CreateTemp(f.dir, FileSnapshot+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 1<<20)
	var n int64
	var werr error
	f.mem.forEach(func(key string, it memItem) {
		if werr != nil {
			return
		}
		line, err := json.Marshal(fileRecord{Key: key, Value: it.value, Expires: it.exp})
		if err != nil {
			werr = err
			return
		}
		line = append(line, '\n')
		n += int64(len(line))
		_, werr = w.Write(line)
	})
	if werr == nil {
		werr = w.Flush()
	}
	if werr == nil {
		werr = tmp.Sync()
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return werr
	}
	if err := os.Rename(tmp.Name(), filepath.Join(f.dir, FileSnapshot)); err != nil {
		return err
	}
	if d, err := os.Open(f.dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	if err := f.log.Truncate(0); err != nil {
		return err
	}
	f.snapBytes, f.logBytes = n, 0
	return nil
}
