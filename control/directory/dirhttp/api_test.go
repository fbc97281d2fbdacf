package dirhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
)

// The feed the server router consumes (router/server.DirectoryFeed), over
// HTTP.
var _ interface {
	Load(ctx context.Context, each func([]router.Tenant) error) (string, error)
	Changes(ctx context.Context, position string) ([]router.TenantChange, string, error)
} = (*Client)(nil)

func wantAPIError(t *testing.T, err error, status int, reason string, fragments ...string) {
	t.Helper()
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T), want an *APIError %d %s", err, err, status, reason)
	}
	if ae.Status != status || ae.Reason != reason {
		t.Fatalf("error %d %s %q, want %d %s", ae.Status, ae.Reason, ae.Message, status, reason)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not contain %q", err, f)
		}
	}
}

// Every endpoint, through the Client, over loopback HTTP.
func TestEndpoints(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newServer(t, nil)
	c := s.client(t, nil)

	// PUT (add), GET.
	added, err := c.Put(ctx, router.Tenant{ID: "acme", Cell: "aws-use1", Failover: []string{"gcp-usc1"}}, directory.PutOptions{IfAbsent: true})
	if err != nil || added.Epoch != 1 {
		t.Fatalf("add: %+v, %v", added, err)
	}
	got, err := c.Get(ctx, "acme")
	if err != nil || got.Cell != "aws-use1" || got.Epoch != 1 || !slices.Equal(got.Failover, []string{"gcp-usc1"}) {
		t.Fatalf("get: %+v, %v", got, err)
	}
	// PUT (set at the epoch read): epoch + 1.
	got.Cell, got.Failover = "gcp-usc1", []string{"aws-use1"}
	set, err := c.Put(ctx, got, directory.PutOptions{IfEpoch: got.Epoch})
	if err != nil || set.Epoch != 2 || set.Cell != "gcp-usc1" {
		t.Fatalf("set: %+v, %v", set, err)
	}
	// POST place: chosen, recorded; again: unchanged.
	placed, err := c.Place(ctx, "euro", directory.PlaceRequest{Residency: "eu"})
	if err != nil || placed.Cell != "azure-weu" || !slices.Equal(placed.Failover, []string{"gcp-euw1"}) || placed.Epoch != 1 {
		t.Fatalf("place: %+v, %v", placed, err)
	}
	if again, err := c.Place(ctx, "euro", directory.PlaceRequest{}); err != nil || again.Epoch != 1 || again.Cell != "azure-weu" {
		t.Fatalf("place again: %+v, %v", again, err)
	}
	// POST batch.
	res, err := c.Batch(ctx, []router.Tenant{{ID: "b1", Cell: "aws-use1"}, {ID: "b2", Cell: "gcp-usc1"}, {ID: "acme", Cell: "gcp-usc1", Failover: []string{"aws-use1"}}}, directory.ModeUpsert)
	if err != nil || len(res) != 3 || res[0].Outcome != directory.OutcomeAdded || res[2].Outcome != directory.OutcomeUnchanged {
		t.Fatalf("batch: %+v, %v", res, err)
	}
	// DELETE: the tombstone.
	tomb, err := c.Remove(ctx, "b2", 1)
	if err != nil || tomb != (router.TenantChange{ID: "b2", Epoch: 2, Removed: true}) {
		t.Fatalf("remove: %+v, %v", tomb, err)
	}
	// GET /tenants in pages of 2: acme, b1, euro; the first page has the
	// position.
	p1, err := c.List(ctx, "", 2)
	if err != nil || len(p1.Entries) != 2 || p1.Cursor == "" || p1.Position == "" {
		t.Fatalf("list page 1: %+v, %v", p1, err)
	}
	p2, err := c.List(ctx, p1.Cursor, 2)
	if err != nil || len(p2.Entries) != 1 || p2.Cursor != "" || p2.Position != "" || p2.Entries[0].ID != "euro" {
		t.Fatalf("list page 2: %+v, %v", p2, err)
	}
	// GET /changes: every write in order.
	time.Sleep(2 * time.Millisecond) // records are returned once their millisecond is over
	changes, pos, err := c.Changes(ctx, "")
	if err != nil || pos == "" {
		t.Fatalf("changes: %v", err)
	}
	// Applied in order by epoch, they give the directory's state (writes
	// to one tenant within one millisecond share a journal key, the later
	// one kept).
	held := map[string]router.TenantChange{}
	for _, ch := range changes {
		if ch.Newer(held[ch.ID].Epoch) {
			held[ch.ID] = ch
		} else {
			t.Fatalf("change %+v after epoch %d", ch, held[ch.ID].Epoch)
		}
	}
	if a := held["acme"]; a.Epoch != 2 || a.Entry.Cell != "gcp-usc1" || held["euro"].Epoch != 1 || held["b1"].Epoch != 1 || !held["b2"].Removed || held["b2"].Epoch != 2 || len(held) != 4 {
		t.Fatalf("changes %+v", changes)
	}
	// Load: every entry and a position to follow from.
	var loaded []string
	lpos, err := c.Load(ctx, func(ts []router.Tenant) error {
		for _, tn := range ts {
			loaded = append(loaded, tn.ID)
		}
		return nil
	})
	if err != nil || lpos == "" || strings.Join(loaded, ",") != "acme,b1,euro" {
		t.Fatalf("load: %v, %q, %v", loaded, lpos, err)
	}
	if more, _, err := c.Changes(ctx, pos); err != nil || len(more) != 0 {
		t.Fatalf("nothing new: %v, %v", more, err)
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newServer(t, nil)
	c := s.client(t, nil)
	if _, err := c.Put(ctx, router.Tenant{ID: "acme", Cell: "aws-use1"}, directory.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		do        func() error
		status    int
		reason    string
		fragments []string
	}{
		{name: "unknown cell", do: func() error {
			_, err := c.Put(ctx, router.Tenant{ID: "new", Cell: "nowhere"}, directory.PutOptions{})
			return err
		}, status: 422, reason: directory.ReasonInvalidEntry, fragments: []string{`tenant "new"`, `unknown cell "nowhere"`, "the registry's cells: aws-use1"}},
		{name: "residency violation", do: func() error {
			_, err := c.Put(ctx, router.Tenant{ID: "euro", Cell: "aws-use1", Residency: "eu"}, directory.PutOptions{})
			return err
		}, status: 422, reason: directory.ReasonInvalidEntry, fragments: []string{`tenant "euro" must stay in "eu" but primary cell "aws-use1" is in "us"`}},
		{name: "down primary", do: func() error {
			_, err := c.Put(ctx, router.Tenant{ID: "new", Cell: "azure-eus"}, directory.PutOptions{})
			return err
		}, status: 422, reason: directory.ReasonInvalidEntry, fragments: []string{`cell "azure-eus" is down`}},
		{name: "epoch mismatch", do: func() error {
			_, err := c.Put(ctx, router.Tenant{ID: "acme", Cell: "gcp-usc1"}, directory.PutOptions{IfEpoch: 5})
			return err
		}, status: 409, reason: directory.ReasonEpochMismatch, fragments: []string{`tenant "acme" is at epoch 1, not 5`}},
		{name: "exists", do: func() error {
			_, err := c.Put(ctx, router.Tenant{ID: "acme", Cell: "gcp-usc1"}, directory.PutOptions{IfAbsent: true})
			return err
		}, status: 409, reason: directory.ReasonExists, fragments: []string{`tenant "acme" is already in the directory`}},
		{name: "not found", do: func() error {
			_, err := c.Get(ctx, "ghost")
			return err
		}, status: 404, reason: directory.ReasonNotFound, fragments: []string{`tenant "ghost"`}},
		{name: "remove absent", do: func() error {
			_, err := c.Remove(ctx, "ghost", 0)
			return err
		}, status: 404, reason: directory.ReasonNotFound, fragments: []string{`tenant "ghost"`}},
		{name: "place nowhere", do: func() error {
			_, err := c.Place(ctx, "asia", directory.PlaceRequest{Residency: "ap"})
			return err
		}, status: 422, reason: directory.ReasonNoEligibleCell, fragments: []string{`tenant "asia"`}},
		{name: "invalid id, refused before sending", do: func() error {
			_, err := c.Get(ctx, "Not/AnID")
			return err
		}, status: 422, reason: directory.ReasonInvalidID, fragments: []string{`"Not/AnID" is not a valid tenant id`}},
		{name: "position expired", do: func() error {
			_, _, err := c.Changes(ctx, "j/0000000001/0000000060000-a")
			return err
		}, status: 410, reason: directory.ReasonPositionExpired, fragments: []string{"read every entry again"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantAPIError(t, tt.do(), tt.status, tt.reason, tt.fragments...)
		})
	}
	// A duplicate in a batch is one entry's refusal.
	res, err := c.Batch(ctx, []router.Tenant{{ID: "d", Cell: "aws-use1"}, {ID: "d", Cell: "gcp-usc1"}}, directory.ModeUpsert)
	if err != nil || res[0].Outcome != directory.OutcomeAdded || res[1].Reason != directory.ReasonDuplicate || !strings.Contains(res[1].Error, `tenant "d" is in the batch twice`) {
		t.Fatalf("duplicate in a batch: %+v, %v", res, err)
	}
	// Nothing refused was written.
	if got, _ := c.Get(ctx, "acme"); got.Epoch != 1 || got.Cell != "aws-use1" {
		t.Errorf("acme after the refusals: %+v", got)
	}
}

// raw sends a request by hand: signed with key (nil: unsigned) over
// signedBody, carrying body.
func raw(t *testing.T, s *server, key *edgeauth.Key, signedAt time.Time, method, path string, signedBody, body []byte, header func(string) string) (int, directory.ErrorBody) {
	t.Helper()
	u, _ := url.Parse(s.srv.URL + directory.BasePath + path)
	req, _ := http.NewRequest(method, "", bytes.NewReader(body))
	if key != nil {
		sg, err := edgeauth.NewSigner(*key, func() time.Time { return signedAt })
		if err != nil {
			t.Fatal(err)
		}
		h, q := directory.SignControl(sg, method, u.Host, u.EscapedPath(), nil, signedBody)
		if header != nil {
			h = header(h)
		}
		u.RawQuery = q
		req.Header.Set(edgeauth.SignatureHeader, h)
	}
	req.URL = u
	req.Host = u.Host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var eb directory.ErrorBody
	_ = json.Unmarshal(data, &eb)
	return resp.StatusCode, eb
}

// Unsigned, forged, wrongly keyed, expired or altered requests get 401 and
// write nothing.
func TestAuthentication(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	body := []byte(`{"cell":"aws-use1"}`)
	now := time.Now()
	wrongID := edgeauth.Key{ID: "ctl9", Secret: controlKey.Secret}
	edgeUnderControlID := edgeauth.Key{ID: controlKey.ID, Secret: edgeKey.Secret}
	tests := []struct {
		name       string
		key        *edgeauth.Key
		at         time.Time
		signedBody []byte
		header     func(string) string
		reason     string
	}{
		{name: "unsigned", reason: directory.AuthUnsigned},
		{name: "forged signature", key: &controlKey, at: now, signedBody: body, header: func(h string) string { return h[:len(h)-6] + "AAAAAA" }, reason: directory.AuthBadSignature},
		{name: "malformed signature", key: &controlKey, at: now, signedBody: body, header: func(string) string { return "v1,nonsense" }, reason: directory.AuthMalformed},
		{name: "wrong key id", key: &wrongID, at: now, signedBody: body, reason: directory.AuthUnknownKey},
		{name: "edge key used as control key", key: &edgeKey, at: now, signedBody: body, reason: directory.AuthUnknownKey},
		{name: "edge secret under the control key id", key: &edgeUnderControlID, at: now, signedBody: body, reason: directory.AuthBadSignature},
		{name: "body altered after signing", key: &controlKey, at: now, signedBody: []byte(`{"cell":"gcp-usc1"}`), reason: directory.AuthBodyMismatch},
		{name: "expired timestamp", key: &controlKey, at: now.Add(-10 * time.Minute), signedBody: body, reason: directory.AuthExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, eb := raw(t, s, tt.key, tt.at, "PUT", "/tenants/acme", tt.signedBody, body, tt.header)
			if status != 401 || eb.Reason != tt.reason || !strings.HasPrefix(eb.Error, "control request refused: ") {
				t.Fatalf("answer %d %+v, want 401 %s", status, eb, tt.reason)
			}
			for _, secret := range [][]byte{controlKey.Secret, edgeKey.Secret} {
				if strings.Contains(eb.Error, string(secret)) {
					t.Fatal("the answer shows a secret")
				}
			}
		})
	}
	if s.mem.Len() != 0 {
		t.Fatalf("refused requests wrote %d keys", s.mem.Len())
	}
	// The same request, properly signed, is accepted.
	if status, eb := raw(t, s, &controlKey, now, "PUT", "/tenants/acme", body, body, nil); status != 200 {
		t.Fatalf("signed request: %d %+v", status, eb)
	}
	// A client with the edge key is refused the same way.
	c := s.client(t, func(cfg *ClientConfig) { cfg.Key = edgeKey })
	_, err := c.Get(context.Background(), "acme")
	wantAPIError(t, err, 401, directory.AuthUnknownKey, "sign with the control key")
	// A client whose clock is off.
	c = s.client(t, func(cfg *ClientConfig) { cfg.Now = func() time.Time { return time.Now().Add(-time.Hour) } })
	_, err = c.Get(context.Background(), "acme")
	wantAPIError(t, err, 401, directory.AuthExpired, "check the client's clock")
}

func TestMalformedAndOversizedBodies(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	now := time.Now()
	malformed := []byte(`{"cell": "aws-use1",`)
	status, eb := raw(t, s, &controlKey, now, "PUT", "/tenants/acme", malformed, malformed, nil)
	if status != 400 || eb.Reason != directory.ReasonMalformed || eb.Tenant != "acme" || !strings.Contains(eb.Error, `tenant "acme"`) {
		t.Fatalf("malformed: %d %+v", status, eb)
	}
	big := bytes.Repeat([]byte(" "), directory.MaxBodyBytes+1)
	status, eb = raw(t, s, &controlKey, now, "POST", "/batch", big, big, nil)
	if status != 413 || eb.Reason != directory.ReasonBodyTooLarge || !strings.Contains(eb.Error, "batches of at most 1000") {
		t.Fatalf("oversized: %d %+v", status, eb)
	}
}
