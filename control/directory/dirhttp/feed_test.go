package dirhttp

import (
	"context"
	"testing"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/router"
)

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
