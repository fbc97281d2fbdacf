package gcp

import (
	"slices"
	"strings"
	"testing"
)

// TestLogsGoToTheCellsBucket: a bucket in the cell's region with the set
// retention, a sink sending this cell's Cloud Run and load balancer logs to
// it, and an exclusion (after the sink) keeping them out of _Default.
func TestLogsGoToTheCellsBucket(t *testing.T) {
	t.Parallel()
	args := baseArgs()
	d := deploy(t, args, false)
	n := newNames("cellfabric", testStack, args.ID, args.Hostname)

	bucket := d.One(t, typeLogBucket)
	if str(bucket, "location") != testRegion || str(bucket, "project") != testProject || str(bucket, "bucketId") != n.LogBucket {
		t.Errorf("bucket = %v", bucket.Inputs)
	}
	if got := num(bucket, "retentionDays"); got != logRetentionDays || got < 1 {
		t.Errorf("retention %v days", got)
	}

	sink := d.One(t, typeLogSink)
	wantDest := "logging.googleapis.com/projects/" + testProject + "/locations/" + testRegion + "/buckets/" + n.LogBucket
	if str(sink, "destination") != wantDest {
		t.Errorf("sink destination %q, want %q", str(sink, "destination"), wantDest)
	}
	filter := str(sink, "filter")
	for _, part := range []string{
		`resource.type="cloud_run_revision"`, `resource.labels.service_name="` + n.Service + `"`,
		`resource.labels.location="` + testRegion + `"`,
		`resource.type="http_load_balancer"`, `resource.labels.backend_service_name="` + n.Backend + `"`,
	} {
		if !strings.Contains(filter, part) {
			t.Errorf("sink filter %q lacks %s", filter, part)
		}
	}
	if str(d.One(t, typeService), "name") != n.Service || str(d.One(t, typeBackend), "name") != n.Backend {
		t.Error("the filter names differ from the resources'")
	}

	ex := d.One(t, typeLogExclusion)
	if str(ex, "filter") != filter {
		t.Errorf("exclusion filter %q differs from the sink's", str(ex, "filter"))
	}
	if !slices.Contains(ex.DependsOn, sink.URN) {
		t.Error("the exclusion does not wait for the sink; logs could be dropped in between")
	}
}
