// Package atomicfile writes a file so that a reader never sees half of it:
// the registry a router polls, a control key, the checkpoints of
// `cellfabric tenants import` and `cellfabric cells evacuate`.
//
// It imports the standard library only.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write writes data to path through a temporary file in the same
// directory and a rename, so that a reader never reads half of it. The
// file gets perm; the temporary file is private until then.
func Write(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".cellfabric-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // nothing is left to remove after the rename
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(perm)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	return err
}
