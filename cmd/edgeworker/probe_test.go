//go:build !(js && wasm)

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/router/edgeconf"
)

// fakeProber answers health URLs as told, checks their signatures like a
// cell would, and records how many probes ran at once.
type fakeProber struct {
	answers map[string]any // host → int status or error
	verify  *edgeauth.Verifier
	delay   time.Duration

	mu            sync.Mutex
	urls          []string
	running, peak int
	badSignatures int
	timeouts      []time.Duration
}

func (p *fakeProber) Probe(rawURL, signature string, timeout time.Duration) (int, error) {
	p.mu.Lock()
	p.urls = append(p.urls, rawURL)
	p.timeouts = append(p.timeouts, timeout)
	p.running++
	p.peak = max(p.peak, p.running)
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.running--
		p.mu.Unlock()
	}()
	time.Sleep(p.delay)
	req, err := http.NewRequest("GET", rawURL, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set(edgeauth.SignatureHeader, signature)
	if _, err := p.verify.VerifyRequest(req); err != nil {
		p.mu.Lock()
		p.badSignatures++
		p.mu.Unlock()
	}
	switch v := p.answers[req.URL.Hostname()].(type) {
	case error:
		return 0, v
	case int:
		return v, nil
	}
	return 200, nil
}

func newFakeProber(t *testing.T, answers map[string]any) *fakeProber {
	t.Helper()
	// The edge under test signs with the fake clock's time.
	v, err := edgeauth.NewVerifier([]edgeauth.Key{unitKey}, edgeauth.VerifierOptions{Now: newClock().now})
	if err != nil {
		t.Fatal(err)
	}
	return &fakeProber{answers: answers, verify: v}
}

func TestProbeAll(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		answers map[string]any
		want    map[string]bool
		errs    map[string]string
	}{
		{name: "all healthy", want: map[string]bool{"cell-a": true, "cell-b": true}},
		{name: "refused and timed out", answers: map[string]any{"a.cells.example": errRefused, "b.cells.example": errTimeout},
			want: map[string]bool{"cell-a": false, "cell-b": false}, errs: map[string]string{"cell-a": "connection refused", "cell-b": "no answer within 1.5s"}},
		{name: "statuses", answers: map[string]any{"a.cells.example": 503, "b.cells.example": 204},
			want: map[string]bool{"cell-a": false, "cell-b": true}, errs: map[string]string{"cell-a": "status 503"}},
		{name: "redirect is not healthy", answers: map[string]any{"a.cells.example": 302}, want: map[string]bool{"cell-a": false, "cell-b": true}, errs: map[string]string{"cell-a": "status 302"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, kv, clk := newTestEdge(t, `{"probeTimeoutMs":1500}`)
			p := newFakeProber(t, tt.answers)
			h, err := e.probeAll(p)
			if err != nil {
				t.Fatal(err)
			}
			// Cell c has no health URL: it is not probed and stays healthy.
			if len(h.Cells) != len(tt.want) {
				t.Errorf("cells %v, want %v", h.Cells, tt.want)
			}
			for id, ok := range tt.want {
				if got, listed := h.Cells[id]; !listed || got != ok {
					t.Errorf("cell %s healthy=%v listed=%v, want %v", id, got, listed, ok)
				}
				if msg := tt.errs[id]; !strings.Contains(h.Probes[id].Error, msg) || (msg == "") != (h.Probes[id].Error == "") {
					t.Errorf("cell %s probe error %q, want %q", id, h.Probes[id].Error, msg)
				}
			}
			if p.badSignatures != 0 {
				t.Errorf("%d probes carried a signature the cell refuses", p.badSignatures)
			}
			for _, d := range p.timeouts {
				if d != 1500*time.Millisecond {
					t.Errorf("probe timeout %v, want 1.5s", d)
				}
			}
			if !strings.Contains(strings.Join(p.urls, " "), "https://b.cells.example:8443/healthz?deep=1") {
				t.Errorf("probed %v; want b's health URL with its port and query", p.urls)
			}
			doc, err := edgeconf.ParseHealth(kv.puts["health"])
			if err != nil {
				t.Fatalf("written document: %v", err)
			}
			if !doc.CheckedAt.Equal(clk.now()) || doc.Epoch != 1 || len(doc.Cells) != len(tt.want) {
				t.Errorf("written document %+v", doc)
			}
		})
	}
}

func TestProbeAllBoundsConcurrency(t *testing.T) {
	t.Parallel()
	reg := router.Registry{Version: router.SchemaVersion, Epoch: 3}
	for i := range 20 {
		u := fmt.Sprintf("http://cell%d.example", i)
		reg.Cells = append(reg.Cells, router.Cell{ID: fmt.Sprintf("cell%d", i), Cloud: "aws", Region: "r", Endpoint: u, HealthURL: u + "/healthz", Weight: 1})
	}
	data, err := json.Marshal(reg)
	if err != nil {
		t.Fatal(err)
	}
	e, kv, _ := newTestEdge(t, "")
	kv.set("registry", data)
	p := newFakeProber(t, nil)
	p.delay = 20 * time.Millisecond
	h, err := e.probeAll(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Cells) != 20 || len(p.urls) != 20 {
		t.Fatalf("probed %d cells, listed %d; want 20", len(p.urls), len(h.Cells))
	}
	if p.peak > probeConcurrency || p.peak < 2 {
		t.Fatalf("at most %d probes ran at once, want 2..%d", p.peak, probeConcurrency)
	}
}

func TestProbeAllFailures(t *testing.T) {
	t.Parallel()
	t.Run("no registry", func(t *testing.T) {
		t.Parallel()
		e, kv, _ := newTestEdge(t, "")
		delete(kv.values, "registry")
		if _, err := e.probeAll(newFakeProber(t, nil)); err == nil || !strings.Contains(err.Error(), "nothing to probe") {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("KV write fails", func(t *testing.T) {
		t.Parallel()
		e, kv, _ := newTestEdge(t, "")
		e.refresh()
		kv.err = errors.New("kv is read-only today")
		if _, err := e.probeAll(newFakeProber(t, nil)); err == nil || !strings.Contains(err.Error(), "writing the health document") {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("reads the registry afresh", func(t *testing.T) {
		t.Parallel()
		e, kv, _ := newTestEdge(t, `{"cacheSeconds":3600}`)
		e.refresh()
		kv.set("registry", unitRegistry(t, 8))
		h, err := e.probeAll(newFakeProber(t, nil))
		if err != nil || h.Epoch != 8 {
			t.Fatalf("probed epoch %d (%v), want the registry now in KV (8)", h.Epoch, err)
		}
	})
}
