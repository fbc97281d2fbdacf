// Command bareproxy is the baseline of bench/run.sh: an
// httputil.ReverseProxy with nothing but a Rewrite to the upstream and a
// transport that keeps as many idle connections as the benchmark has
// clients (the default of 2 would measure connection churn, not the proxy).
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:9102", "listen address (loopback)")
	upstream := flag.String("upstream", "http://127.0.0.1:9101", "upstream base URL")
	flag.Parse()
	target, err := url.Parse(*upstream)
	if err != nil {
		log.Fatal(err)
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()
		},
		Transport: &http.Transport{MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second},
	}
	srv := &http.Server{Addr: *listen, Handler: proxy, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 120 * time.Second}
	fmt.Fprintf(os.Stderr, "bare proxy listening on %s -> %s\n", *listen, *upstream)
	log.Fatal(srv.ListenAndServe())
}
