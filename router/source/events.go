package source

import (
	"path/filepath"
	"time"
)

// File-system events for a File source. The directory holding the file is
// watched, not the file: a temporary file renamed over the registry
// replaces its inode, and a Kubernetes ConfigMap or Secret volume changes
// nothing but the ..data symlink in that directory. An event naming the
// file makes the watcher read it and compare the content; an event about
// any other name in the directory makes it stat the file, which sees a swap
// of ..data (the path now resolves to another file). A burst of events (a
// writer doing write, chmod, rename) is debounced into one read.

const (
	// eventDebounce is how long the directory must stay quiet after an
	// event before the file is read.
	eventDebounce = 100 * time.Millisecond
	// eventMaxDelay bounds the wait when events never stop: the file is
	// read at most this long after the first event of a burst.
	eventMaxDelay = time.Second
)

// A notifier watches one directory: fsnotify where the platform has it
// (notify_fsnotify.go), nothing on js (notify_js.go).
type notifier interface {
	// changes delivers one dirChange per event. It is closed when the
	// watch ends for good.
	changes() <-chan dirChange
	// close ends the watch and returns once its goroutines have stopped.
	close() error
}

// dirChange is an event in the watched directory.
type dirChange struct {
	// path names the changed entry; it equals the watched directory when
	// the directory itself went away.
	path string
	// gone: the entry was removed or renamed.
	gone bool
	// err reports a problem of the watch; events may have been lost.
	err error
}

// eventBurst collects the events of one burst until the debounce timer
// fires.
type eventBurst struct {
	dir, name string // of the watched file
	debounce  time.Duration
	maxDelay  time.Duration

	timer *time.Timer
	fire  <-chan time.Time // nil while no burst is pending
	first time.Time
	mode  readMode // the strongest read an event of this burst asked for
}

// add notes one event and (re)arms the debounce timer.
func (b *eventBurst) add(c dirChange, now time.Time) {
	mode := readIfStatChanged
	if c.err != nil || filepath.Base(c.path) == b.name {
		mode = readContent
	}
	b.mode = max(b.mode, mode)
	switch {
	case b.fire == nil:
		b.first = now
		if b.timer == nil {
			b.timer = time.NewTimer(b.debounce)
		} else {
			b.timer.Reset(b.debounce)
		}
		b.fire = b.timer.C
	case now.Sub(b.first)+b.debounce <= b.maxDelay:
		b.timer.Reset(b.debounce)
	}
}

// take ends the burst after its timer fired and returns the read it needs.
func (b *eventBurst) take() readMode {
	mode := b.mode
	b.fire, b.mode = nil, 0
	return mode
}

// stop releases the timer.
func (b *eventBurst) stop() {
	if b.timer != nil {
		b.timer.Stop()
	}
	b.fire = nil
}

// lostDir reports whether c says the watched directory itself went away:
// no more events will come from it.
func (b *eventBurst) lostDir(c dirChange) bool {
	return c.gone && filepath.Clean(c.path) == filepath.Clean(b.dir)
}
