package health

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"
)

// startChecker runs c's active checks until the tracker's context ends or
// the cell leaves the registry. Called with t.mu held.
func (t *Tracker) startChecker(c *cell) {
	if c.url == "" || c.stop != nil {
		return
	}
	ctx, cancel := context.WithCancel(t.ctx)
	c.stop = cancel
	go t.checkLoop(ctx, c)
}

func (t *Tracker) checkLoop(ctx context.Context, c *cell) {
	// Check at once, then every Interval with a little jitter so that many
	// routers do not probe a cell in lockstep.
	jitter := time.Duration(rand.Int64N(int64(t.cfg.Interval)/10 + 1))
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		err := t.probe(ctx, c.url)
		if ctx.Err() != nil {
			return
		}
		t.record(c, err)
		timer.Reset(t.cfg.Interval - jitter)
	}
}

// probe performs one check: nil when the cell answered as expected.
func (t *Tracker) probe(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, t.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "cellfabric-router-health")
	resp, err := t.cfg.Client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	want := t.cfg.ExpectStatus
	if (want == 0 && (resp.StatusCode < 200 || resp.StatusCode > 299)) || (want != 0 && resp.StatusCode != want) {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// record applies one check result with the thresholds.
func (t *Tracker) record(c *cell, err error) {
	c.lastMu.Lock()
	c.lastCheck = time.Now()
	if err != nil {
		c.lastErr = err.Error()
		c.failRun++
		c.okRun = 0
	} else {
		c.lastErr = ""
		c.okRun++
		c.failRun = 0
	}
	okRun, failRun := c.okRun, c.failRun
	c.lastMu.Unlock()
	switch {
	case err != nil && failRun >= t.cfg.UnhealthyThreshold && c.active.Load():
		c.active.Store(false)
		t.changed(c, fmt.Sprintf("%d failed checks in a row: %v", failRun, err))
	case err == nil && okRun >= t.cfg.HealthyThreshold && !c.active.Load():
		c.active.Store(true)
		t.changed(c, fmt.Sprintf("%d passed checks in a row", okRun))
	}
}
