// Command upstream is the server every proxy in bench/run.sh forwards to: it
// answers every request with 200 and a fixed small body, and /healthz with
// "ok", so that what the benchmark measures is the proxy, not the upstream.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"strconv"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:9101", "listen address (loopback)")
	size := flag.Int("body", 128, "response body size in bytes")
	flag.Parse()
	body := make([]byte, *size)
	for i := range body {
		body[i] = 'a' + byte(i%26)
	}
	if *size > 0 {
		body[len(body)-1] = '\n'
	}
	length := strconv.Itoa(len(body))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			w.Write([]byte("ok\n"))
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", length)
		w.Write(body)
	})
	srv := &http.Server{Addr: *listen, Handler: h, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 120 * time.Second}
	fmt.Fprintf(os.Stderr, "upstream listening on %s\n", *listen)
	log.Fatal(srv.ListenAndServe())
}
