package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
)

// importCheckpoint is what an interrupted import leaves so that running it
// again continues where it stopped: the end of the last line whose batch,
// and every batch before it, the directory acknowledged, with the counts
// up to there. Batches after it may have been applied too; they are sent
// again, which is harmless (a batch's writes are idempotent: an entry
// already so comes back unchanged).
type importCheckpoint struct {
	// Format and Mode of the import that wrote it; a run with others is
	// refused.
	Format string `json:"format"`
	Mode   string `json:"mode"`
	// Offset is the byte offset of the end of the last acknowledged line;
	// Line its line number.
	Offset int64 `json:"offset"`
	Line   int   `json:"line"`
	// PrefixSHA256 is the SHA-256 of the input's first Offset bytes: a
	// file changed before Offset is not resumed.
	PrefixSHA256 string `json:"prefixSha256"`
	importCounts
}

// importCounts are an import's results so far.
type importCounts struct {
	Added     int `json:"added"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Failed    int `json:"failed"`
}

// readCheckpoint reads a checkpoint; ok is false when there is none.
func readCheckpoint(path string) (cp importCheckpoint, ok bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return cp, false, nil
	}
	if err != nil {
		return cp, false, fmt.Errorf("reading the checkpoint: %w", err)
	}
	if err := json.Unmarshal(data, &cp); err != nil || cp.Offset < 0 {
		return cp, false, fmt.Errorf("checkpoint %s is damaged (%v): delete it to import from the start (entries already imported come back unchanged)", path, err)
	}
	return cp, true, nil
}

// write replaces the checkpoint file atomically.
func (cp importCheckpoint) write(path string) error {
	data, err := json.MarshalIndent(cp, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing the checkpoint %s: %w", path, err)
	}
	return nil
}

// prefixHasher hashes an input file's bytes from its start as the import
// commits batches, reading each byte once.
type prefixHasher struct {
	f   *os.File
	h   hash.Hash
	pos int64
}

func newPrefixHasher(path string) (*prefixHasher, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return &prefixHasher{f: f, h: sha256.New()}, nil
}

// advance hashes up to offset and returns the hash of the prefix.
func (p *prefixHasher) advance(offset int64) (string, error) {
	if offset > p.pos {
		n, err := io.CopyN(p.h, p.f, offset-p.pos)
		p.pos += n
		if err != nil {
			return "", fmt.Errorf("reading the input to checkpoint it: %w", err)
		}
	}
	// Sum does not change the running state (hash.Hash).
	return hex.EncodeToString(p.h.Sum(nil)), nil
}

func (p *prefixHasher) Close() error { return p.f.Close() }
