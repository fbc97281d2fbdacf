package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cellfabric/cellfabric/observe/edgehealth"
)

func init() {
	register("edge-health", command{
		summary: "export the edge's cell health (Workers KV) and requests (Analytics Engine) as Prometheus metrics",
		flags:   func() *flag.FlagSet { return new(edgeHealthOptions).flagSet() },
		run:     runEdgeHealth,
	})
}

// edgeHealthListen is the exporter's default address: loopback, like every
// other command's; a Prometheus on another host needs --listen.
const edgeHealthListen = "127.0.0.1:9464"

// envCloudflareToken names the API token's environment variable, the one
// Pulumi's Cloudflare provider reads too. It is never a flag, so it stays
// out of process listings.
const envCloudflareToken = "CLOUDFLARE_API_TOKEN"

// edgeHealthOptions are edge-health's flags.
type edgeHealthOptions struct {
	account, namespace, listen, api string
	// dataset and window: the request metrics (edgehealth.Config).
	dataset   string
	window    time.Duration
	logFormat logFormat
}

func (o *edgeHealthOptions) flagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("edge-health", flag.ContinueOnError)
	fs.StringVar(&o.account, "account", "", "Cloudflare account `ID` (the stack's edge.accountId); required")
	fs.StringVar(&o.namespace, "namespace", "", "Workers KV namespace `ID` the Worker reads (the edge component's kvNamespaceId); required")
	fs.StringVar(&o.listen, "listen", edgeHealthListen, "listen `address` for /metrics and /healthz")
	fs.StringVar(&o.api, "api", edgehealth.DefaultAPI, "Cloudflare API base `URL`")
	fs.StringVar(&o.dataset, "dataset", "", "Workers Analytics Engine `dataset` the Worker writes its requests to (<project>_<stack>_edge with edge.analytics); none: no request metrics")
	fs.DurationVar(&o.window, "window", edgehealth.DefaultWindow, "`duration` each scrape sums the Worker's requests over (with --dataset; 1m or more)")
	o.logFormat = "text"
	fs.Var(&o.logFormat, "log-format", "log `format`: text or json")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: cellfabric edge-health --account ID --namespace ID [--dataset NAME] [--listen "+edgeHealthListen+"]")
		fmt.Fprintln(fs.Output(), "\nServes the edge Worker's health document (Workers KV key \"health\", written by its\ncron) as Prometheus metrics, read afresh on every scrape, so the rules of\n\"cellfabric observe\" can compare the edge's view of each cell with the routers'.\nWith --dataset, also the Worker's requests per cell (rate, status class, latency\nquantiles over --window) from its Workers Analytics Engine dataset.\nThe API token comes from $"+envCloudflareToken+" and needs Workers KV Storage: Read\n(and Account Analytics: Read with --dataset).\n\nflags:")
		fs.PrintDefaults()
	}
	return fs
}

func runEdgeHealth(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return edgeHealthMain(ctx, args, os.Getenv, stdout, stderr)
}

// edgeHealthMain serves until ctx is done.
func edgeHealthMain(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	var o edgeHealthOptions
	fs := o.flagSet()
	fs.SetOutput(stderr)
	if code, ok := parseFlags(fs, args, func() string {
		if p := requireFlag("account", &o.account)(); p != "" {
			return p
		}
		return requireFlag("namespace", &o.namespace)()
	}); !ok {
		return code
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "cellfabric edge-health: %v\n", err)
		return 1
	}
	token := getenv(envCloudflareToken)
	if token == "" {
		return fail(fmt.Errorf("$%s is not set: export a Cloudflare API token with Workers KV Storage: Read", envCloudflareToken))
	}
	logger := o.logFormat.logger(stderr)
	e, err := edgehealth.New(edgehealth.Config{AccountID: o.account, NamespaceID: o.namespace, Token: token, API: o.api, Logger: logger, Dataset: o.dataset, Window: o.window})
	if err != nil {
		return fail(err)
	}
	ln, err := listenFlag("listen", o.listen)
	if err != nil {
		return fail(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", e.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "serving the edge's health document as metrics on http://%s/metrics\n", ln.Addr())
	logger.Info("edge-health exporter started", "listen", ln.Addr().String(), "namespace", o.namespace)
	select {
	case err := <-done:
		return fail(fmt.Errorf("serving: %w", err))
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fail(fmt.Errorf("shutting down: %w", err))
	}
	return 0
}
