//go:build !(js && wasm)

package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
)

// fakeKV is an in-memory KV namespace that counts reads and can fail.
type fakeKV struct {
	mu     sync.Mutex
	values map[string][]byte
	reads  map[string]int
	lists  map[string]int // List calls by prefix
	err    error
	puts   map[string][]byte
	// gate, when set, holds every Get until it is closed; inGet counts
	// the Gets under way.
	gate  chan struct{}
	inGet int
	// putGate, when set, holds every Put until it is closed; inPut counts
	// the Puts under way. putErr, when set, fails every Put.
	putGate chan struct{}
	inPut   int
	putErr  error
}

var _ directory.KV = (*fakeKV)(nil)

func newFakeKV() *fakeKV {
	return &fakeKV{values: map[string][]byte{}, reads: map[string]int{}, lists: map[string]int{}, puts: map[string][]byte{}}
}

func (k *fakeKV) Get(_ context.Context, key string) ([]byte, bool, error) {
	k.mu.Lock()
	gate := k.gate
	k.inGet++
	k.mu.Unlock()
	if gate != nil {
		<-gate
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.inGet--
	k.reads[key]++
	if k.err != nil {
		return nil, false, k.err
	}
	v, ok := k.values[key]
	return v, ok, nil
}

// Put stores the value; fakeKV keeps no expirations.
func (k *fakeKV) Put(_ context.Context, key string, v []byte, _ int) error {
	k.mu.Lock()
	gate := k.putGate
	k.inPut++
	k.mu.Unlock()
	if gate != nil {
		<-gate
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.inPut--
	if k.err != nil {
		return k.err
	}
	if k.putErr != nil {
		return k.putErr
	}
	k.values[key], k.puts[key] = v, v
	return nil
}

func (k *fakeKV) Delete(_ context.Context, key string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.err != nil {
		return k.err
	}
	delete(k.values, key)
	return nil
}

// List lists every key with prefix after cursor (the last key of the
// previous page), in byte order.
func (k *fakeKV) List(_ context.Context, prefix, cursor string, limit int) ([]string, string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.lists[prefix]++
	if k.err != nil {
		return nil, "", k.err
	}
	if limit <= 0 {
		limit = directory.DefaultListLimit
	}
	var keys []string
	for key := range k.values {
		if strings.HasPrefix(key, prefix) && key > cursor {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	if len(keys) > limit {
		return keys[:limit], keys[limit-1], nil
	}
	return keys, "", nil
}

func (k *fakeKV) set(key string, v []byte) {
	k.mu.Lock()
	k.values[key] = v
	k.mu.Unlock()
}

func (k *fakeKV) fail(err error) {
	k.mu.Lock()
	k.err = err
	k.mu.Unlock()
}

func (k *fakeKV) getsUnderWay() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.inGet
}

func (k *fakeKV) putsUnderWay() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.inPut
}

// holdGets holds every Get that starts from now on until release is
// called (letGetsThrough ends the hold for later Gets only).
func (k *fakeKV) holdGets() (release func()) {
	gate := make(chan struct{})
	k.mu.Lock()
	k.gate = gate
	k.mu.Unlock()
	return func() { close(gate) }
}

// letGetsThrough lets the Gets that start from now on through; those
// held stay held until their release.
func (k *fakeKV) letGetsThrough() {
	k.mu.Lock()
	k.gate = nil
	k.mu.Unlock()
}

// holdPuts and letPutsThrough are holdGets and letGetsThrough for Puts.
func (k *fakeKV) holdPuts() (release func()) {
	gate := make(chan struct{})
	k.mu.Lock()
	k.putGate = gate
	k.mu.Unlock()
	return func() { close(gate) }
}

func (k *fakeKV) letPutsThrough() {
	k.mu.Lock()
	k.putGate = nil
	k.mu.Unlock()
}

// waitForGet returns once a Get is under way (held).
func (k *fakeKV) waitForGet() {
	for k.getsUnderWay() == 0 {
		time.Sleep(time.Millisecond)
	}
}

// value returns the value of key and whether it is set.
func (k *fakeKV) value(key string) ([]byte, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.values[key]
	return v, ok
}

// listed returns how many List calls asked for prefix.
func (k *fakeKV) listed(prefix string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.lists[prefix]
}

func (k *fakeKV) count(key string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.reads[key]
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeReply is a cell's answer.
type fakeReply struct {
	status    int
	body      []byte
	discarded bool
	peeked    int
}

func (r *fakeReply) Status() int { return r.status }
func (r *fakeReply) Discard()    { r.discarded = true }

func (r *fakeReply) Peek(max int) ([]byte, bool) {
	r.peeked++
	if len(r.body) > max+1 {
		return r.body[:max+1], false
	}
	return r.body, len(r.body) <= max
}

// cellAnswer is a cell's answer with a body, for fakeUpstream.answers.
type cellAnswer struct {
	status int
	body   string
}

// staleAnswer is a cell's 421 stale_placement refusal.
var staleAnswer = cellAnswer{status: 421, body: `{"error":"stale placement","reason":"stale_placement","tenant":"acme","epoch":2}`}

// fakeUpstream answers each cell as told and records the attempts.
type fakeUpstream struct {
	answers  map[string]any // cell id → int status, cellAnswer or error; or a []any of those, one per attempt at the cell
	attempts []attempt
	replies  []*fakeReply
	// notReplayable makes Replayable false for a request with a body;
	// keepErr fails Keep. kept counts the calls of Keep.
	notReplayable bool
	keepErr       error
	kept          int
	// onSend, when set, is called with each attempt before it is answered.
	onSend func(a *attempt)
}

func (u *fakeUpstream) Keep() error {
	u.kept++
	return u.keepErr
}

func (u *fakeUpstream) Replayable() bool { return !u.notReplayable }

func (u *fakeUpstream) Send(a *attempt) (reply, error) {
	n := 0
	for _, p := range u.attempts {
		if p.Cell.ID == a.Cell.ID {
			n++
		}
	}
	u.attempts = append(u.attempts, *a)
	if u.onSend != nil {
		u.onSend(a)
	}
	answer := u.answers[a.Cell.ID]
	if seq, ok := answer.([]any); ok {
		answer = nil
		if n < len(seq) {
			answer = seq[n]
		}
	}
	r := &fakeReply{status: 200}
	switch v := answer.(type) {
	case error:
		return nil, v
	case int:
		r.status = v
	case cellAnswer:
		r.status, r.body = v.status, []byte(v.body)
	}
	u.replies = append(u.replies, r)
	return r, nil
}

func (u *fakeUpstream) cells() []string {
	var ids []string
	for _, a := range u.attempts {
		ids = append(ids, a.Cell.ID)
	}
	return ids
}

// headers is a tenant.Headers over a map (canonical names).
type headers map[string]string

func (h headers) Get(name string) string { return h[http.CanonicalHeaderKey(name)] }

var errRefused = errors.New("connect: connection refused")

// unitKey is the edge key of the unit tests.
var unitKey = edgeauth.Key{ID: "k9", Secret: []byte("unit-test-edge-secret-0123456789")}

// unitRegistry has cells a (aws), b (gcp), c (azure) and tenants: acme on a
// with failover b then c, solo on a only, hooli migrating on b.
func unitRegistry(t testing.TB, epoch int64) []byte {
	t.Helper()
	reg := router.Registry{Version: router.SchemaVersion, Epoch: epoch,
		Cells: []router.Cell{
			{ID: "cell-a", Cloud: "aws", Region: "r1", Endpoint: "https://a.cells.example", HealthURL: "https://a.cells.example/healthz", Weight: 100},
			{ID: "cell-b", Cloud: "gcp", Region: "r2", Endpoint: "https://b.cells.example:8443", HealthURL: "https://b.cells.example:8443/healthz?deep=1", Weight: 100},
			{ID: "cell-c", Cloud: "azure", Region: "r3", Endpoint: "http://c.cells.example", Weight: 100},
		},
		Tenants: []router.Tenant{
			{ID: "acme", Cell: "cell-a", Failover: []string{"cell-b", "cell-c"}},
			{ID: "solo", Cell: "cell-a"},
			{ID: "hooli", Cell: "cell-b", State: fabric.TenantMigrating},
		},
	}
	data, err := json.Marshal(reg)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// newTestEdge builds an edge over a fake KV holding the unit registry.
func newTestEdge(t testing.TB, config string) (*edge, *fakeKV, *clock) {
	t.Helper()
	kv := newFakeKV()
	kv.set("registry", unitRegistry(t, 1))
	clk := newClock()
	e, err := newEdge(bindings{Config: config, Key: string(unitKey.Secret), KeyID: unitKey.ID}, kv, newFakeKV(), clk.now, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.rand = func() uint64 { return 42 }
	return e, kv, clk
}

// routeAsync routes a request of tenantID in the background; its answer
// (route's) comes on the channel.
func routeAsync(t *testing.T, e *edge, tenantID string) chan string {
	done := make(chan string, 1)
	go func() { done <- route(t, e, tenantID) }()
	return done
}

// signalWaits makes e's waits for another request say so on the returned
// channel (buffered for n) before they wait.
func signalWaits(e *edge, n int) chan struct{} {
	waiting := make(chan struct{}, n)
	e.wait = func(done <-chan struct{}) bool {
		waiting <- struct{}{}
		<-done
		return true
	}
	return waiting
}

// dirOf returns the fake directory namespace of an edge newTestEdge built.
func dirOf(e *edge) *fakeKV { return e.dirKV.(*fakeKV) }
