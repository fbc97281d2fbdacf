package dirhttp

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
)

var (
	controlKey = edgeauth.Key{ID: "ctl1", Secret: []byte("control-secret-0123456789")}
	edgeKey    = edgeauth.Key{ID: "k1", Secret: []byte("edge-secret-0123456789abc")}
)

func testSnapshot(t testing.TB) *router.Snapshot {
	t.Helper()
	cell := func(id, cloud, region, geo string, weight int, state fabric.CellState) router.Cell {
		return router.Cell{ID: id, Cloud: fabric.Cloud(cloud), Region: region, Endpoint: "https://" + id + ".example.com", Weight: weight, State: state, Geo: geo}
	}
	s, err := router.Compile(&router.Registry{
		Version: router.SchemaVersion, Epoch: 1,
		Cells: []router.Cell{
			cell("aws-use1", "aws", "us-east-1", "us", 100, ""),
			cell("azure-weu", "azure", "westeurope", "eu", 100, ""),
			cell("gcp-euw1", "gcp", "europe-west1", "eu", 100, ""),
			cell("gcp-usc1", "gcp", "us-central1", "us", 50, ""),
			cell("azure-eus", "azure", "eastus", "us", 100, fabric.CellDown),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// server is a Directory over Memory behind Handler on a loopback
// httptest server. wrap, when set, sits in front of the handler.
type server struct {
	dir  *directory.Directory
	mem  *directory.Memory
	srv  *httptest.Server
	snap *router.Snapshot
}

func newServer(t testing.TB, wrap func(http.Handler) http.Handler) *server {
	t.Helper()
	s := &server{mem: directory.NewMemory(nil), snap: testSnapshot(t)}
	d, err := directory.New(directory.Config{KV: s.mem, Registry: func() *router.Snapshot { return s.snap }})
	if err != nil {
		t.Fatal(err)
	}
	s.dir = d
	v, err := edgeauth.NewVerifier([]edgeauth.Key{controlKey}, edgeauth.VerifierOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h := Handler(d, v)
	if wrap != nil {
		h = wrap(h)
	}
	s.srv = httptest.NewServer(h)
	t.Cleanup(s.srv.Close)
	return s
}

// client returns a Client of the server with fast retries.
func (s *server) client(t testing.TB, mod func(*ClientConfig)) *Client {
	t.Helper()
	cfg := ClientConfig{BaseURL: s.srv.URL, Key: controlKey, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// failFirst answers the first n requests with status (after letting the
// handler apply them when apply is true) and passes the rest through.
type failFirst struct {
	mu     sync.Mutex
	n      int
	status int
	apply  bool
	seen   int
}

func (f *failFirst) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.seen++
		fail := f.seen <= f.n
		f.mu.Unlock()
		if !fail {
			next.ServeHTTP(w, r)
			return
		}
		if f.apply {
			next.ServeHTTP(httptest.NewRecorder(), r) // applied, answer lost
		}
		if f.status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		w.WriteHeader(f.status)
	})
}

func (f *failFirst) requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seen
}
