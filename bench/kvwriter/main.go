// Command kvwriter is the load generator of the local move walkthrough
// (README, "Moving a tenant locally"): writer goroutines write keys of one
// tenant through a router (`cellfabric local`'s, by default) until Ctrl-C
// or --duration, printing a line a second (a write refused with
// Retry-After, as a fenced tenant's is, is followed by a wait of at most
// --max-retry-wait, so the writers measure the fence instead of spinning
// on it); then every key is read back through the router and counted with
// internal/verifier: the exit status is 1 when an acknowledged write was
// lost or overwritten, or none was acknowledged.
//
//	go run ./bench/kvwriter --tenant acme --writers 32
//
// The last line of output is tab-separated, for scripts:
//
//	RESULT <tenant> <acknowledged> <failed> <longest gap ms> <keys> <ok> <lost> <mismatched>
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/cellfabric/cellfabric/internal/verifier"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// verifyTimeout bounds the read-back after the writers stop (Ctrl-C ends
// the writing, not the check).
const verifyTimeout = 5 * time.Minute

// run writes until ctx is done or the duration is over, then verifies.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kvwriter", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "http://127.0.0.1:8080", "the router to write through")
	tenant := fs.String("tenant", "acme", "the tenant whose keys to write (X-Tenant-ID)")
	writers := fs.Int("writers", verifier.DefaultWriters, "writers writing at once")
	keys := fs.Int("keys", verifier.DefaultKeys, "keys each writer writes, over and over")
	prefix := fs.String("prefix", verifier.DefaultPrefix, "the start of every key")
	pause := fs.Duration("pause", 0, "pause of each writer after each write (0: none)")
	maxRetryWait := fs.Duration("max-retry-wait", verifier.DefaultMaxRetryWait, "longest wait of a writer after a write refused with Retry-After (a fenced tenant's 503)")
	duration := fs.Duration("duration", 0, "how long to write (0: until Ctrl-C)")
	every := fs.Duration("every", time.Second, "how often to print progress")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || *every <= 0 {
		fs.Usage()
		return 2
	}
	kv, err := verifier.NewKV(*url, *tenant)
	if err != nil {
		fmt.Fprintln(stderr, "kvwriter:", err)
		return 2
	}
	w, err := verifier.Start(context.WithoutCancel(ctx), verifier.Config{Target: kv, Writers: *writers, Keys: *keys, Prefix: *prefix, Pause: *pause, MaxRetryWait: *maxRetryWait})
	if err != nil {
		fmt.Fprintln(stderr, "kvwriter:", err)
		return 2
	}
	fmt.Fprintf(stdout, "kvwriter: %d writers writing tenant %s's keys through %s; Ctrl-C stops and verifies\n", *writers, *tenant, *url)
	var end <-chan time.Time
	if *duration > 0 {
		end = time.After(*duration)
	}
	tick := time.NewTicker(*every)
	defer tick.Stop()
	start, last := time.Now(), verifier.Stats{}
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-end:
			break loop
		case <-tick.C:
			s := w.Stats()
			fmt.Fprintf(stdout, "%6.1fs  acknowledged %d (+%d)  failed %d (+%d) %s  longest gap %v\n", time.Since(start).Seconds(),
				s.Acknowledged, s.Acknowledged-last.Acknowledged, s.Failed, s.Failed-last.Failed, failures(s.FailedBy), s.LongestGap.Round(time.Millisecond))
			last = s
		}
	}
	w.Stop()
	fmt.Fprintln(stdout, "kvwriter: stopped writing; reading every key back")
	vctx, cancel := context.WithTimeout(context.Background(), verifyTimeout)
	defer cancel()
	rep, err := w.Verify(vctx)
	if err != nil {
		fmt.Fprintln(stderr, "kvwriter:", err)
		return 1
	}
	fmt.Fprintln(stdout, "kvwriter:", rep)
	for _, p := range rep.Problems {
		fmt.Fprintln(stdout, "  ", p)
	}
	fmt.Fprintf(stdout, "RESULT\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", *tenant, rep.Acknowledged, rep.Failed, rep.LongestGap.Milliseconds(), rep.Keys, rep.OK, rep.Lost, rep.Mismatched)
	if !rep.Clean() {
		return 1
	}
	return 0
}

// failures prints failure counts by cause in a stable order.
func failures(by map[string]int64) string {
	if len(by) == 0 {
		return ""
	}
	var parts []string
	for k, v := range by {
		parts = append(parts, fmt.Sprintf("%s:%d", k, v))
	}
	sort.Strings(parts)
	return "[" + strings.Join(parts, " ") + "]"
}
