package workerd

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// maxValueBytes is Workers KV's value size limit.
const maxValueBytes = 25 << 20

// KV is an in-memory Workers KV namespace on loopback. workerd's KV binding
// turns get, put and delete into GET, PUT and DELETE requests on /<key>
// (URL-encoded) to the service it is bound to; KV answers them, counts the
// reads of every key, and can be told to fail a key, for outage tests.
type KV struct {
	mu     sync.Mutex
	values map[string][]byte
	reads  map[string]int
	writes map[string]int
	fail   map[string]int
	lastRd map[string]time.Time

	ln  net.Listener
	srv *http.Server
}

// NewKV starts an empty namespace on 127.0.0.1.
func NewKV() (*KV, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	k := &KV{
		values: map[string][]byte{}, reads: map[string]int{}, writes: map[string]int{},
		fail: map[string]int{}, lastRd: map[string]time.Time{}, ln: ln,
	}
	k.srv = &http.Server{Handler: k, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = k.srv.Serve(ln) }()
	return k, nil
}

// Addr is the host:port workerd's KV binding is pointed at.
func (k *KV) Addr() string { return k.ln.Addr().String() }

// Close stops the server.
func (k *KV) Close() error { return k.srv.Close() }

// Set writes a value, as `pulumi up` writes the registry.
func (k *KV) Set(key string, value []byte) {
	k.mu.Lock()
	k.values[key] = append([]byte(nil), value...)
	k.mu.Unlock()
}

// Get returns a value and whether the key exists.
func (k *KV) Get(key string) ([]byte, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.values[key]
	return append([]byte(nil), v...), ok
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

// ServeHTTP implements the KV binding's protocol for single keys.
func (k *KV) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key, err := url.PathUnescape(strings.TrimPrefix(r.URL.EscapedPath(), "/"))
	if err != nil || key == "" {
		http.Error(w, "bad key", http.StatusBadRequest)
		return
	}
	k.mu.Lock()
	status := k.fail[key]
	if r.Method == http.MethodGet {
		k.reads[key]++
		k.lastRd[key] = time.Now()
	}
	k.mu.Unlock()
	if status != 0 {
		http.Error(w, "injected failure", status)
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
		k.Set(key, v)
		k.mu.Lock()
		k.writes[key]++
		k.mu.Unlock()
	case http.MethodDelete:
		k.Delete(key)
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}
