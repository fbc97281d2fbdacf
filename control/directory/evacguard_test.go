package directory

import (
	"context"
	"strings"
	"testing"
	"time"
)

// The evacuation guard: one owner at a time, renewed by its owner, taken
// over once it lapses, released only by its owner; bad requests refused
// with what to fix; the HTTP routes serve it.
func TestEvacuationGuard(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, 0, nil)
	d := f.dir
	g, err := d.TakeEvacuationGuard(ctx, GuardRequest{Owner: "ops-1", Cell: "aws-use1", TTLSeconds: 60})
	if err != nil || g.Owner != "ops-1" || g.Expires != f.clock.Now().Add(time.Minute).UnixMilli() {
		t.Fatalf("take: %+v %v", g, err)
	}
	_, err = d.TakeEvacuationGuard(ctx, GuardRequest{Owner: "ops-2", Cell: "gcp-usc1", TTLSeconds: 60})
	wantError(t, err, 409, ReasonEvacuating, `cell aws-use1 is being evacuated by "ops-1"`, "one evacuation runs at a time")
	f.clock.Advance(30 * time.Second)
	if g, err = d.TakeEvacuationGuard(ctx, GuardRequest{Owner: "ops-1", Cell: "aws-use1", TTLSeconds: 60}); err != nil || g.Expires != f.clock.Now().Add(time.Minute).UnixMilli() {
		t.Fatalf("renew: %+v %v", g, err)
	}
	if err := d.ReleaseEvacuationGuard(ctx, "ops-2"); err != nil {
		t.Fatal(err)
	}
	_, err = d.TakeEvacuationGuard(ctx, GuardRequest{Owner: "ops-2", Cell: "gcp-usc1", TTLSeconds: 60})
	wantError(t, err, 409, ReasonEvacuating) // another owner's release changed nothing
	f.clock.Advance(61 * time.Second)
	if g, err = d.TakeEvacuationGuard(ctx, GuardRequest{Owner: "ops-2", Cell: "gcp-usc1", TTLSeconds: 60}); err != nil || g.Owner != "ops-2" {
		t.Fatalf("take over a lapsed guard: %+v %v", g, err)
	}
	if err := d.ReleaseEvacuationGuard(ctx, "ops-2"); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := d.evacuationGuard(ctx); found {
		t.Fatal("the guard is still held after its owner released it")
	}

	for _, tc := range []struct {
		name string
		req  GuardRequest
		want string
	}{
		{"no owner", GuardRequest{Cell: "aws-use1", TTLSeconds: 60}, "give 1..200"},
		{"long owner", GuardRequest{Owner: strings.Repeat("o", 201), Cell: "aws-use1", TTLSeconds: 60}, "has 201 characters"},
		{"no ttl", GuardRequest{Owner: "o", Cell: "aws-use1"}, "ttlSeconds 0 is out of range"},
		{"ttl too long", GuardRequest{Owner: "o", Cell: "aws-use1", TTLSeconds: 7200}, "give 1..3600"},
		{"unknown cell", GuardRequest{Owner: "o", Cell: "aws-usw9", TTLSeconds: 60}, "aws-usw9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := d.TakeEvacuationGuard(ctx, tc.req)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("take %+v = %v, want %q", tc.req, err, tc.want)
			}
		})
	}

	// Over the control API.
	resp := d.Serve(ctx, Request{Authenticated: true, Method: "PUT", Path: BasePath + "/evacuation", Body: []byte(`{"owner":"ops-3","cell":"aws-use1","ttlSeconds":10}`)})
	if resp.Status != 200 || !strings.Contains(string(resp.Body), `"owner":"ops-3"`) {
		t.Fatalf("PUT /evacuation: %d %s", resp.Status, resp.Body)
	}
	resp = d.Serve(ctx, Request{Authenticated: true, Method: "DELETE", Path: BasePath + "/evacuation", Query: map[string][]string{"owner": {"ops-3"}}})
	if resp.Status != 200 {
		t.Fatalf("DELETE /evacuation: %d %s", resp.Status, resp.Body)
	}
	resp = d.Serve(ctx, Request{Authenticated: true, Method: "GET", Path: BasePath + "/evacuation"})
	if resp.Status != 405 {
		t.Fatalf("GET /evacuation: %d %s, want 405", resp.Status, resp.Body)
	}
}
