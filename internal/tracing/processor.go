package tracing

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// processor batches ended spans to an exporter from one goroutine. It does
// what the SDK's batch span processor does, with the one thing that one
// leaves to its experimental OTel-metrics self-observability: every span
// that is not exported is counted here (dropped), so that the router can
// serve the count on its Prometheus /metrics. A request only ever does a
// non-blocking send on the queue.
type processor struct {
	exp  sdktrace.SpanExporter
	cfg  Config
	log  *slog.Logger
	q    chan sdktrace.ReadOnlySpan
	ops  chan chan struct{} // flush requests
	stop chan struct{}
	done chan struct{}

	stopped  atomic.Bool
	stopOnce sync.Once
	dropped  atomic.Uint64
	exported atomic.Uint64
	lastWarn atomic.Int64 // unix nanoseconds of the last warning
}

var _ sdktrace.SpanProcessor = (*processor)(nil)

// warnEvery spaces the warnings about dropped spans.
const warnEvery = time.Minute

func newProcessor(exp sdktrace.SpanExporter, cfg Config) *processor {
	p := &processor{
		exp: exp, cfg: cfg, log: cfg.Logger,
		q:    make(chan sdktrace.ReadOnlySpan, cfg.QueueSize),
		ops:  make(chan chan struct{}),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	go p.run()
	return p
}

// OnStart does nothing: spans are handled when they end.
func (p *processor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd queues a sampled span, or drops it when the queue is full.
func (p *processor) OnEnd(s sdktrace.ReadOnlySpan) {
	if !s.SpanContext().IsSampled() {
		return
	}
	if p.stopped.Load() {
		p.drop(1, "the tracer provider is shut down")
		return
	}
	select {
	case p.q <- s:
	default:
		p.drop(1, "the export queue is full: the collector is slower than the spans come")
	}
}

// drop counts n lost spans and warns at most once a minute.
func (p *processor) drop(n int, why string) {
	p.dropped.Add(uint64(n))
	now := time.Now().UnixNano()
	last := p.lastWarn.Load()
	if now-last >= int64(warnEvery) && p.lastWarn.CompareAndSwap(last, now) {
		p.log.Warn("trace spans dropped; requests are unaffected", "why", why, "dropped_total", p.dropped.Load())
	}
}

func (p *processor) run() {
	defer close(p.done)
	batch := make([]sdktrace.ReadOnlySpan, 0, p.cfg.BatchSize)
	timer := time.NewTimer(p.cfg.BatchTimeout)
	defer timer.Stop()
	export := func() {
		if len(batch) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), p.cfg.ExportTimeout)
		err := p.exp.ExportSpans(ctx, batch)
		cancel()
		if err != nil {
			p.drop(len(batch), "exporting to the collector failed: "+err.Error())
		} else {
			p.exported.Add(uint64(len(batch)))
		}
		clear(batch)
		batch = batch[:0]
	}
	// drain exports everything queued now.
	drain := func() {
		for {
			select {
			case s := <-p.q:
				if batch = append(batch, s); len(batch) == p.cfg.BatchSize {
					export()
				}
			default:
				export()
				return
			}
		}
	}
	for {
		select {
		case s := <-p.q:
			if batch = append(batch, s); len(batch) == p.cfg.BatchSize {
				export()
			}
		case <-timer.C:
			export()
			timer.Reset(p.cfg.BatchTimeout)
		case ack := <-p.ops:
			drain()
			close(ack)
		case <-p.stop:
			drain()
			return
		}
	}
}

// ForceFlush exports what is queued now.
func (p *processor) ForceFlush(ctx context.Context) error {
	if p.stopped.Load() {
		return nil
	}
	ack := make(chan struct{})
	select {
	case p.ops <- ack:
	case <-p.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-ack:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Shutdown exports what is queued and stops the exporter, within ctx.
func (p *processor) Shutdown(ctx context.Context) error {
	p.stopOnce.Do(func() {
		p.stopped.Store(true)
		close(p.stop)
	})
	select {
	case <-p.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	// A span that ended as the processor stopped may have been queued
	// after the last drain: it is dropped, and counted.
	for len(p.q) > 0 {
		<-p.q
		p.dropped.Add(1)
	}
	return p.exp.Shutdown(ctx)
}
