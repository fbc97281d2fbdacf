package router

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// globex's cells in order: gcp-usc1 (primary), aws-use1, azure-weu.
func globexDecision(t *testing.T, h HealthView) Decision {
	t.Helper()
	d := mustCompile(t, testRegistry()).Decide(Request{Method: "GET", Tenant: "globex"}, h)
	if !d.Forward() || d.Len() != 3 {
		t.Fatalf("decision for globex: %+v", d)
	}
	return d
}

func TestAttemptsWalk(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		health HealthMap
		max    int
		want   []string
	}{
		{"every cell, in order", nil, 8, []string{"gcp-usc1", "aws-use1", "azure-weu"}},
		{"bounded by the attempts", nil, 2, []string{"gcp-usc1", "aws-use1"}},
		{"at least one attempt", nil, 0, []string{"gcp-usc1"}},
		{"later unhealthy cells skipped", HealthMap{"aws-use1": false}, 8, []string{"gcp-usc1", "azure-weu"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := globexDecision(t, nil)
			a := d.Attempts(tc.health, "GET", false, tc.max)
			var got []string
			for c := a.Next(); c != nil; c = a.Next() {
				got = append(got, c.ID)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") || a.Tried() != len(tc.want) {
				t.Errorf("walked %v (tried %d), want %v", got, a.Tried(), tc.want)
			}
		})
	}
}

func TestAttemptsFailed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		method   string
		hasBody  bool
		fail     Failure
		bodyRead bool
		health   HealthMap
		want     bool
	}{
		{"not sent, GET", "GET", false, FailNotSent, false, nil, true},
		{"not sent, POST without body read", "POST", true, FailNotSent, false, nil, true},
		{"not sent, POST after its body was read", "POST", true, FailNotSent, true, nil, false},
		{"broken, GET", "GET", false, FailBroken, false, nil, true},
		{"broken, PUT without body", "PUT", false, FailBroken, false, nil, true},
		{"broken, PUT with body", "PUT", true, FailBroken, false, nil, false},
		{"broken, POST", "POST", false, FailBroken, false, nil, false},
		{"timeout, GET", "GET", false, FailTimeout, false, nil, false},
		{"client fault, GET", "GET", false, FailClient, false, nil, false},
		{"not sent, but no healthy cell left", "GET", false, FailNotSent, false, HealthMap{"aws-use1": false, "azure-weu": false}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := globexDecision(t, nil)
			a := d.Attempts(tc.health, tc.method, tc.hasBody, 8)
			a.Next()
			if got := a.Failed(tc.fail, tc.bodyRead); got != tc.want {
				t.Errorf("Failed(%v, bodyRead %v) = %v, want %v", tc.fail, tc.bodyRead, got, tc.want)
			}
		})
	}
	if FailClient.CountsAgainstCell() || !FailBroken.CountsAgainstCell() || !FailNotSent.CountsAgainstCell() || !FailTimeout.CountsAgainstCell() {
		t.Error("only a client's fault may spare the cell")
	}
}

func TestAttemptsRetryStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		method  string
		hasBody bool
		status  int
		max     int
		want    bool
	}{
		{"503 GET", "GET", false, 503, 8, true},
		{"502 DELETE", "DELETE", false, 502, 8, true},
		{"504 HEAD", "HEAD", false, 504, 8, true},
		{"500 is an answer", "GET", false, 500, 8, false},
		{"404 is an answer", "GET", false, 404, 8, false},
		{"503 POST", "POST", false, 503, 8, false},
		{"503 PUT with body", "PUT", true, 503, 8, false},
		{"503 GET, attempts used up", "GET", false, 503, 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := globexDecision(t, nil)
			a := d.Attempts(nil, tc.method, tc.hasBody, tc.max)
			a.Next()
			if got := a.RetryStatus(tc.status); got != tc.want {
				t.Errorf("RetryStatus(%d) = %v, want %v", tc.status, got, tc.want)
			}
		})
	}
}

func TestAttemptsRefusal(t *testing.T) {
	t.Parallel()
	d := globexDecision(t, nil)
	a := d.Attempts(nil, "GET", false, 8)
	if r := a.Refusal(); r.Status != 502 || r.Reason != ReasonUpstreamFailed || r.Msg != "no cell could take the request" {
		t.Errorf("refusal before any attempt: %+v", r)
	}
	a.Next()
	a.Failed(FailBroken, false)
	if r := a.Refusal(); r.Status != 502 || !strings.Contains(r.Msg, "gcp-usc1") {
		t.Errorf("refusal after a broken attempt: %+v", r)
	}
	a.Next()
	a.Failed(FailTimeout, false)
	if r := a.Refusal(); r.Status != 504 || r.Reason != ReasonUpstreamTimeout {
		t.Errorf("refusal after a timeout: %+v", r)
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	snap := mustCompile(t, testRegistry())
	d := snap.Decide(Request{Method: "PUT", Tenant: "wayne"}, nil)
	r := d.Refusal()
	if r.Status != 503 || r.Reason != ReasonTenantReadonly || r.RetryAfter != WriteRetryAfter || r.Msg == "" {
		t.Errorf("decision refusal: %+v", r)
	}
	if r := NoRegistry("edge"); r.Status != 503 || r.Reason != ReasonNoRegistry || r.RetryAfter != NoRegistryRetryAfter || !strings.Contains(r.Msg, "edge") {
		t.Errorf("no registry: %+v", r)
	}
	if r := DirectoryUnavailable("wayne"); r.Status != 503 || r.Reason != ReasonDirectoryUnavailable || r.RetryAfter != DirectoryRetryAfter || !strings.Contains(r.Msg, `"wayne"`) {
		t.Errorf("directory unavailable: %+v", r)
	}
	if !slices.Contains(Reasons, ReasonDirectoryUnavailable) {
		t.Error("Reasons lacks directory_unavailable: metrics would not show it at zero")
	}
	if r := BadRequestBody("bad chunk length"); r.Status != 400 || r.Reason != ReasonBadRequestBody || !strings.Contains(r.Msg, "bad chunk length") {
		t.Errorf("bad body: %+v", r)
	}
	b, err := json.Marshal(r.Body("req-1", "wayne"))
	if err != nil || string(b) != `{"error":"tenant \"wayne\" is migrating: reads are served, writes are refused; retry after 30 seconds","reason":"tenant_readonly","requestId":"req-1","tenant":"wayne"}` {
		t.Errorf("error body %s (%v)", b, err)
	}
	seen := map[Reason]bool{}
	for _, r := range Reasons {
		if seen[r] || r == "" {
			t.Errorf("reason %q listed twice or empty", r)
		}
		seen[r] = true
	}
}
