package directory

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/router"
)

// Serve's routing and refusals that need no HTTP (the endpoints' answers
// over real HTTP are tested in dirhttp).
func TestServeRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, 0, nil)
	f.put(t, router.Tenant{ID: "acme", Cell: "aws-use1"})
	tests := []struct {
		name          string
		req           Request
		status        int
		reason        string
		tenant        string
		fragment      string
		unauthorized  bool
		retryAfterSet bool
	}{
		{name: "not authenticated", req: Request{Method: "GET", Path: BasePath + "/tenants/acme"}, status: 401, reason: ReasonUnauthenticated, unauthorized: true, fragment: "control key"},
		{name: "outside the base path", req: Request{Method: "GET", Path: "/tenants/acme"}, status: 404, reason: ReasonNoRoute, fragment: "no control API endpoint"},
		{name: "unknown endpoint", req: Request{Method: "GET", Path: BasePath + "/nowhere"}, status: 404, reason: ReasonNoRoute, fragment: "cells/<id>/placement"},
		{name: "method on cells", req: Request{Method: "POST", Path: BasePath + "/cells"}, status: 405, reason: ReasonMethod, fragment: "use GET"},
		{name: "method on a placement", req: Request{Method: "GET", Path: BasePath + "/cells/aws-use1/placement"}, status: 405, reason: ReasonMethod, fragment: "use PUT"},
		{name: "cell without placement", req: Request{Method: "PUT", Path: BasePath + "/cells/aws-use1"}, status: 404, reason: ReasonNoRoute},
		{name: "malformed placement", req: Request{Method: "PUT", Path: BasePath + "/cells/aws-use1/placement", Body: []byte(`{"placement":"closed","why":"x"}`)}, status: 400, reason: ReasonMalformed, fragment: `unknown field "why"`},
		{name: "empty placement body", req: Request{Method: "PUT", Path: BasePath + "/cells/aws-use1/placement"}, status: 400, reason: ReasonMalformed},
		{name: "bad placement value", req: Request{Method: "PUT", Path: BasePath + "/cells/aws-use1/placement", Body: []byte(`{"placement":"shut"}`)}, status: 422, reason: ReasonInvalidFlag, fragment: `placement "shut" for cell "aws-use1"`},
		{name: "placement of an unknown cell", req: Request{Method: "PUT", Path: BasePath + "/cells/aws-x/placement", Body: []byte(`{"placement":"closed"}`)}, status: 422, reason: ReasonUnknownCell, fragment: `cell "aws-x" is not in the registry`},
		{name: "too deep", req: Request{Method: "GET", Path: BasePath + "/tenants/acme/x"}, status: 404, reason: ReasonNoRoute},
		{name: "method on a tenant", req: Request{Method: "POST", Path: BasePath + "/tenants/acme"}, status: 405, reason: ReasonMethod, tenant: "acme", fragment: "use GET, PUT or DELETE"},
		{name: "method on the list", req: Request{Method: "DELETE", Path: BasePath + "/tenants"}, status: 405, reason: ReasonMethod},
		{name: "method on place", req: Request{Method: "GET", Path: BasePath + "/tenants/acme/place"}, status: 405, reason: ReasonMethod},
		{name: "malformed body", req: Request{Method: "PUT", Path: BasePath + "/tenants/new", Body: []byte(`{"cell":`)}, status: 400, reason: ReasonMalformed, tenant: "new", fragment: `the body for tenant "new" is not a tenant entry`},
		{name: "unknown field", req: Request{Method: "PUT", Path: BasePath + "/tenants/new", Body: []byte(`{"cel":"aws-use1"}`)}, status: 400, reason: ReasonMalformed, tenant: "new", fragment: `unknown field "cel"`},
		{name: "duplicate key", tenant: "new", req: Request{Method: "PUT", Path: BasePath + "/tenants/new", Body: []byte(`{"cell":"aws-use1","cell":"x"}`)}, status: 400, reason: ReasonMalformed, fragment: "duplicate key"},
		{name: "empty body", tenant: "new", req: Request{Method: "PUT", Path: BasePath + "/tenants/new"}, status: 400, reason: ReasonMalformed},
		{name: "body names another tenant", tenant: "new", req: Request{Method: "PUT", Path: BasePath + "/tenants/new", Body: []byte(`{"id":"other","cell":"aws-use1"}`)}, status: 400, reason: ReasonMalformed, fragment: `the body names tenant "other" but the path names "new"`},
		{name: "bad ifEpoch", tenant: "acme", req: Request{Method: "PUT", Path: BasePath + "/tenants/acme", Query: url.Values{"ifEpoch": {"x"}}, Body: []byte(`{"cell":"aws-use1"}`)}, status: 400, reason: ReasonBadQuery, fragment: `ifEpoch="x" (tenant "acme")`},
		{name: "ifEpoch 0", tenant: "acme", req: Request{Method: "DELETE", Path: BasePath + "/tenants/acme", Query: url.Values{"ifEpoch": {"0"}}}, status: 400, reason: ReasonBadQuery, fragment: "ifAbsent=1 to add it"},
		{name: "bad ifAbsent", tenant: "acme", req: Request{Method: "PUT", Path: BasePath + "/tenants/acme", Query: url.Values{"ifAbsent": {"yes"}}, Body: []byte(`{"cell":"aws-use1"}`)}, status: 400, reason: ReasonBadQuery},
		{name: "invalid id", req: Request{Method: "GET", Path: BasePath + "/tenants/ACME"}, status: 422, reason: ReasonInvalidID, tenant: "ACME"},
		{name: "not found", req: Request{Method: "GET", Path: BasePath + "/tenants/ghost"}, status: 404, reason: ReasonNotFound, tenant: "ghost", fragment: `tenant "ghost" is not in the directory`},
		{name: "malformed batch", req: Request{Method: "POST", Path: BasePath + "/batch", Body: []byte(`[1,2]`)}, status: 400, reason: ReasonMalformed, fragment: `{"entries":[…]}`},
		{name: "malformed place", req: Request{Method: "POST", Path: BasePath + "/tenants/new/place", Body: []byte(`{"residency":1}`)}, status: 400, reason: ReasonMalformed, tenant: "new"},
		{name: "bad limit", req: Request{Method: "GET", Path: BasePath + "/tenants", Query: url.Values{"limit": {"5000"}}}, status: 400, reason: ReasonBadQuery, fragment: "1..1000"},
		{name: "bad position", req: Request{Method: "GET", Path: BasePath + "/changes", Query: url.Values{"since": {"nope"}}}, status: 400, reason: ReasonBadPosition},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req
			req.Authenticated = !tt.unauthorized
			resp := f.dir.Serve(ctx, req)
			var eb ErrorBody
			if err := json.Unmarshal(resp.Body, &eb); err != nil {
				t.Fatalf("body %s: %v", resp.Body, err)
			}
			if resp.Status != tt.status || eb.Reason != tt.reason || eb.Tenant != tt.tenant || !strings.Contains(eb.Error, tt.fragment) {
				t.Fatalf("answer %d %+v, want %d %s tenant %q containing %q", resp.Status, eb, tt.status, tt.reason, tt.tenant, tt.fragment)
			}
		})
	}
	// No refusal wrote anything.
	if n := len(f.journal(t)); n != 1 {
		t.Errorf("%d journal records, want the setup's 1", n)
	}
	// A batch entry that does not decode is reported; the others apply.
	resp := f.dir.Serve(ctx, Request{Method: "POST", Path: BasePath + "/batch", Authenticated: true,
		Body: []byte(`{"entries":[{"id":"ok1","cell":"aws-use1"},{"id":"broken","cell":7},{"id":"ok2","cell":"gcp-usc1"}]}`)})
	var br BatchResponse
	if err := json.Unmarshal(resp.Body, &br); err != nil || resp.Status != 200 || len(br.Results) != 3 {
		t.Fatalf("batch with a malformed entry: %d %s", resp.Status, resp.Body)
	}
	if br.Results[0].Outcome != OutcomeAdded || br.Results[2].Outcome != OutcomeAdded ||
		br.Results[1].Reason != ReasonMalformed || br.Results[1].ID != "broken" || !strings.Contains(br.Results[1].Error, `entries[1] (tenant "broken")`) {
		t.Fatalf("results %+v", br.Results)
	}
	// A 503 carries its Retry-After.
	f.snap = nil
	resp = f.dir.Serve(ctx, Request{Method: "PUT", Path: BasePath + "/tenants/acme", Body: []byte(`{"cell":"aws-use1"}`), Authenticated: true})
	if resp.Status != 503 || resp.RetryAfter <= 0 {
		t.Errorf("no registry: %d, Retry-After %d", resp.Status, resp.RetryAfter)
	}
}
