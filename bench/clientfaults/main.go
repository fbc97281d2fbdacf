// Command clientfaults checks that clients cannot take a cell out of
// rotation: malformed requests of several kinds (a broken chunk size, at
// once or after a good chunk, a body shorter than its Content-Length, a
// chunked body over the size limit, a connection reset in the middle of the
// body) are mixed into normal load (GETs and PUTs with a body) for tenants
// on three loopback cells (half of them with a failover cell, half
// without), through a router with every feature on. While it
// runs, the router's health view is polled: a cell that is ever reported
// unhealthy or ejected has left rotation. Targets: no cell leaves rotation,
// 0 failed normal requests, and every malformed request answered as the
// client's fault (400, 413, or nothing for a reset).
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/cellfabric/cellfabric/bench/internal/kit"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/server"
)

func main() {
	var o options
	flag.IntVar(&o.faults, "faults", 1000, "malformed requests in all, spread evenly over the kinds")
	flag.IntVar(&o.workers, "workers", 8, "workers sending normal requests")
	flag.IntVar(&o.faultWorkers, "fault-workers", 4, "workers sending malformed requests")
	flag.DurationVar(&o.interval, "interval", 100*time.Millisecond, "active health check interval")
	flag.Parse()
	res, err := run(o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "clientfaults: %v\n", err)
		os.Exit(1)
	}
	fmt.Println(res.summary())
	fmt.Printf("RESULT\tclientfaults\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", res.faults(), res.normal, res.normalFailed, len(res.cellsOut), res.ejections, res.upstreamErrors, res.wrongAnswers())
}

// maxBody is the router's body limit in the run; the oversized kind sends
// more.
const maxBody = 16 << 10

// options shape a run. Zero values take the defaults of the flags.
type options struct {
	faults       int
	workers      int
	faultWorkers int
	interval     time.Duration
}

// kind is one way to send a malformed request.
type kind struct {
	name string
	// raw is the request as sent (after the request line and Host).
	raw string
	// halfClose: close the write side after raw.
	halfClose bool
	// reset: reset the connection while the router waits for the rest of
	// the body; no answer is expected.
	reset bool
	// want is the status the router must answer.
	want int
}

var kinds = []kind{
	{name: "broken chunk size", raw: "Transfer-Encoding: chunked\r\n\r\nZZ\r\n", want: 400},
	{name: "broken chunk after data", raw: "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZ\r\n", want: 400},
	{name: "body shorter than Content-Length", raw: "Content-Length: 1000\r\n\r\n0123456789", halfClose: true, want: 400},
	{name: "chunked body over the limit", raw: "Transfer-Encoding: chunked\r\n\r\n" + strconv.FormatInt(maxBody+4096, 16) + "\r\n" + strings.Repeat("b", maxBody+4096) + "\r\n0\r\n\r\n", want: 413},
	{name: "reset in the middle of the body", raw: "Content-Length: 10000\r\n\r\n0123456789", reset: true},
}

// kindResult counts one kind's requests.
type kindResult struct {
	sent, wrong int
	statuses    map[string]int // "400", "413", "none"
	example     string         // one wrong answer
}

// result is what a run saw.
type result struct {
	elapsed        time.Duration
	workers        int
	normal         int64
	normalFailed   int64
	failures       []string // a few failed normal requests
	kinds          []*kindResult
	cellsOut       []string // cells seen unhealthy or ejected at any poll
	polls          int64
	ejections      uint64
	upstreamErrors int64
	rejected       map[string]int64 // rejected_total by reason
}

func (r *result) faults() int {
	n := 0
	for _, k := range r.kinds {
		n += k.sent
	}
	return n
}

func (r *result) wrongAnswers() int {
	n := 0
	for _, k := range r.kinds {
		n += k.wrong
	}
	return n
}

