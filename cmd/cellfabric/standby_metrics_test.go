package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/cellfabric/cellfabric/workload/state"
)

// standbyGauges are one tenant's cellfabric_standby_* values in a scrape,
// by metric name without the prefix; a metric absent from the scrape is
// absent here.
type standbyGauges map[string]float64

var metricsURLRe = regexp.MustCompile(`serving standby metrics on (http://\S+/metrics)`)

// scrapeStandby scrapes url and returns acme's gauges, checking that each
// carries the tenant, source and standby cell labels of cell-a -> cell-b.
func scrapeStandby(t *testing.T, url string) standbyGauges {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scraping %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("scraping %s: %s\n%s", url, resp.Status, b)
	}
	dec := expfmt.NewDecoder(resp.Body, expfmt.ResponseFormat(resp.Header))
	got := standbyGauges{}
	for {
		var f dto.MetricFamily
		if err := dec.Decode(&f); err != nil {
			if err != io.EOF {
				t.Fatalf("decoding %s: %v", url, err)
			}
			return got
		}
		name, ok := strings.CutPrefix(f.GetName(), "cellfabric_standby_")
		if !ok {
			continue
		}
		if f.GetType() != dto.MetricType_GAUGE {
			t.Errorf("%s is a %s, want a gauge", f.GetName(), f.GetType())
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, p := range m.GetLabel() {
				labels[p.GetName()] = p.GetValue()
			}
			if want := map[string]string{"tenant": "acme", "source_cell": "cell-a", "standby_cell": "cell-b"}; fmt.Sprint(labels) != fmt.Sprint(want) {
				t.Errorf("%s has labels %v, want %v", f.GetName(), labels, want)
			}
			got[name] = m.GetGauge().GetValue()
		}
	}
}

// TestStandbyRunMetrics: with --metrics-listen, `standby run` serves the
// follower's lag on /metrics: up, caught up at the primary's position
// with an age and the time it was last current; writes on the primary move
// the position on; with the primary unreachable it reports down while
// the time it was last current stands still and the age grows; and up
// again once the primary is back.
func TestStandbyRunMetrics(t *testing.T) {
	var d dieAfterFence
	e := newMoveEnvWrapped(t, d.wrap)
	out, stop := e.runStandby(t, "--metrics-listen", "127.0.0.1:0")
	var url string
	waitUntil(t, "the metrics address on stdout", func() bool {
		m := metricsURLRe.FindStringSubmatch(out.String())
		if m != nil {
			url = m[1]
		}
		return m != nil
	})

	var g standbyGauges
	waitUntil(t, "the standby caught up at position 25", func() bool {
		g = scrapeStandby(t, url)
		return g["up"] == 1 && g["applied_position"] == 25 && g["lag_records"] == 0 && g["last_current_timestamp_seconds"] > 0
	})
	if age, ok := g["age_seconds"]; !ok || age < 0 || age > 60 {
		t.Errorf("age_seconds %v (present %v) once caught up: want a small age", age, ok)
	}

	for i := range 5 {
		if _, _, err := e.stores["cell-a"].Put(context.Background(), "acme", "new"+strconv.Itoa(i), []byte("v"), state.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, "the standby to apply 5 more writes", func() bool {
		g = scrapeStandby(t, url)
		return g["up"] == 1 && g["applied_position"] == 30 && g["lag_records"] == 0
	})

	d.down.Store(true)
	var down standbyGauges
	waitUntil(t, "the follower to report down", func() bool {
		down = scrapeStandby(t, url)
		return down["up"] == 0
	})
	waitUntil(t, "the age to grow while the primary is unreachable", func() bool {
		later := scrapeStandby(t, url)
		if later["last_current_timestamp_seconds"] != down["last_current_timestamp_seconds"] {
			t.Fatalf("last current moved from %v to %v while the primary was unreachable",
				down["last_current_timestamp_seconds"], later["last_current_timestamp_seconds"])
		}
		return later["up"] == 0 && later["age_seconds"] > down["age_seconds"]
	})

	d.down.Store(false)
	waitUntil(t, "the follower to report up and current again", func() bool {
		g = scrapeStandby(t, url)
		return g["up"] == 1 && g["last_current_timestamp_seconds"] > down["last_current_timestamp_seconds"]
	})
	if code, errs := stop(); code != 0 {
		t.Fatalf("standby run: %d\n%s", code, errs)
	}
}

// TestStandbyRunMetricsListenError: an address that cannot be listened
// on is refused with the flag's name and what to do.
func TestStandbyRunMetricsListenError(t *testing.T) {
	e := newMoveEnv(t)
	var out, errb strings.Builder
	code := standbyMain(context.Background(), []string{"run", "acme", "--to", "cell-b", "--api", e.dirURL, "--key-file", e.keyFile,
		"--registry", e.regFile, "--metrics-listen", "127.0.0.1:notaport"}, &out, &errb, noEnv)
	if code != 1 || !strings.Contains(errb.String(), "--metrics-listen 127.0.0.1:notaport") {
		t.Errorf("exit %d, stderr:\n%s\nwant 1 naming --metrics-listen", code, errb.String())
	}
}
