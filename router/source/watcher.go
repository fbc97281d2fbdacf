package source

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/cellfabric/cellfabric/router"
)

// DefaultInterval is how often a Watcher polls its source.
const DefaultInterval = 2 * time.Second

// Options tune a Watcher.
type Options struct {
	// Interval between polls. Default DefaultInterval.
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

	fetchErrors atomic.Uint64
	lkgErrors   atomic.Uint64
	lkgLoaded   atomic.Bool
}

// NewWatcher returns a watcher feeding store from src.
func NewWatcher(store *router.Store, src Source, opts Options) *Watcher {
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	w := &Watcher{store: store, src: src, opts: opts, trigger: make(chan struct{}, 1), done: make(chan struct{})}
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
	err := w.poll(ctx, true, true)
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

// poll fetches once and offers a changed document to the store. first is
// true for the first load (Load).
func (w *Watcher) poll(ctx context.Context, force, first bool) error {
	data, changed, err := w.src.Fetch(ctx, force)
	if err != nil {
		w.fetchErrors.Add(1)
		w.logUnavailable(err, first)
		return err
	}
	if !changed {
		return nil
	}
	return w.store.Update(data, w.src.Name()) // the store logs and counts refusals
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

// Start polls in the background until ctx is done (Done is then closed).
// Signal handlers are installed before Start returns.
func (w *Watcher) Start(ctx context.Context) {
	var hup <-chan struct{}
	if w.opts.ReloadOnSIGHUP {
		hup = notifyReload(ctx)
	}
	go func() {
		defer close(w.done)
		t := time.NewTicker(w.opts.Interval)
		defer t.Stop()
		for {
			force := false
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			case <-hup:
				force = true
				w.opts.Logger.Info("SIGHUP: reloading the registry", "source", w.src.Name())
			case <-w.trigger:
				force = true
			}
			_ = w.poll(ctx, force, false) // logged and counted by poll and the store
		}
	}()
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
}

// Stats returns the counters.
func (w *Watcher) Stats() Stats {
	return Stats{FetchErrors: w.fetchErrors.Load(), LastKnownGoodErrors: w.lkgErrors.Load(), LastKnownGoodLoaded: w.lkgLoaded.Load()}
}

// Source returns the watched source.
func (w *Watcher) Source() Source { return w.src }
