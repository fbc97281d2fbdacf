package directory

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"

	"github.com/cellfabric/cellfabric/router"
)

// The feed the server router consumes (router/server.DirectoryFeed): the
// Directory serves it in process.
var _ interface {
	Load(ctx context.Context, each func([]router.Tenant) error) (string, error)
	Changes(ctx context.Context, position string) ([]router.TenantChange, string, error)
} = (*Directory)(nil)

func FuzzParsePosition(f *testing.F) {
	for _, s := range []string{"", "j/0029539440/1772366400000-acme", "j/0029539440/~", "j/0029539440/1772366400000", "j/0029539440/1772366400000-a|t/x", "t/acme", "j//", "j/9999999999/~|"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePosition(s)
		if err != nil {
			return
		}
		// A position that parses says where it is, and encodes back.
		if p.ms/msPerMinute != p.minute || p.key == "" {
			t.Fatalf("%q parsed to %+v", s, p)
		}
		if again, err := parsePosition(p.String()); err != nil || again != p {
			t.Fatalf("%q: %+v encodes to %q, which parses to %+v, %v", s, p, p.String(), again, err)
		}
	})
}

// Whatever a verified client sends, Serve answers with a JSON body and a
// status it documents, and never panics.
func FuzzServe(f *testing.F) {
	f.Add("PUT", "/tenants/acme", "ifEpoch=1", []byte(`{"cell":"aws-use1"}`))
	f.Add("POST", "/batch", "mode=upsert", []byte(`{"entries":[{"id":"a","cell":"aws-use1"},{"id":"b","cell":1}]}`))
	f.Add("POST", "/tenants/x/place", "", []byte(`{"residency":"eu","failoverCount":2}`))
	f.Add("GET", "/changes", "since=j/0029539440/~", []byte(nil))
	f.Add("GET", "/tenants", "limit=2&cursor=t/a", []byte(nil))
	f.Add("DELETE", "/tenants/acme", "ifEpoch=9", []byte(nil))
	f.Fuzz(func(t *testing.T, method, path, query string, body []byte) {
		fx := newFixture(t, 0, nil)
		q, _ := url.ParseQuery(query)
		resp := fx.dir.Serve(context.Background(), Request{Method: method, Path: BasePath + path, Query: q, Body: body, Authenticated: true})
		switch resp.Status {
		case 200, 400, 404, 405, 409, 410, 422, 503:
		default:
			t.Fatalf("status %d: %s", resp.Status, resp.Body)
		}
		if !json.Valid(resp.Body) {
			t.Fatalf("not JSON: %q", resp.Body)
		}
	})
}
