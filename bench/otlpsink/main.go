// Command otlpsink is the collector bench/trace.sh points the router's
// traces at: the OpenTelemetry Collector's own OTLP receiver (HTTP only),
// on loopback, delivering to a sink that counts spans and keeps nothing.
// It runs in its own process, so that its CPU is not counted as the
// router's. On SIGINT or SIGTERM it prints the spans it received.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configgrpc"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:4318", "OTLP/HTTP listen address (loopback)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var spans atomic.Int64
	count, err := consumer.NewTraces(func(_ context.Context, td ptrace.Traces) error {
		spans.Add(int64(td.SpanCount()))
		return nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "otlpsink:", err)
		os.Exit(1)
	}
	f := otlpreceiver.NewFactory()
	cfg := f.CreateDefaultConfig().(*otlpreceiver.Config)
	cfg.Protocols.GRPC = configoptional.None[configgrpc.ServerConfig]()
	h := *cfg.Protocols.HTTP.GetOrInsertDefault()
	h.ServerConfig.NetAddr.Endpoint = *listen
	cfg.Protocols.HTTP = configoptional.Some(h)
	r, err := f.CreateTraces(ctx, receivertest.NewNopSettings(f.Type()), cfg, count)
	if err == nil {
		err = r.Start(ctx, componenttest.NewNopHost())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "otlpsink:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "otlpsink: listening on http://%s\n", *listen)
	<-ctx.Done()
	_ = r.Shutdown(context.Background())
	fmt.Printf("otlpsink: %d spans received\n", spans.Load())
}