func (r *result) summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d malformed requests (", r.faults())
	for i, k := range r.kinds {
		if i > 0 {
			b.WriteString(", ")
		}
		var st []string
		for s, n := range k.statuses {
			st = append(st, fmt.Sprintf("%s×%d", s, n))
		}
		slices.Sort(st)
		fmt.Fprintf(&b, "%d %s → %s", k.sent, kinds[i].name, strings.Join(st, " "))
	}
	fmt.Fprintf(&b, ") mixed into %d normal requests from %d workers over 3 cells in %v: failed normal requests %d (target 0), cells out of rotation %d (target 0, %d polls), ejections %d, upstream errors %d, malformed requests not answered as the client's fault %d; counted as rejected: bad_request_body %d, body_too_large %d, client_closed %d",
		r.normal, r.workers, r.elapsed.Round(time.Millisecond), r.normalFailed, len(r.cellsOut), r.polls, r.ejections, r.upstreamErrors, r.wrongAnswers(),
		r.rejected[string(router.ReasonBadRequestBody)], r.rejected[string(router.ReasonBodyTooLarge)], r.rejected[string(router.ReasonClientGone)])
	if len(r.failures) > 0 {
		fmt.Fprintf(&b, "; e.g. %s", strings.Join(r.failures, "; "))
	}
	for i, k := range r.kinds {
		if k.example != "" {
			fmt.Fprintf(&b, "; %s: %s", kinds[i].name, k.example)
		}
	}
	return b.String()
}

func run(o options) (*result, error) {
	if o.faults <= 0 {
		o.faults = 1000
	}
	if o.workers <= 0 {
		o.workers = 8
	}
	if o.faultWorkers <= 0 {
		o.faultWorkers = 4
	}
	if o.interval <= 0 {
		o.interval = 100 * time.Millisecond
	}
	var cells []*kit.Cell
	defer func() {
		for _, c := range cells {
			c.Kill()
		}
	}()
	for _, id := range []string{"cell-a", "cell-b", "cell-c"} {
		c, err := kit.StartCell(id)
		if err != nil {
			return nil, err
		}
		cells = append(cells, c)
	}
	reg := &router.Registry{Version: router.SchemaVersion, Epoch: 1, UnknownTenants: fabric.PolicyReject}
	var tenants []string
	for i, c := range cells {
		reg.Cells = append(reg.Cells, c.RegistryCell())
		// Half the tenants have a failover cell, half have none: were a cell
		// taken out, the first would move and the second would fail.
		for j := range 10 {
			t := router.Tenant{ID: fmt.Sprintf("t%d%d", i, j), Cell: c.ID}
			if j%2 == 0 {
				t.Failover = []string{cells[(i+1)%len(cells)].ID}
			}
			tenants = append(tenants, t.ID)
			reg.Tenants = append(reg.Tenants, t)
		}
	}
	store := router.NewStore(nil)
	if err := store.Install(reg, "bench"); err != nil {
		return nil, err
	}
	rt, err := kit.StartRouter(store, o.interval, func(c *server.Config) { c.MaxBodyBytes = maxBody })
	if err != nil {
		return nil, err
	}
	defer rt.Stop()
	h := rt.Router.Health()
	addr := strings.TrimPrefix(rt.URL, "http://")
	// Start from a router that serves every cell and has checked them.
	check := kit.Client(1)
	deadline := time.Now().Add(10*o.interval + 5*time.Second)
	for _, t := range []string{tenants[0], tenants[10], tenants[20]} {
		for {
			status, err := kit.Get(check, rt.URL+"/", t)
			if err == nil && status == 200 {
				break
			}
			if time.Now().After(deadline) {
				return nil, fmt.Errorf("router not serving tenant %s before the run: %s", t, kit.Failure(status, err))
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	time.Sleep(2 * o.interval)
	for _, s := range h.Status() {
		if !s.Healthy || s.Ejected {
			return nil, fmt.Errorf("cell %s is out of rotation before the run", s.Cell)
		}
	}

	res := &result{workers: o.workers}
	start := time.Now()

	// The health view, polled throughout.
	var out sync.Map
	var polls atomic.Int64
	stopPoll := make(chan struct{})
	var pollWG sync.WaitGroup
	pollWG.Add(1)
	go func() {
		defer pollWG.Done()
		for {
			for _, s := range h.Status() {
				if !s.Healthy || s.Ejected {
					out.Store(s.Cell, true)
				}
			}
			polls.Add(1)
			select {
			case <-stopPoll:
				return
			case <-time.After(500 * time.Microsecond):
			}
		}
	}()

	// Normal load.
	var normal, failed atomic.Int64
	var failMu sync.Mutex
	stopLoad := make(chan struct{})
	var loadWG sync.WaitGroup
	client := kit.Client(o.workers)
	for w := range o.workers {
		loadWG.Add(1)
		go func() {
			defer loadWG.Done()
			body := bytes.Repeat([]byte("v"), 1024)
			for i := 0; ; i++ {
				select {
				case <-stopLoad:
					return
				default:
				}
				t := tenants[(w+i)%len(tenants)]
				method, b := http.MethodGet, []byte(nil)
				if i%2 == 1 {
					method, b = http.MethodPut, body
				}
				status, err := kit.Send(client, method, rt.URL+"/kv/n", t, b)
				normal.Add(1)
				if err != nil || status != 200 {
					failed.Add(1)
					failMu.Lock()
					if len(res.failures) < 5 {
						res.failures = append(res.failures, method+" "+t+": "+kit.Failure(status, err))
					}
					failMu.Unlock()
				}
			}
		}()
	}

	// Malformed requests, spread over the kinds and the tenants.
	res.kinds = make([]*kindResult, len(kinds))
	for i := range kinds {
		res.kinds[i] = &kindResult{statuses: map[string]int{}}
	}
	var kindMu sync.Mutex
	var next atomic.Int64
	var faultWG sync.WaitGroup
	for range o.faultWorkers {
		faultWG.Add(1)
		go func() {
			defer faultWG.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= o.faults {
					return
				}
				k := kinds[i%len(kinds)]
				got, err := malformed(addr, tenants[i%len(tenants)], k)
				kindMu.Lock()
				kr := res.kinds[i%len(kinds)]
				kr.sent++
				kr.statuses[got]++
				if (k.reset && got != "none" && got != "499") || (!k.reset && got != strconv.Itoa(k.want)) || err != nil {
					kr.wrong++
					if kr.example == "" {
						kr.example = fmt.Sprintf("answered %s (%v)", got, err)
					}
				}
				kindMu.Unlock()
			}
		}()
	}
	faultWG.Wait()
	close(stopLoad)
	loadWG.Wait()
	close(stopPoll)
	pollWG.Wait()
	res.elapsed = time.Since(start)
	res.normal, res.normalFailed, res.polls = normal.Load(), failed.Load(), polls.Load()
	out.Range(func(k, _ any) bool { res.cellsOut = append(res.cellsOut, k.(string)); return true })
	slices.Sort(res.cellsOut)
	res.ejections = h.Ejections()
	// The router counts a reset request once it has read what the client
	// sent and seen the reset, which may be after the worker that sent it
	// has gone on (on a loaded machine, well after): every malformed
	// request is rejected under some reason, so read the counters once
	// they add up to the requests sent, or after 10 s, whichever is first.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if res.upstreamErrors, res.rejected, err = scrape(rt.Router); err != nil {
			return nil, err
		}
		var counted int64
		for _, n := range res.rejected {
			counted += n
		}
		if counted >= int64(o.faults) || time.Now().After(deadline) {
			break
		}
	}
	return res, nil
}

