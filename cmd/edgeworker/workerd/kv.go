package workerd

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Workers KV's limits, which KV enforces as Cloudflare does.
const (
	// maxValueBytes is the largest value.
	maxValueBytes = 25 << 20
	// MaxListLimit is the most keys one list answers (and its default).
	MaxListLimit = 1000
	// MinExpirationTTL is the shortest expiration a put may ask for, in
	// seconds.
	MinExpirationTTL = 60
	// MaxMetadataBytes is the largest metadata a key may carry (its JSON).
	MaxMetadataBytes = 1024
)

// metadataHeader is the request header a put's metadata travels in.
const metadataHeader = "CF-KV-Metadata"

// KV is an in-memory Workers KV namespace on loopback, speaking the protocol
// of workerd's KV binding (a kvNamespace binding pointed at an external
// HTTP service). Found by running workerd 2026-11-17 against a server that
// logged every request (a binding's host is always "fake-host"):
//
//   - get(key) is GET /<key>?urlencoded=true, the key percent-encoded in
//     one path segment ("/" as %2F); options add cache_ttl=N. The answer
//     is the value (200) or 404 for a missing key; any other status makes
//     get throw.
//   - put(key, value, {expirationTtl: N}) is PUT /<key>?urlencoded=true&
//     expiration_ttl=N with the value as the body; {expiration: T} sends
//     expiration=T (Unix seconds) instead; metadata travels in the
//     CF-KV-Metadata request header as JSON (KV keeps it, at most
//     MaxMetadataBytes as Cloudflare allows, and lists it). Any status but
//     200 makes put throw.
//   - delete(key) is DELETE /<key>?urlencoded=true.
//   - list({prefix, cursor, limit}) is GET /?key_count_limit=N&prefix=P&
//     cursor=C (each parameter only when given; no path). The answer is
//     JSON, passed to the Worker as it is (workerd adds cacheStatus):
//     {"keys":[{"name":"t/a","expiration":1999999999,"metadata":{…}}, ...],
//     "list_complete":false,"cursor":"…"}; expiration (Unix seconds) only
//     for keys that expire, metadata only for keys put with some, cursor
//     only when list_complete is false.
//
// workerd checks neither the limit nor the TTL; KV refuses, as Cloudflare
// does, a limit over MaxListLimit and a TTL (or an expiration from now)
// under MinExpirationTTL seconds, with 400. Keys list in byte order; a
// cursor is opaque (here: the last key of the page, base64url-encoded).
//
// Besides, KV counts the reads of every key, can be told to fail a key or
// every request (outage tests), to hold the reads of a key until released,
// takes millions of keys at once (SetMany), and keeps its time on a clock
// tests can move (SetClock) so that expirations can be tested without
// waiting.
type KV struct {
	mu     sync.Mutex
	values map[string]item
	// order lists keys in byte order; it may hold keys since deleted,
	// which listing skips. added holds keys written since order was last
	// sorted, merged in by the next list.
	order, added []string
	reads        map[string]int
	writes       map[string]int
	ops          int // requests served: gets, puts, deletes and lists
	fail         map[string]int
	failAll      int
	lastRd       map[string]time.Time
	held         map[string]*hold
	now          func() time.Time

	ln  net.Listener
	srv *http.Server
}

// item is a stored value and its expiration (Unix seconds, 0: never).
type item struct {
	value   []byte
	expires int64
	// meta is the key's metadata (JSON) as put with it; nil when none.
	meta json.RawMessage
}

// hold keeps the reads of one key waiting.
type hold struct {
	release chan struct{}
	waiting int
}

// NewKV starts an empty namespace on 127.0.0.1.
func NewKV() (*KV, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	k := &KV{
		values: map[string]item{}, reads: map[string]int{}, writes: map[string]int{},
		fail: map[string]int{}, lastRd: map[string]time.Time{}, held: map[string]*hold{},
		now: time.Now, ln: ln,
	}
	k.srv = &http.Server{Handler: k, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = k.srv.Serve(ln) }()
	return k, nil
}

// Addr is the host:port workerd's KV binding is pointed at.
func (k *KV) Addr() string { return k.ln.Addr().String() }

// Close stops the server and releases every held read.
func (k *KV) Close() error {
	k.mu.Lock()
	for key, h := range k.held {
		close(h.release)
		delete(k.held, key)
	}
	k.mu.Unlock()
	return k.srv.Close()
}

// SetClock makes KV read the time from now (expirations); nil restores
// time.Now.
func (k *KV) SetClock(now func() time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if now == nil {
		now = time.Now
	}
	k.now = now
}

// Set writes a value that never expires, as `pulumi up` writes the
// registry.
func (k *KV) Set(key string, value []byte) {
	k.mu.Lock()
	k.setLocked(key, append([]byte(nil), value...), 0)
	k.mu.Unlock()
}

