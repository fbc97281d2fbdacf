package directory

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/router"
)

func TestBatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, 0, nil)
	f.put(t, router.Tenant{ID: "old", Cell: "aws-use1"})
	f.put(t, router.Tenant{ID: "same", Cell: "aws-use1"})
	entries := []router.Tenant{
		{ID: "new1", Cell: "aws-use1", Failover: []string{"gcp-usc1"}},
		{ID: "old", Cell: "gcp-usc1"},
		{ID: "same", Cell: "aws-use1"},
		{ID: "bad", Cell: "nowhere"},
		{ID: "eu", Cell: "azure-weu", Failover: []string{"aws-use1"}, Residency: "eu"},
		{ID: "new1", Cell: "gcp-usc1"},
		{ID: "Bad_ID", Cell: "aws-use1"},
	}
	results, err := f.dir.Batch(ctx, entries, ModeUpsert)
	if err != nil {
		t.Fatal(err)
	}
	want := []BatchResult{
		{ID: "new1", Epoch: 1, Outcome: OutcomeAdded},
		{ID: "old", Epoch: 2, Outcome: OutcomeUpdated},
		{ID: "same", Epoch: 1, Outcome: OutcomeUnchanged},
		{ID: "bad", Reason: ReasonInvalidEntry},
		{ID: "eu", Reason: ReasonInvalidEntry},
		{ID: "new1", Reason: ReasonDuplicate},
		{ID: "Bad_ID", Reason: ReasonInvalidID},
	}
	for i, w := range want {
		g := results[i]
		if g.ID != w.ID || g.Epoch != w.Epoch || g.Outcome != w.Outcome || g.Reason != w.Reason {
			t.Errorf("results[%d] = %+v, want %+v", i, g, w)
		}
		if w.Reason != "" && (g.OK() || g.Error == "") {
			t.Errorf("results[%d] has no error message", i)
		}
	}
	if msg := results[3].Error; !contains(msg, `tenant "bad"`, `unknown cell "nowhere"`) {
		t.Errorf("unknown cell: %q", msg)
	}
	if msg := results[4].Error; !contains(msg, `tenant "eu" must stay in "eu"`) {
		t.Errorf("residency: %q", msg)
	}
	if msg := results[5].Error; !contains(msg, `tenant "new1" is in the batch twice (entries 0 and 5)`) {
		t.Errorf("duplicate: %q", msg)
	}
	// The batch again: every applied entry unchanged.
	again, _ := f.dir.Batch(ctx, entries[:3], ModeUpsert)
	for _, r := range again {
		if r.Outcome != OutcomeUnchanged {
			t.Errorf("the batch again: %+v", r)
		}
	}
	// ifAbsent: a different entry for an existing tenant is a conflict.
	res, _ := f.dir.Batch(ctx, []router.Tenant{{ID: "old", Cell: "aws-use1"}, {ID: "new2", Cell: "aws-use1"}}, ModeIfAbsent)
	if res[0].Reason != ReasonExists || res[1].Outcome != OutcomeAdded {
		t.Errorf("ifAbsent: %+v", res)
	}
	n, _ := f.dir.Counts(ctx, []string{"aws-use1", "gcp-usc1"})
	// aws-use1: same, new1, new2; gcp-usc1: old.
	if n["aws-use1"] != 3 || n["gcp-usc1"] != 1 {
		t.Errorf("counters %v", n)
	}
}

func TestBatchRefusedWhole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, 0, nil)
	big := make([]router.Tenant, MaxBatch+1)
	for i := range big {
		big[i] = router.Tenant{ID: fmt.Sprintf("t%d", i), Cell: "aws-use1"}
	}
	_, err := f.dir.Batch(ctx, big, ModeUpsert)
	wantError(t, err, 400, ReasonBatchTooLarge, "1001 entries", "batches of 1000")
	_, err = f.dir.Batch(ctx, big[:1], "merge")
	wantError(t, err, 400, ReasonBadQuery, `unknown batch mode "merge"`)
	f.snap = nil
	_, err = f.dir.Batch(ctx, big[:1], ModeUpsert)
	wantError(t, err, 503, ReasonNoRegistry, `tenant "t0"`)
	if f.mem.Len() != 0 {
		t.Errorf("refused batches wrote %d keys", f.mem.Len())
	}
}

func contains(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
