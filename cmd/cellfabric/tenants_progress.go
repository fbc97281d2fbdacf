package main

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progressEvery is how often an import or an evacuation says how far it is
// when stderr is not a terminal; on a terminal it redraws one line at most
// redrawEvery.
const (
	progressEvery = 5 * time.Second
	redrawEvery   = 100 * time.Millisecond
)

// progress reports a long command's progress on w (name and total are an
// import's: its file and size).
type progress struct {
	w        io.Writer
	terminal bool
	name     string
	total    int64 // input bytes
	start    time.Time
	now      func() time.Time

	mu    sync.Mutex
	last  time.Time
	drawn bool
}

func newProgress(w io.Writer, terminal bool, name string, total int64) *progress {
	p := &progress{w: w, terminal: terminal, name: name, total: total, now: time.Now}
	p.start = p.now()
	return p
}

// update reports done bytes and the counts; it writes only as often as
// the output allows.
func (p *progress) update(done int64, sent int, c importCounts) {
	p.show(func(elapsed time.Duration) string {
		pct := 100.0
		if p.total > 0 {
			pct = float64(done) * 100 / float64(p.total)
		}
		rate := 0.0
		if el := elapsed.Seconds(); el > 0 {
			rate = float64(sent) / el
		}
		return fmt.Sprintf("import %s: %5.1f%% (%d of %d bytes), %d tenants sent, %.0f/s, %d failed", p.name, pct, done, p.total, sent, rate, c.Failed)
	})
}

// show writes the line line returns (given the time since the start) when
// the output allows: a redraw of one line at most every redrawEvery on a
// terminal, else a line every progressEvery. Any long-running command
// (import, evacuate) reports through it.
func (p *progress) show(line func(elapsed time.Duration) string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	every := progressEvery
	if p.terminal {
		every = redrawEvery
	}
	if now.Sub(p.last) < every {
		return
	}
	p.last = now
	l := line(now.Sub(p.start))
	if p.terminal {
		fmt.Fprintf(p.w, "\r\033[K%s", l)
		p.drawn = true
		return
	}
	fmt.Fprintln(p.w, l)
}

// done ends the progress line on a terminal.
func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}