// metricFamilies parses the router's /metrics with the Prometheus text
// parser.
func metricFamilies(rt *server.Router) (map[string]*dto.MetricFamily, error) {
	rec := httptest.NewRecorder()
	rt.AdminHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		return nil, fmt.Errorf("parsing the router's /metrics: %w", err)
	}
	return fams, nil
}

// malformed sends one malformed request on its own connection and returns
// the status it got ("none" when the connection ended without an answer).
// The error reports a failure to send it at all.
func malformed(addr, tenant string, k kind) (string, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return "none", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(conn, "PUT /kv/m HTTP/1.1\r\nHost: localhost\r\nX-Tenant-ID: "+tenant+"\r\n"+k.raw); err != nil {
		return "none", err
	}
	br := bufio.NewReader(conn)
	if k.reset {
		// Give the router a moment to start forwarding the body (an early
		// answer would show up here), then reset the connection.
		_ = conn.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if resp, err := http.ReadResponse(br, nil); err == nil {
			resp.Body.Close()
			return strconv.Itoa(resp.StatusCode), nil
		}
		_ = conn.(*net.TCPConn).SetLinger(0)
		return "none", nil
	}
	if k.halfClose {
		_ = conn.(*net.TCPConn).CloseWrite()
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return "none", nil
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return strconv.Itoa(resp.StatusCode), nil
}

// scrape reads the upstream errors (summed over the cells) and the rejected
// requests by reason from the router's /metrics, parsed with the Prometheus
// text parser.
func scrape(rt *server.Router) (int64, map[string]int64, error) {
	fams, err := metricFamilies(rt)
	if err != nil {
		return 0, nil, err
	}
	var upErrors int64
	for _, m := range fams["cellfabric_router_upstream_errors_total"].GetMetric() {
		upErrors += int64(m.GetCounter().GetValue())
	}
	rejected := map[string]int64{}
	for _, m := range fams["cellfabric_router_rejected_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "reason" {
				rejected[l.GetValue()] = int64(m.GetCounter().GetValue())
			}
		}
	}
	return upErrors, rejected, nil
}
