package source

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/cellfabric/cellfabric/router"
)

// DefaultInterval is how often a Watcher polls its source.
const DefaultInterval = 2 * time.Second

// Options tune a Watcher.
type Options struct {
	// Interval between polls. Default DefaultInterval. A File source is
	// also watched with file-system events where they work, which deliver a
	// change within a fraction of a second; the poll is then the safety net
	// for changes that make no event (a network mount, a symlink to a file
	// in another directory).
	Interval time.Duration
	// LastKnownGood is a file path: every accepted document is written
	// there, and it is loaded at start when the source cannot be read or
	// holds a bad document. Zero: no copy.
	LastKnownGood string
	// ReloadOnSIGHUP re-reads the source when the process gets SIGHUP
	// (unix only; ignored elsewhere).
	ReloadOnSIGHUP bool
	// Logger: default discard.
	Logger *slog.Logger
}

// Watcher keeps a Store fed from a Source.
type Watcher struct {
	store   *router.Store
	src     Source
	opts    Options
	lkg     *lastKnownGood
	trigger chan struct{}
	done    chan struct{}

	// newNotifier starts file-system events on a directory
	// (newFSNotifier); tests replace it to make it fail.
	newNotifier func(dir string) (notifier, error)
	// debounce and maxDelay: eventDebounce and eventMaxDelay; tests widen
	// them.
	debounce, maxDelay time.Duration

	// now is the clock LastSync is read from (time.Now); tests replace it.
	now func() time.Time

	fetchErrors atomic.Uint64
	// lastSync is when a read last found the router serving what the
	// source holds, in Unix nanoseconds (0: never); refused is true while
	// the source holds a document the store refused.
	lastSync       atomic.Int64
	refused        atomic.Bool
	lkgErrors      atomic.Uint64
	lkgLoaded      atomic.Bool
	reloads        atomic.Uint64
	eventChecks    atomic.Uint64
	watchingEvents atomic.Bool
}

// NewWatcher returns a watcher feeding store from src.
func NewWatcher(store *router.Store, src Source, opts Options) *Watcher {
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	w := &Watcher{
		store: store, src: src, opts: opts, trigger: make(chan struct{}, 1), done: make(chan struct{}),
		newNotifier: newFSNotifier, debounce: eventDebounce, maxDelay: eventMaxDelay, now: time.Now,
	}
	if opts.LastKnownGood != "" {
		w.lkg = &lastKnownGood{path: opts.LastKnownGood}
		store.OnSwap(func(_, cur *router.Snapshot, raw []byte) {
			if raw == nil {
				return
			}
			if err := w.lkg.write(raw); err != nil {
				w.lkgErrors.Add(1)
				w.opts.Logger.Error("writing the last-known-good registry failed", "path", opts.LastKnownGood, "epoch", cur.Epoch(), "error", err)
			}
		})
	}
	return w
}

// Load performs the first load: from the source, or, when that fails and a
// last-known-good copy is configured, from the copy. It returns an error when
// the store still has no registry.
func (w *Watcher) Load(ctx context.Context) error {
	err := w.poll(ctx, readForced, true)
	if w.store.Snapshot() != nil {
		return nil
	}
	if w.lkg == nil {
		return fmt.Errorf("loading the registry from %s: %w", w.src.Name(), err)
	}
	data, lerr := w.lkg.read()
	if lerr == nil {
		lerr = w.store.Update(data, "last-known-good:"+w.lkg.path)
	}
	if lerr != nil {
		return fmt.Errorf("loading the registry from %s: %w; and from the last-known-good copy: %w", w.src.Name(), err, lerr)
	}
	w.lkgLoaded.Store(true)
	w.opts.Logger.Warn("serving the last-known-good registry: the source could not be loaded", "source", w.src.Name(), "epoch", w.store.Snapshot().Epoch(), "error", err)
	return nil
}

// poll fetches once and offers a changed document to the store. mode says
// how much evidence of a change a File needs before it is read (other
// sources only tell forced from not). first is true for the first load
// (Load).
func (w *Watcher) poll(ctx context.Context, mode readMode, first bool) error {
	var (
		data    []byte
		changed bool
		err     error
	)
	if f, ok := w.src.(*File); ok {
		data, changed, err = f.read(mode)
	} else {
		data, changed, err = w.src.Fetch(ctx, mode == readForced)
	}
	if err != nil {
		w.fetchErrors.Add(1)
		w.logUnavailable(err, first)
		return err
	}
	if changed {
		w.reloads.Add(1)
		err = w.store.Update(data, w.src.Name()) // the store logs and counts refusals
		w.refused.Store(err != nil)
	}
	if !w.refused.Load() {
		w.lastSync.Store(w.now().UnixNano())
	}
	return err
}

// logUnavailable logs a failed read of the source and what is served
// meanwhile: the last good registry, or, before the first load, nothing.
func (w *Watcher) logUnavailable(err error, first bool) {
	log, src := w.opts.Logger, w.src.Name()
	switch s := w.store.Snapshot(); {
	case s != nil:
		log.Warn("registry source unavailable; keeping the last good registry", "source", src, "epoch", s.Epoch(), "error", err)
	case first && w.lkg != nil:
		log.Warn("registry source unavailable and no registry loaded yet; trying the last-known-good copy", "source", src, "last_known_good", w.lkg.path, "error", err)
	case first:
		log.Warn("registry source unavailable and no registry loaded yet", "source", src, "error", err)
	default:
		log.Warn("registry source unavailable; no registry loaded yet, retrying", "source", src, "retry_in", w.opts.Interval.String(), "error", err)
	}
}

