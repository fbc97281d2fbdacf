package source

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router"
)

// registryLayout creates a registry file in dir holding data and returns
// the path a router is given, plus a function that replaces the content the
// way one kind of writer does; n numbers the replacements (1, 2, ...).
type registryLayout struct {
	name   string
	create func(t *testing.T, dir string, data []byte) string
	change func(t *testing.T, dir, path string, n int, data []byte)
}

// plainFile is a registry.json in dir.
func plainFile(t *testing.T, dir string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, "registry.json")
	writeAtomic(t, path, data)
	return path
}

// configMapDir lays dir out like a Kubernetes ConfigMap volume:
// registry.json -> ..data/registry.json, ..data -> ..<version>.
func configMapDir(t *testing.T, dir string, data []byte) string {
	t.Helper()
	version := "..2026_01_01_00_00_00.0"
	writeVersion(t, dir, version, data)
	if err := os.Symlink(version, filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "registry.json")
	if err := os.Symlink(filepath.Join("..data", "registry.json"), path); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeVersion(t *testing.T, dir, version string, data []byte) {
	t.Helper()
	if err := os.Mkdir(filepath.Join(dir, version), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, version, "registry.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// swapConfigMap updates a configMapDir the way the kubelet does: a new
// version directory, a temporary ..data link renamed over ..data, the old
// version removed.
func swapConfigMap(t *testing.T, dir string, n int, data []byte) {
	t.Helper()
	old, err := os.Readlink(filepath.Join(dir, "..data"))
	if err != nil {
		t.Fatal(err)
	}
	version := fmt.Sprintf("..2026_01_01_00_00_%02d.%d", n, n)
	writeVersion(t, dir, version, data)
	tmp := filepath.Join(dir, "..data_tmp")
	if err := os.Symlink(version, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, old)); err != nil {
		t.Fatal(err)
	}
}

var registryLayouts = []registryLayout{
	{
		name:   "written in place",
		create: plainFile,
		change: func(t *testing.T, _, path string, _ int, data []byte) {
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
		},
	},
	{
		name:   "temporary file renamed over it",
		create: plainFile,
		change: func(t *testing.T, _, path string, _ int, data []byte) { writeAtomic(t, path, data) },
	},
	{
		name:   "removed and written again",
		create: plainFile,
		change: func(t *testing.T, _, path string, _ int, data []byte) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
		},
	},
	{
		name:   "ConfigMap volume, ..data symlink swapped",
		create: configMapDir,
		change: func(t *testing.T, dir, _ string, n int, data []byte) { swapConfigMap(t, dir, n, data) },
	},
}

// TestFileEventsDeliverChanges: with a poll interval of an hour only
// file-system events can deliver a change in time. Each way of replacing
// the file is picked up; a bad replacement is refused and counted, the last
// good registry keeps serving, and the next good one is taken.
func TestFileEventsDeliverChanges(t *testing.T) {
	t.Parallel()
	for _, tt := range registryLayouts {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := tt.create(t, dir, doc(t, 1, "cell-a"))
			store := router.NewStore(nil)
			w := NewWatcher(store, NewFile(path), Options{Interval: time.Hour})
			if err := w.Load(context.Background()); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer func() { cancel(); <-w.Done() }()
			w.Start(ctx)

			tt.change(t, dir, path, 1, doc(t, 2, "cell-b"))
			waitEpoch(t, store, 2)
			if primary(store) != "cell-b" {
				t.Fatal("new registry not in use")
			}

			before := refused(store.Stats())
			tt.change(t, dir, path, 2, doc(t, 3, "missing"))
			deadline := time.Now().Add(5 * time.Second)
			for refused(store.Stats()) == before {
				if time.Now().After(deadline) {
					t.Fatal("bad update not refused")
				}
				time.Sleep(5 * time.Millisecond)
			}
			if store.Snapshot().Epoch() != 2 || primary(store) != "cell-b" {
				t.Fatal("bad update replaced the good registry")
			}

			tt.change(t, dir, path, 3, doc(t, 4, "cell-a"))
			waitEpoch(t, store, 4)
		})
	}
}

