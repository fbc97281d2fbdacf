package workerd

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Analytics stands in for the Workers Analytics Engine dataset bound as
// edgeconf.AnalyticsBinding. It is workerd's own analyticsEngine binding,
// the one whose writeDataPoint the Worker calls in production, pointed at
// this loopback server: workerd forwards each data point written to it as
// an HTTP request whose body is the point's event as JSON, and keeps the
// request alive until it is sent (so the Worker, as on Cloudflare, waits
// for nothing).
type Analytics struct {
	ln  net.Listener
	srv *http.Server

	mu     sync.Mutex
	bodies [][]byte
}

// NewAnalytics starts the stand-in on a loopback port.
func NewAnalytics() (*Analytics, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	a := &Analytics{ln: ln}
	a.srv = &http.Server{Handler: http.HandlerFunc(a.serve), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = a.srv.Serve(ln) }()
	return a, nil
}

func (a *Analytics) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	a.mu.Lock()
	a.bodies = append(a.bodies, body)
	a.mu.Unlock()
}

// Addr is the stand-in's address, host:port.
func (a *Analytics) Addr() string { return a.ln.Addr().String() }

// Bodies returns what workerd sent so far, one body per data point.
func (a *Analytics) Bodies() [][]byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([][]byte(nil), a.bodies...)
}

// Close stops the server.
func (a *Analytics) Close() error { return a.srv.Close() }

// DataPoint is one data point as workerd sent it: Blobs as many as the
// Worker wrote (blob1 first), Doubles all 20 (the ones not written are 0),
// Index the index ("" when none was written).
type DataPoint struct {
	Blobs   []string
	Doubles []float64
	Index   string
}

// DataPoints decodes what workerd sent so far. workerd encodes the event
// with Cap'n Proto's JSON codec: blobN and index1 as arrays of byte values,
// doubleN as numbers.
func (a *Analytics) DataPoints() ([]DataPoint, error) {
	var out []DataPoint
	for _, body := range a.Bodies() {
		var ev map[string]json.RawMessage
		if err := json.Unmarshal(body, &ev); err != nil {
			return nil, fmt.Errorf("analytics event %s: %w", body, err)
		}
		var p DataPoint
		text := func(raw json.RawMessage) (string, error) {
			var bs []byte
			var ns []int
			if err := json.Unmarshal(raw, &ns); err != nil {
				return "", fmt.Errorf("analytics event %s: %w", body, err)
			}
			for _, n := range ns {
				bs = append(bs, byte(n))
			}
			return string(bs), nil
		}
		for i := 1; i <= 20; i++ {
			if raw, ok := ev["blob"+strconv.Itoa(i)]; ok {
				b, err := text(raw)
				if err != nil {
					return nil, err
				}
				p.Blobs = append(p.Blobs, b)
			}
			var d float64
			if raw, ok := ev["double"+strconv.Itoa(i)]; ok {
				if err := json.Unmarshal(raw, &d); err != nil {
					return nil, fmt.Errorf("analytics event %s: %w", body, err)
				}
			}
			p.Doubles = append(p.Doubles, d)
		}
		if raw, ok := ev["index1"]; ok {
			idx, err := text(raw)
			if err != nil {
				return nil, err
			}
			p.Index = idx
		}
		out = append(out, p)
	}
	return out, nil
}