// Start watches the source in the background until ctx is done: a poll
// every Interval, SIGHUP when ReloadOnSIGHUP is set, Trigger, and, for a
// File source, file-system events on its directory. Signal handlers and the
// file-system watch are installed, and a watched file is looked at once,
// before Start returns. Done is closed once everything Start set up is
// released: no goroutine of the watcher is left.
func (w *Watcher) Start(ctx context.Context) {
	var hup <-chan os.Signal
	stopHUP := func() {}
	if w.opts.ReloadOnSIGHUP {
		hup, stopHUP = notifyReload()
	}
	n, burst := w.startEvents()
	if n != nil {
		// A change made between Load and the start of the watch made no
		// event that reaches us: look once. Here, not in the goroutine, so
		// that this look never races with a change made after Start.
		_ = w.poll(ctx, readIfStatChanged, false)
	}
	go func() {
		defer close(w.done)
		defer stopHUP()
		w.loop(ctx, hup, n, burst)
	}()
}

// startEvents starts file-system events for a File source. It returns a
// nil notifier when the source is no file or events are unavailable: then
// the poll alone finds changes.
func (w *Watcher) startEvents() (notifier, *eventBurst) {
	burst := &eventBurst{debounce: w.debounce, maxDelay: w.maxDelay}
	f, ok := w.src.(*File)
	if !ok {
		return nil, burst
	}
	burst.dir, burst.name = filepath.Dir(f.path), filepath.Base(f.path)
	n, err := w.newNotifier(burst.dir)
	if err != nil {
		w.opts.Logger.Warn("file-system events unavailable; polling the registry file instead",
			"source", w.src.Name(), "poll", w.opts.Interval.String(), "error", err)
		return nil, burst
	}
	w.watchingEvents.Store(true)
	w.opts.Logger.Info("watching the registry file's directory for changes", "source", w.src.Name(), "dir", burst.dir, "poll", w.opts.Interval.String())
	return n, burst
}

// loop runs until ctx is done, then closes n.
func (w *Watcher) loop(ctx context.Context, hup <-chan os.Signal, n notifier, burst *eventBurst) {
	var changes <-chan dirChange
	stopEvents := func() {
		if n == nil {
			return
		}
		if err := n.close(); err != nil {
			w.opts.Logger.Warn("closing the file-system watch failed", "source", w.src.Name(), "error", err)
		}
		n, changes = nil, nil
		w.watchingEvents.Store(false)
	}
	defer stopEvents()
	defer burst.stop()
	if n != nil {
		changes = n.changes()
	}
	t := time.NewTicker(w.opts.Interval)
	defer t.Stop()
	for {
		mode := readIfStatChanged
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-hup:
			mode = readForced
			w.opts.Logger.Info("SIGHUP: reloading the registry", "source", w.src.Name())
		case <-w.trigger:
			mode = readForced
		case c, ok := <-changes:
			if !ok || burst.lostDir(c) {
				// Said before the flag drops, so whoever sees
				// WatchingEvents false also finds the reason in the log.
				w.opts.Logger.Warn("the registry file's directory went away; file-system events stopped, polling the registry file instead",
					"source", w.src.Name(), "dir", burst.dir, "poll", w.opts.Interval.String())
				stopEvents()
				mode = readContent
				break
			}
			if c.err != nil {
				w.opts.Logger.Warn("file-system events may have been lost; re-reading the registry file", "source", w.src.Name(), "error", c.err)
			}
			burst.add(c, time.Now())
			continue
		case <-burst.fire:
			mode = burst.take()
			w.eventChecks.Add(1)
		}
		_ = w.poll(ctx, mode, false) // logged and counted by poll and the store
	}
}

// Trigger asks a started watcher to re-read its source now.
func (w *Watcher) Trigger() {
	select {
	case w.trigger <- struct{}{}:
	default:
	}
}

// Done is closed when a started watcher stops.
func (w *Watcher) Done() <-chan struct{} { return w.done }

// Stats are a watcher's counters.
type Stats struct {
	// FetchErrors counts failed reads of the source.
	FetchErrors uint64
	// LastKnownGoodErrors counts failed writes of the copy.
	LastKnownGoodErrors uint64
	// LastKnownGoodLoaded is true when the start used the copy.
	LastKnownGoodLoaded bool
	// Reloads counts changed documents read from the source and offered
	// to the store; the store's stats say which it accepted and refused.
	Reloads uint64
	// EventChecks counts reads of a File source caused by file-system
	// events, after a burst of events is debounced into one.
	EventChecks uint64
	// WatchingEvents is true while file-system events watch a File
	// source's directory; false: the poll alone finds changes.
	WatchingEvents bool
	// LastSync is when a read of the source last succeeded with the
	// router serving the document the source holds (swapped in, or the
	// same as the one served). A failed read, or a source holding a
	// document the store refused, leaves it where it was. Zero: never
	// (for instance a start from the last-known-good copy).
	LastSync time.Time
}

// Stats returns the counters.
func (w *Watcher) Stats() Stats {
	return Stats{
		FetchErrors: w.fetchErrors.Load(), LastKnownGoodErrors: w.lkgErrors.Load(), LastKnownGoodLoaded: w.lkgLoaded.Load(),
		Reloads: w.reloads.Load(), EventChecks: w.eventChecks.Load(), WatchingEvents: w.watchingEvents.Load(),
		LastSync: unixNano(w.lastSync.Load()),
	}
}

// unixNano is time.Unix(0, n), with 0 as the zero time.
func unixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// Source returns the watched source.
func (w *Watcher) Source() Source { return w.src }
