package dirhttp

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/router"
	routerserver "github.com/cellfabric/cellfabric/router/server"
)

// The Client is what a server router follows a remote directory with.
var _ routerserver.DirectoryFeed = (*Client)(nil)

// TestClientPositionExpired: a 410 position_expired is
// router.ErrPositionExpired through the Client too, so that a router
// following the directory loads it again instead of failing its polls
// forever.
func TestClientPositionExpired(t *testing.T) {
	t.Parallel()
	c := newServer(t, nil).client(t, nil)
	_, _, err := c.Changes(context.Background(), "j/0000000001/0000000060000-a")
	wantAPIError(t, err, 410, directory.ReasonPositionExpired)
	if !errors.Is(err, router.ErrPositionExpired) {
		t.Fatalf("error %v is not router.ErrPositionExpired", err)
	}
	// Another refusal is not.
	_, _, err = c.Changes(context.Background(), "t/acme")
	if err == nil || errors.Is(err, router.ErrPositionExpired) {
		t.Fatalf("a bad position's error %v: want a refusal that is not router.ErrPositionExpired", err)
	}
}

// TestClientRecordAtRequest: the placement of a tenant first seen at a
// request is the one every router computes on its registry
// (directory.PlaceAtRequest), recorded as an add; an entry the directory
// already has is returned unchanged, even when an earlier attempt's
// answer was lost.
func TestClientRecordAtRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newServer(t, nil)
	c := s.client(t, nil)
	want, err := directory.PlaceAtRequest(s.snap, "newco", nil)
	if err != nil {
		t.Fatal(err)
	}

	got, err := c.RecordAtRequest(ctx, s.snap, "newco")
	if err != nil || got.Cell != want.Cell || !slices.Equal(got.Failover, want.Failover) || got.Epoch != 1 {
		t.Fatalf("first record: %+v, %v; want %s %v at epoch 1", got, err, want.Cell, want.Failover)
	}
	if stored, err := c.Get(ctx, "newco"); err != nil || stored.Cell != want.Cell || stored.Epoch != 1 {
		t.Fatalf("read back: %+v, %v", stored, err)
	}
	if again, err := c.RecordAtRequest(ctx, s.snap, "newco"); err != nil || again.Cell != want.Cell || again.Epoch != 1 {
		t.Fatalf("second record: %+v, %v; want the first, unchanged", again, err)
	}

	// An entry written another way stands, whatever the hash says.
	other := "gcp-euw1"
	if want, _ := directory.PlaceAtRequest(s.snap, "manual", nil); want.Cell == other {
		other = "aws-use1"
	}
	if _, err := c.Put(ctx, router.Tenant{ID: "manual", Cell: other}, directory.PutOptions{IfAbsent: true}); err != nil {
		t.Fatal(err)
	}
	if got, err := c.RecordAtRequest(ctx, s.snap, "manual"); err != nil || got.Cell != other || got.Epoch != 1 {
		t.Fatalf("existing entry: %+v, %v; want %s at epoch 1, unchanged", got, err, other)
	}

	// The first attempt is applied but its answer lost: the retry finds
	// the entry and returns it.
	lost := &failFirst{n: 1, status: http.StatusBadGateway, apply: true}
	ls := newServer(t, lost.wrap)
	want, _ = directory.PlaceAtRequest(ls.snap, "lostco", nil)
	if got, err := ls.client(t, nil).RecordAtRequest(ctx, ls.snap, "lostco"); err != nil || got.Cell != want.Cell || got.Epoch != 1 {
		t.Fatalf("after a lost answer: %+v, %v; want %s at epoch 1", got, err, want.Cell)
	}

	// Refused before anything is sent.
	for _, tt := range []struct {
		name string
		snap *router.Snapshot
		id   string
		want string
	}{
		{name: "no registry", snap: nil, id: "fresh", want: "no registry"},
		{name: "invalid id", snap: s.snap, id: "Not/AnID", want: "not a valid tenant id"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.RecordAtRequest(ctx, tt.snap, tt.id)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to say %q", err, tt.want)
			}
		})
	}
	if _, err := c.Get(ctx, "fresh"); directory.ReasonNotFound != Reason(err) {
		t.Fatalf("a refused record wrote something: %v", err)
	}
}

// TestFeedGet: the router's feed reads one tenant over the API; an absent
// tenant is found false, not an error; a refused call stays an error.
func TestFeedGet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newServer(t, nil)
	f := Feed{C: s.client(t, nil)}
	if _, err := f.C.Put(ctx, router.Tenant{ID: "acme", Cell: "aws-use1"}, directory.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	got, found, err := f.Get(ctx, "acme")
	if err != nil || !found || got.Cell != "aws-use1" || got.Epoch != 1 {
		t.Errorf("Get(acme) = %+v, %v, %v", got, found, err)
	}
	if got, found, err := f.Get(ctx, "ghost"); err != nil || found || got.ID != "" {
		t.Errorf("Get(ghost) = %+v, %v, %v; want not found, no error", got, found, err)
	}
	if _, _, err := f.Get(ctx, "Not/AnID"); err == nil {
		t.Error("Get of an invalid id: no error")
	}
	bad := Feed{C: s.client(t, func(c *ClientConfig) { c.Key = edgeKey })}
	if _, found, err := bad.Get(ctx, "acme"); err == nil || found {
		t.Errorf("Get signed with the wrong key: %v, %v; want an error", found, err)
	}
	var pos string
	if pos, err = f.Load(ctx, func([]router.Tenant) error { return nil }); err != nil {
		t.Fatalf("Load: %v", err)
	}
	if _, _, err := f.Changes(ctx, pos); err != nil {
		t.Errorf("Changes: %v", err)
	}
}
