package moverig

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
)

// Load is goroutines that each repeat one request through the router
// until Stop: the writers and readers of the benchmarks' tenant.
type Load struct {
	done chan struct{}
	wg   sync.WaitGroup
}

// NewLoad returns a Load with nothing running yet.
func NewLoad() *Load { return &Load{done: make(chan struct{})} }

// Run calls fn again and again in a goroutine of its own until Stop.
func (l *Load) Run(fn func()) {
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		for {
			select {
			case <-l.done:
				return
			default:
			}
			fn()
		}
	}()
}

// Stop stops every goroutine after its request in flight.
func (l *Load) Stop() {
	close(l.done)
	l.wg.Wait()
}

// Writers starts n writers of tenant's nkeys keys through the router at
// url: writer i writes keys k<i·per> … k<i·per+per-1> (per = nkeys/n),
// one at a time, each a fresh value, and hands every answer to onPut
// (status and seq as Put returns them; err when no answer came). Each
// writer owns its keys, so each key's last acknowledged value is the one
// its cell must hold.
func (l *Load) Writers(hc *http.Client, url, tenant string, nkeys, n int, onPut func(key, value string, status int, seq uint64, err error)) {
	per := max(1, nkeys/n)
	for i := range n {
		count := 0
		l.Run(func() {
			key := "k" + strconv.Itoa(i*per+rand.IntN(per))
			value := fmt.Sprintf("w%d-%d", i, count)
			count++
			status, seq, err := Put(hc, url, tenant, key, value)
			onPut(key, value, status, seq, err)
		})
	}
}