// SetMany writes every key and value of entries, without copying the values
// (they must not change afterwards): a million keys in about a second.
func (k *KV) SetMany(entries iter.Seq2[string, []byte]) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for key, v := range entries {
		k.setLocked(key, v, 0)
	}
}

func (k *KV) setLocked(key string, v []byte, expires int64) {
	if _, ok := k.values[key]; !ok {
		k.added = append(k.added, key)
	}
	k.values[key] = item{value: v, expires: expires}
}

// Len returns the number of keys (expired ones included until read).
func (k *KV) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.values)
}

// Get returns a value and whether the key exists (and has not expired).
func (k *KV) Get(key string) ([]byte, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	it, ok := k.lookupLocked(key)
	return append([]byte(nil), it.value...), ok
}

// Expiration returns when key expires (zero: never, or no such key).
func (k *KV) Expiration(key string) time.Time {
	k.mu.Lock()
	defer k.mu.Unlock()
	it, ok := k.lookupLocked(key)
	if !ok || it.expires == 0 {
		return time.Time{}
	}
	return time.Unix(it.expires, 0)
}

// lookupLocked returns key's item, dropping it when it has expired.
func (k *KV) lookupLocked(key string) (item, bool) {
	it, ok := k.values[key]
	if ok && it.expires != 0 && k.now().Unix() >= it.expires {
		delete(k.values, key)
		return item{}, false
	}
	return it, ok
}

// Keys returns the live keys that start with prefix, in byte order.
func (k *KV) Keys(prefix string) []string {
	var keys []string
	for after := ""; ; {
		ans := k.list(prefix, after, MaxListLimit)
		for _, lk := range ans.Keys {
			keys = append(keys, lk.Name)
		}
		if ans.ListComplete {
			return keys
		}
		after = ans.Keys[len(ans.Keys)-1].Name
	}
}

// Ops returns how many operations (gets, puts, deletes, lists) the
// namespace has served: what Workers KV counts against a Worker
// invocation's limit.
func (k *KV) Ops() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.ops
}

// Delete removes a key.
func (k *KV) Delete(key string) {
	k.mu.Lock()
	delete(k.values, key)
	k.mu.Unlock()
}

// Reads returns how many times the Worker read key.
func (k *KV) Reads(key string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.reads[key]
}

// LastRead returns when the Worker last read key (zero: never).
func (k *KV) LastRead(key string) time.Time {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.lastRd[key]
}

// Writes returns how many times the Worker wrote key.
func (k *KV) Writes(key string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.writes[key]
}

// Fail makes every request for key answer status (an outage of KV);
// status 0 ends it.
func (k *KV) Fail(key string, status int) {
	k.mu.Lock()
	if status == 0 {
		delete(k.fail, key)
	} else {
		k.fail[key] = status
	}
	k.mu.Unlock()
}

// FailAll makes every request, lists included, answer status (an outage
// of the whole namespace); status 0 ends it.
func (k *KV) FailAll(status int) {
	k.mu.Lock()
	k.failAll = status
	k.mu.Unlock()
}

// Hold makes the reads of key wait until release is called (or KV
// closes); Held tells how many are waiting.
func (k *KV) Hold(key string) (release func()) {
	h := &hold{release: make(chan struct{})}
	k.mu.Lock()
	k.held[key] = h
	k.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			k.mu.Lock()
			if k.held[key] == h {
				delete(k.held, key)
				close(h.release)
			}
			k.mu.Unlock()
		})
	}
}

// Held returns how many reads of key are waiting on Hold.
func (k *KV) Held(key string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	if h := k.held[key]; h != nil {
		return h.waiting
	}
	return 0
}