// TestFileEventsBurstIsOneReload: a writer that rewrites the file many times
// in a row causes one reload, of the final content. Without the debounce the
// first event would read an early version and count a reload of its own.
func TestFileEventsBurstIsOneReload(t *testing.T) {
	t.Parallel()
	path := plainFile(t, t.TempDir(), doc(t, 1, "cell-a"))
	store := router.NewStore(nil)
	w := NewWatcher(store, NewFile(path), Options{Interval: time.Hour})
	// Generous, so that a slow, shared machine still writes the burst
	// within it.
	w.debounce, w.maxDelay = 2*time.Second, time.Minute
	if err := w.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); <-w.Done() }()
	w.Start(ctx)
	if !w.Stats().WatchingEvents {
		t.Fatal("file-system events not started")
	}
	reloads, accepted := w.Stats().Reloads, store.Stats().Accepted
	const last = 11
	for epoch := int64(2); epoch <= last; epoch++ {
		// Write, chmod, then replace by rename: several events per step.
		if err := os.WriteFile(path, doc(t, epoch, "cell-b"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		writeAtomic(t, path, doc(t, epoch, "cell-b"))
	}
	waitEpoch(t, store, last)
	st := w.Stats()
	// One reload, or two when the machine stalled longer than the
	// debounce in the middle of the burst; without the debounce every
	// event reads the file (16 reloads here).
	if got := st.Reloads - reloads; got < 1 || got > 2 {
		t.Errorf("%d reloads for one burst, want 1 (2 at most on a stalled machine)", got)
	}
	if got := store.Stats().Accepted - accepted; got < 1 || got > 2 {
		t.Errorf("store accepted %d documents for one burst, want 1 (2 at most)", got)
	}
	if st.EventChecks == 0 {
		t.Error("the reload was not caused by an event")
	}
}

// TestFileEventsFallBackToPolling: when file-system events cannot start,
// the watcher says so and polls at its interval, which still delivers
// changes.
func TestFileEventsFallBackToPolling(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// prepare returns the registry path and may break the watcher's
		// events.
		prepare func(t *testing.T, w *Watcher, dir string) string
	}{
		{
			name: "the notifier cannot be created",
			prepare: func(t *testing.T, w *Watcher, dir string) string {
				w.newNotifier = func(string) (notifier, error) {
					return nil, errors.New("too many open files (injected)")
				}
				return filepath.Join(dir, "registry.json")
			},
		},
		{
			name: "the directory does not exist yet",
			prepare: func(t *testing.T, w *Watcher, dir string) string {
				return filepath.Join(dir, "later", "registry.json")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			var logs syncBuffer
			logger := slog.New(slog.NewTextHandler(&logs, nil))
			store := router.NewStore(logger)
			src := &File{limit: router.MaxRegistryBytes}
			w := NewWatcher(store, src, Options{Interval: 20 * time.Millisecond, Logger: logger})
			src.path = tt.prepare(t, w, dir)
			ctx, cancel := context.WithCancel(context.Background())
			defer func() { cancel(); <-w.Done() }()
			w.Start(ctx)
			if w.Stats().WatchingEvents {
				t.Fatal("file-system events reported as running")
			}
			if !strings.Contains(logs.String(), "polling") {
				t.Errorf("the fallback is not logged:\n%s", logs.String())
			}
			if err := os.MkdirAll(filepath.Dir(src.path), 0o755); err != nil {
				t.Fatal(err)
			}
			writeAtomic(t, src.path, doc(t, 2, "cell-b"))
			waitEpoch(t, store, 2)
			if n := w.Stats().EventChecks; n != 0 {
				t.Errorf("%d event checks without events", n)
			}
		})
	}
}

// TestWatcherStopReleasesEverything: once Done is closed the watcher has
// closed its file-system watch and left no goroutine behind. Not parallel:
// it counts the process's goroutines.
func TestWatcherStopReleasesEverything(t *testing.T) {
	path := plainFile(t, t.TempDir(), doc(t, 1, "cell-a"))
	start := func() (*Watcher, *router.Store, context.CancelFunc) {
		store := router.NewStore(nil)
		w := NewWatcher(store, NewFile(path), Options{Interval: time.Hour, ReloadOnSIGHUP: true})
		if err := w.Load(context.Background()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		w.Start(ctx)
		return w, store, cancel
	}
	// The process's first signal.Notify starts os/signal's own goroutine,
	// which stays for good: start and stop one watcher before counting.
	w, _, cancel := start()
	cancel()
	<-w.Done()
	baseline := runtime.NumGoroutine()
	w, store, cancel := start()
	if !w.Stats().WatchingEvents {
		t.Fatal("file-system events not started")
	}
	if n := runtime.NumGoroutine(); n <= baseline {
		t.Fatalf("%d goroutines while running, %d before: the count cannot see a leak", n, baseline)
	}
	writeAtomic(t, path, doc(t, 2, "cell-b"))
	waitEpoch(t, store, 2)
	cancel()
	<-w.Done()
	if w.Stats().WatchingEvents {
		t.Error("events still reported as running after stop")
	}
	// Done is closed after the goroutines are told to stop and have
	// answered; the runtime may take a moment to retire them.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines after stop, %d before:\n%s", runtime.NumGoroutine(), baseline, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
	buf := make([]byte, 1<<20)
	if stacks := string(buf[:runtime.Stack(buf, true)]); strings.Contains(stacks, "github.com/fsnotify/fsnotify.") {
		t.Errorf("an fsnotify goroutine is still running:\n%s", stacks)
	}
}

// TestFileEventsDirectoryGoneFallsBackToPolling: when the watched directory
// itself is removed no event can come from it any more; the watcher closes
// the watch, says so, and its poll picks the file up once it is back.
func TestFileEventsDirectoryGoneFallsBackToPolling(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "registry")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := plainFile(t, dir, doc(t, 1, "cell-a"))
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	store := router.NewStore(logger)
	w := NewWatcher(store, NewFile(path), Options{Interval: 20 * time.Millisecond, Logger: logger})
	if err := w.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); <-w.Done() }()
	w.Start(ctx)
	if !w.Stats().WatchingEvents {
		t.Fatal("file-system events not started")
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for w.Stats().WatchingEvents {
		if time.Now().After(deadline) {
			t.Fatal("the loss of the directory went unnoticed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "directory went away") {
		t.Errorf("the loss is not logged:\n%s", logs.String())
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeAtomic(t, path, doc(t, 2, "cell-b"))
	waitEpoch(t, store, 2)
}
