package edgeconf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/cellfabric/cellfabric/router/jsonkeys"
)

// HealthVersion is the version of the Health document this package reads
// and writes.
const HealthVersion = 1

// Limits of the Health document.
const (
	// MaxHealthBytes bounds a Health document read from KV.
	MaxHealthBytes = 1 << 20
	// MaxHealthCells bounds the cells it lists (router.MaxCells).
	MaxHealthCells = 1024
)

// Health is the document the Worker's Cron Trigger writes to HealthKey after
// probing every cell's health URL, and that the fetch handler reads back.
type Health struct {
	// Version is HealthVersion.
	Version int `json:"version"`
	// CheckedAt is when the probes ran. A document older than
	// Config.HealthMaxAgeSeconds is ignored.
	CheckedAt time.Time `json:"checkedAt"`
	// Epoch is the epoch of the registry whose cells were probed.
	Epoch int64 `json:"epoch"`
	// Cells maps a cell id to whether its probe succeeded: the
	// router.HealthMap the decision reads (a cell that is absent, because
	// it has no health URL or joined since, is healthy).
	Cells map[string]bool `json:"cells"`
	// Probes holds what each probe saw, for operators. The Worker does not
	// route on it.
	Probes map[string]Probe `json:"probes,omitempty"`
}

// Probe is one health probe's outcome.
type Probe struct {
	// Status is the HTTP status the cell answered, 0 when none.
	Status int `json:"status,omitempty"`
	// Error says why the probe failed, "" when it did not.
	Error string `json:"error,omitempty"`
	// Millis is how long the probe took.
	Millis int64 `json:"ms"`
}

// Fresh reports whether the document was written within maxAge of now. A
// document from the future (clock skew) counts as fresh.
func (h Health) Fresh(now time.Time, maxAge time.Duration) bool {
	return !h.CheckedAt.IsZero() && now.Sub(h.CheckedAt) <= maxAge
}

// ParseHealth reads a Health document, refusing documents over
// MaxHealthBytes, unknown versions, keys written twice and malformed
// content.
func ParseHealth(data []byte) (Health, error) {
	var h Health
	if len(data) > MaxHealthBytes {
		return h, fmt.Errorf("health document: %d bytes, over the %d byte limit", len(data), MaxHealthBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&h); err != nil {
		return Health{}, fmt.Errorf("health document: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Health{}, errors.New("health document: trailing data after the JSON object")
	}
	if err := jsonkeys.Check(data); err != nil {
		return Health{}, fmt.Errorf("health document: %w", err)
	}
	var errs []error
	if h.Version != HealthVersion {
		errs = append(errs, fmt.Errorf("version: got %d, want %d", h.Version, HealthVersion))
	}
	if h.CheckedAt.IsZero() {
		errs = append(errs, errors.New("checkedAt: required"))
	}
	if h.Cells == nil {
		errs = append(errs, errors.New("cells: required"))
	}
	if len(h.Cells) > MaxHealthCells {
		errs = append(errs, fmt.Errorf("cells: %d cells, over the limit of %d", len(h.Cells), MaxHealthCells))
	}
	if err := errors.Join(errs...); err != nil {
		return Health{}, fmt.Errorf("health document: %w", err)
	}
	return h, nil
}

// Marshal returns the document as JSON.
func (h Health) Marshal() ([]byte, error) {
	if h.Cells == nil {
		h.Cells = map[string]bool{}
	}
	return json.Marshal(h)
}
