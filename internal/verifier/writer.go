package verifier

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"
)

// Defaults of Config, in one place.
const (
	// DefaultWriters is issue 13's target load: 32 clients.
	DefaultWriters = 32
	// DefaultKeys is how many keys each writer cycles over.
	DefaultKeys = 100
	// DefaultPrefix starts every key the writers write.
	DefaultPrefix = "verify:"
	// DefaultMaxRetryWait bounds the wait after a write refused with
	// Retry-After: short next to a fence (about half a second locally;
	// the router asks for 30 s), so that the writers see its end within
	// it and do not spin on it meanwhile.
	DefaultMaxRetryWait = 100 * time.Millisecond
	// maxProblems is how many problems a Report lists (all are counted).
	maxProblems = 20
)

// Config configures Start.
type Config struct {
	// Target is where to write and read back. Required.
	Target Target
	// Writers is how many goroutines write at once. Zero: DefaultWriters.
	Writers int
	// Keys is how many keys each writer writes, over and over, in turn.
	// Zero: DefaultKeys.
	Keys int
	// Prefix starts every key. Zero: DefaultPrefix.
	Prefix string
	// Pause is how long a writer waits after each write. Zero: none (each
	// writer writes as fast as its writes are answered).
	Pause time.Duration
	// MaxRetryWait bounds how long a writer waits, after a write refused
	// with Retry-After (a fenced or migrating tenant's 503), before its
	// next write: the header's time, at most MaxRetryWait, instead of
	// writing again at once. Zero: DefaultMaxRetryWait.
	MaxRetryWait time.Duration
	// Now is the clock of LongestGap. Zero: time.Now.
	Now func() time.Time

	// sleep, when set, replaces the writers' waits (tests).
	sleep func(time.Duration)
}

func (c *Config) withDefaults() error {
	if c.Target == nil {
		return errors.New("verifier: no target to write to")
	}
	if c.Writers < 0 || c.Keys < 0 || c.Pause < 0 || c.MaxRetryWait < 0 {
		return fmt.Errorf("verifier: writers (%d), keys (%d), pause (%v) and max retry wait (%v) must not be negative", c.Writers, c.Keys, c.Pause, c.MaxRetryWait)
	}
	if c.Writers == 0 {
		c.Writers = DefaultWriters
	}
	if c.Keys == 0 {
		c.Keys = DefaultKeys
	}
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if c.MaxRetryWait == 0 {
		c.MaxRetryWait = DefaultMaxRetryWait
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// keyState is what the writers know of one key.
type keyState struct {
	// acked is the value of the key's last acknowledged write; nil when
	// none was.
	acked []byte
	// since are the values of the writes that failed after it: each may
	// or may not have landed.
	since [][]byte
}

// Stats count the writes so far.
type Stats struct {
	// Attempted writes, Acknowledged ones and Failed ones (Attempted =
	// Acknowledged + Failed once the writers stopped).
	Attempted, Acknowledged, Failed int64
	// FailedBy counts the failures by cause: an HTTP status ("503"), or
	// "network", "canceled" (Start's context ended during the write),
	// "other".
	FailedBy map[string]int64
	// LongestGap is the longest time without an acknowledged write between
	// the first acknowledgement and the last: how long the tenant could not
	// be written (a fence, a dead cell).
	LongestGap time.Duration
}

// Writer is a running set of writers; Stop them, then Verify.
type Writer struct {
	cfg  Config
	run  string        // marks this run's values
	stop chan struct{} // closed by Stop
	wg   sync.WaitGroup

	mu      sync.Mutex
	keys    map[string]*keyState
	stats   Stats
	lastAck time.Time
	stopped bool
}

// Start starts cfg.Writers writers; they write until Stop. When ctx is
// done first, they stop too, and the writes it cut short count as
// "canceled" failures (they may have landed).
func Start(ctx context.Context, cfg Config) (*Writer, error) {
	if err := cfg.withDefaults(); err != nil {
		return nil, err
	}
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error
	w := &Writer{cfg: cfg, run: hex.EncodeToString(b[:]), stop: make(chan struct{}), keys: map[string]*keyState{}, stats: Stats{FailedBy: map[string]int64{}}}
	for i := range cfg.Writers {
		w.wg.Add(1)
		go w.write(ctx, i)
	}
	return w, nil
}

// Key is the key writer i writes in its turn n.
func (w *Writer) Key(i, n int) string {
	return fmt.Sprintf("%sw%03d-k%04d", w.cfg.Prefix, i, n%w.cfg.Keys)
}

// write is writer i's loop.
func (w *Writer) write(ctx context.Context, i int) {
	defer w.wg.Done()
	for n := 0; ; n++ {
		select {
		case <-w.stop:
			return
		case <-ctx.Done():
			return
		default:
		}
		key := w.Key(i, n)
		value := []byte(w.run + "|w" + strconv.Itoa(i) + "|n" + strconv.Itoa(n))
		err := w.cfg.Target.Put(ctx, key, value)
		w.record(key, value, err, ctx.Err() != nil)
		if d := max(w.cfg.Pause, w.retryWait(err)); d > 0 {
			w.wait(ctx, d)
		}
	}
}

// retryWait is the wait a write's refusal asks for: its Retry-After, at
// most MaxRetryWait; 0 for an acknowledged write or a refusal without one.
func (w *Writer) retryWait(err error) time.Duration {
	var se *StatusError
	if !errors.As(err, &se) || se.RetryAfter <= 0 {
		return 0
	}
	return min(se.RetryAfter, w.cfg.MaxRetryWait)
}

// wait waits d, or until the writers stop or ctx is done.
func (w *Writer) wait(ctx context.Context, d time.Duration) {
	if w.cfg.sleep != nil {
		w.cfg.sleep(d)
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-w.stop:
	case <-ctx.Done():
	case <-t.C:
	}
}

// record notes the outcome of one write.
func (w *Writer) record(key string, value []byte, err error, canceled bool) {
	now := w.cfg.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	ks := w.keys[key]
	if ks == nil {
		ks = &keyState{}
		w.keys[key] = ks
	}
	w.stats.Attempted++
	if err == nil {
		w.stats.Acknowledged++
		ks.acked, ks.since = value, nil
		if !w.lastAck.IsZero() {
			w.stats.LongestGap = max(w.stats.LongestGap, now.Sub(w.lastAck))
		}
		w.lastAck = now
		return
	}
	w.stats.Failed++
	w.stats.FailedBy[cause(err, canceled)]++
	ks.since = append(ks.since, value)
}

// cause names a failed write's cause for Stats.FailedBy.
func cause(err error, canceled bool) string {
	var se *StatusError
	var ne net.Error
	switch {
	case canceled || errors.Is(err, context.Canceled):
		return "canceled"
	case errors.As(err, &se):
		return strconv.Itoa(se.Status)
	case errors.As(err, &ne):
		return "network"
	}
	return "other"
}

// Stats returns the counts so far.
func (w *Writer) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.stats
	s.FailedBy = make(map[string]int64, len(w.stats.FailedBy))
	for k, v := range w.stats.FailedBy {
		s.FailedBy[k] = v
	}
	return s
}

// Stop stops the writers, lets each finish the write it is sending (so
// that every write has its answer) and returns the counts. Call it once.
func (w *Writer) Stop() Stats {
	close(w.stop)
	w.wg.Wait()
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
	return w.Stats()
}
