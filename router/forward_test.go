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

func TestStalePlacement(t *testing.T) {
	t.Parallel()
	long := `{"reason":"stale_placement","error":"` + strings.Repeat("x", StaleBodyBytes) + `"}`
	tests := []struct {
		name   string
		status int
		body   string
		want   bool
	}{
		{"the cell's refusal", 421, `{"error":"tenant acme moved","reason":"stale_placement","tenant":"acme","epoch":7}`, true},
		{"another reason", 421, `{"reason":"wrong_host"}`, false},
		{"not JSON", 421, `stale_placement`, false},
		{"empty", 421, ``, false},
		{"too long to be one", 421, long, false},
		{"another status", 409, `{"reason":"stale_placement"}`, false},
		{"reason of another type", 421, `{"reason":7}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := StalePlacement(tc.status, []byte(tc.body)); got != tc.want {
				t.Errorf("StalePlacement(%d, %.40q) = %v, want %v", tc.status, tc.body, got, tc.want)
			}
		})
	}
}

// TestRetryStale: a stale_placement answer is retried once, on the fresh
// placement's first cell only, when it is newer and the request can be
// sent again; never a second time.
func TestRetryStale(t *testing.T) {
	t.Parallel()
	snap := mustCompile(t, testRegistry())
	old := Tenant{ID: "newco", Cell: "aws-use1", Failover: []string{"gcp-usc1"}, Epoch: 4}
	moved := Tenant{ID: "newco", Cell: "azure-weu", Failover: []string{"gcp-usc1", "aws-use1"}, Epoch: 6}
	same := old
	readonly := moved
	readonly.State = "readonly"
	tests := []struct {
		name       string
		fresh      *Tenant
		method     string
		replayable bool
		want       bool
	}{
		{"newer placement", &moved, "PUT", true, true},
		{"newer placement, POST", &moved, "POST", true, true},
		{"nothing newer", &same, "PUT", true, false},
		{"older placement", &Tenant{ID: "newco", Cell: "azure-weu", Epoch: 3}, "PUT", true, false},
		{"body not replayable", &moved, "PUT", false, false},
		{"fresh placement refuses the write", &readonly, "PUT", true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := snap.DecideFor(Request{Method: tc.method, Tenant: "newco"}, &old, nil)
			a := d.Attempts(nil, tc.method, true, 3)
			if c := a.Next(); c == nil || c.ID != "aws-use1" {
				t.Fatalf("first attempt %v", c)
			}
			fresh := snap.DecideFor(Request{Method: tc.method, Tenant: "newco"}, tc.fresh, nil)
			if got := a.RetryStale(&fresh, d.Epoch(), tc.replayable); got != tc.want {
				t.Fatalf("RetryStale = %v, want %v", got, tc.want)
			}
			if !tc.want {
				return
			}
			var walked []string
			for c := a.Next(); c != nil; c = a.Next() {
				walked = append(walked, c.ID)
				if a.Failed(FailNotSent, false) || a.RetryStatus(503) {
					t.Errorf("the stale retry may go on to another cell")
				}
			}
			if strings.Join(walked, ",") != "azure-weu" || a.Tried() != 2 {
				t.Errorf("after the stale retry walked %v (tried %d), want azure-weu alone (2 in all)", walked, a.Tried())
			}
			if a.RetryStale(&fresh, 0, true) {
				t.Error("a second stale retry")
			}
		})
	}
}