// ServeHTTP implements the KV binding's protocol (see KV).
func (k *KV) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key, err := url.PathUnescape(strings.TrimPrefix(r.URL.EscapedPath(), "/"))
	if err != nil {
		http.Error(w, "bad key", http.StatusBadRequest)
		return
	}
	k.mu.Lock()
	k.ops++
	status := k.failAll
	if status == 0 && key != "" {
		status = k.fail[key]
	}
	var h *hold
	if r.Method == http.MethodGet && key != "" {
		k.reads[key]++
		k.lastRd[key] = time.Now()
		if h = k.held[key]; h != nil {
			h.waiting++
		}
	}
	k.mu.Unlock()
	if h != nil {
		<-h.release
		k.mu.Lock()
		h.waiting--
		k.mu.Unlock()
	}
	if status != 0 {
		http.Error(w, "injected failure", status)
		return
	}
	if key == "" {
		if r.Method != http.MethodGet {
			http.Error(w, "bad key", http.StatusBadRequest)
			return
		}
		k.serveList(w, r)
		return
	}
	switch r.Method {
	case http.MethodGet:
		v, ok := k.Get(key)
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		_, _ = w.Write(v)
	case http.MethodPut:
		k.servePut(w, r, key)
	case http.MethodDelete:
		k.Delete(key)
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// servePut stores a value with its expiration, if any.
func (k *KV) servePut(w http.ResponseWriter, r *http.Request, key string) {
	q := r.URL.Query()
	var expires int64
	now := k.clock().Unix()
	if s := q.Get("expiration_ttl"); s != "" {
		ttl, err := strconv.ParseInt(s, 10, 64)
		if err != nil || ttl < MinExpirationTTL {
			http.Error(w, fmt.Sprintf("Invalid expiration_ttl of %s. Expiration TTL must be at least %d.", s, MinExpirationTTL), http.StatusBadRequest)
			return
		}
		expires = now + ttl
	}
	if s := q.Get("expiration"); s != "" {
		at, err := strconv.ParseInt(s, 10, 64)
		if err != nil || at < now+MinExpirationTTL {
			http.Error(w, fmt.Sprintf("Invalid expiration of %s. Expiration times must be at least %d seconds in the future.", s, MinExpirationTTL), http.StatusBadRequest)
			return
		}
		expires = at
	}
	v, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxValueBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			http.Error(w, "value too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var meta json.RawMessage
	if m := r.Header.Get(metadataHeader); m != "" {
		if !json.Valid([]byte(m)) || len(m) > MaxMetadataBytes {
			http.Error(w, fmt.Sprintf("Metadata must be JSON of at most %d bytes.", MaxMetadataBytes), http.StatusBadRequest)
			return
		}
		meta = json.RawMessage(m)
	}
	k.mu.Lock()
	k.setLocked(key, v, expires)
	if meta != nil {
		it := k.values[key]
		it.meta = meta
		k.values[key] = it
	}
	k.writes[key]++
	k.mu.Unlock()
}

func (k *KV) clock() time.Time {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.now()
}

// listKey is one key of a list answer.
type listKey struct {
	Name       string          `json:"name"`
	Expiration int64           `json:"expiration,omitempty"`
	Metadata   json.RawMessage `json:"metadata,omitempty"`
}

// listAnswer is the list answer workerd hands to the Worker.
type listAnswer struct {
	Keys         []listKey `json:"keys"`
	ListComplete bool      `json:"list_complete"`
	Cursor       string    `json:"cursor,omitempty"`
}

// serveList answers a list: the keys with the prefix after the cursor, in
// byte order, at most the limit.
func (k *KV) serveList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := MaxListLimit
	if s := q.Get("key_count_limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxListLimit {
			http.Error(w, fmt.Sprintf("Invalid key_count_limit of %s: use 1 to %d.", s, MaxListLimit), http.StatusBadRequest)
			return
		}
		limit = n
	}
	prefix := q.Get("prefix")
	after := ""
	if c := q.Get("cursor"); c != "" {
		b, err := base64.RawURLEncoding.DecodeString(c)
		if err != nil || !strings.HasPrefix(string(b), prefix) {
			http.Error(w, "Invalid cursor: pass the cursor of the previous answer, with the same prefix.", http.StatusBadRequest)
			return
		}
		after = string(b)
	}
	ans := k.list(prefix, after, limit)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(ans)
}

// list returns the page of keys with prefix that follow after ("" from the
// start).
func (k *KV) list(prefix, after string, limit int) listAnswer {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.sortLocked()
	i, _ := slices.BinarySearch(k.order, prefix)
	if after != "" {
		j, found := slices.BinarySearch(k.order, after)
		if found {
			j++
		}
		i = max(i, j)
	}
	ans := listAnswer{Keys: []listKey{}, ListComplete: true}
	for ; i < len(k.order) && strings.HasPrefix(k.order[i], prefix); i++ {
		key := k.order[i]
		it, ok := k.lookupLocked(key)
		if !ok {
			continue
		}
		if len(ans.Keys) == limit {
			ans.ListComplete = false
			ans.Cursor = base64.RawURLEncoding.EncodeToString([]byte(ans.Keys[limit-1].Name))
			break
		}
		ans.Keys = append(ans.Keys, listKey{Name: key, Expiration: it.expires, Metadata: it.meta})
	}
	return ans
}

// sortLocked merges the keys written since the last list into order and
// drops the deleted ones.
func (k *KV) sortLocked() {
	if len(k.added) == 0 && len(k.order) <= 2*len(k.values)+1024 {
		return
	}
	slices.Sort(k.added)
	merged := make([]string, 0, len(k.values))
	a, b := k.order, k.added
	for len(a) > 0 || len(b) > 0 {
		var key string
		if len(b) == 0 || (len(a) > 0 && a[0] <= b[0]) {
			key, a = a[0], a[1:]
		} else {
			key, b = b[0], b[1:]
		}
		if _, ok := k.values[key]; !ok {
			continue
		}
		if n := len(merged); n > 0 && merged[n-1] == key {
			continue
		}
		merged = append(merged, key)
	}
	k.order, k.added = merged, nil
}
