//go:build linux || darwin || freebsd || openbsd || netbsd || dragonfly

package embedded

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockDir takes the data directory's lock: an exclusive flock on
// dir/kv.lock, which the kernel releases when the process ends, however it
// ends. A second store over the directory, in this process or another,
// fails to open instead of interleaving its appends with the first's.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("embedded store: opening the lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("embedded store: the data directory %s is in use by another store (another cellfabric process, or one not closed in this one); stop it or use another data directory", dir)
		}
		return nil, fmt.Errorf("embedded store: locking %s: %w", path, err)
	}
	return f, nil
}

// unlockDir releases the lock lockDir took.
func unlockDir(f *os.File) {
	if f != nil {
		f.Close() // closing the only descriptor releases the flock
	}
}
