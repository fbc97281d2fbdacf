//go:build !js

package source

import (
	"fmt"

	"github.com/fsnotify/fsnotify"
)

// fsNotifier watches a directory with fsnotify: inotify on Linux, kqueue on
// macOS and the BSDs, ReadDirectoryChangesW on Windows. Elsewhere
// fsnotify.NewWatcher fails and the watcher polls.
type fsNotifier struct {
	w    *fsnotify.Watcher
	out  chan dirChange
	stop chan struct{}
	done chan struct{}
}

var _ notifier = (*fsNotifier)(nil)

// newFSNotifier starts watching dir. It fails when the platform has no
// events, when the process is out of inotify instances or watches
// (fs.inotify.max_user_instances, fs.inotify.max_user_watches), or when dir
// cannot be watched (missing, no permission).
func newFSNotifier(dir string) (notifier, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("starting file-system events: %w%s", err, limitHint(err))
	}
	if err := w.Add(dir); err != nil {
		w.Close()
		return nil, fmt.Errorf("watching directory %s: %w%s", dir, err, limitHint(err))
	}
	n := &fsNotifier{w: w, out: make(chan dirChange), stop: make(chan struct{}), done: make(chan struct{})}
	go n.run()
	return n, nil
}

// run forwards fsnotify's events and errors until close.
func (n *fsNotifier) run() {
	defer close(n.done)
	defer close(n.out)
	for {
		var c dirChange
		select {
		case <-n.stop:
			return
		case ev, ok := <-n.w.Events:
			if !ok {
				return
			}
			c = dirChange{path: ev.Name, gone: ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename)}
		case err, ok := <-n.w.Errors:
			if !ok {
				return
			}
			c = dirChange{err: err}
		}
		select {
		case n.out <- c:
		case <-n.stop:
			return
		}
	}
}

func (n *fsNotifier) changes() <-chan dirChange { return n.out }

// close stops run and then fsnotify (which waits for its reader).
func (n *fsNotifier) close() error {
	close(n.stop)
	<-n.done
	return n.w.Close()
}
