//go:build unix

package source

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router"
)

// TestSIGHUP: a change the cheap poll cannot see (same size, same mtime) is
// picked up on SIGHUP.
func TestSIGHUP(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json")
	writeAtomic(t, path, doc(t, 1, "cell-a"))
	store := router.NewStore(nil)
	// A long interval: only the signal can cause the reload in time.
	w := NewWatcher(store, NewFile(path), Options{Interval: time.Hour, ReloadOnSIGHUP: true})
	if err := w.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); <-w.Done() }()
	w.Start(ctx)
	fi, _ := os.Stat(path)
	os.WriteFile(path, doc(t, 2, "cell-b"), 0o600)
	os.Chtimes(path, fi.ModTime(), fi.ModTime())
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitEpoch(t, store, 2)
}
