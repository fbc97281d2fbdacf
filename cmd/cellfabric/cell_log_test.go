package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/internal/logattr"
	"github.com/cellfabric/cellfabric/router/edgeauth"
)

// TestCellCommandLogs: `cellfabric cell` logs a JSON access line per
// signed request on stderr; on a GCP cell in Cloud Logging's JSON
// (severity, message), elsewhere in slog's (level, msg); text when asked;
// none with --access-log=false.
func TestCellCommandLogs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		cloud      string
		args       []string
		wantJSON   bool
		wantAccess bool
		wantKeys   []string // in every JSON line
		noKeys     []string // in no JSON line
	}{
		{name: "azure json", cloud: "azure", wantJSON: true, wantAccess: true, wantKeys: []string{"level", "msg", "time"}, noKeys: []string{"severity", "message"}},
		{name: "gcp json is Cloud Logging's", cloud: "gcp", wantJSON: true, wantAccess: true, wantKeys: []string{"severity", "message", "time"}, noKeys: []string{"level", "msg"}},
		{name: "gcp text", cloud: "gcp", args: []string{"--log-format", "text"}, wantAccess: true},
		{name: "access log off", cloud: "aws", args: []string{"--access-log=false"}, wantJSON: true, wantKeys: []string{"level", "msg"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := cellEnv()
			env["CELLFABRIC_CLOUD"] = tt.cloud
			env["CELLFABRIC_STATE_PROJECT"] = "acme-prod"
			base, stop, logs := startCellCommandLogs(t, env, tt.args...)
			signer, _ := edgeauth.NewSigner(edgeauth.Key{ID: "k3", Secret: []byte(cellTestSecret)}, nil)
			if code, _, body := cellCall(t, signer, "GET", base+"/kv/plan", "initech", ""); code != 404 {
				t.Fatalf("GET: %d %s", code, body)
			}
			if code := stop(); code != 0 {
				t.Fatalf("exit %d: %s", code, logs.String())
			}
			out := logs.String()
			access := regexp.MustCompile(`request served`).MatchString(out)
			if access != tt.wantAccess {
				t.Errorf("access line logged: %v, want %v:\n%s", access, tt.wantAccess, out)
			}
			if !tt.wantJSON {
				if !strings.Contains(out, `msg="request served" cellfabric.tenant=initech cellfabric.cell=azure-weu cloud=gcp`) {
					t.Errorf("no text access line:\n%s", out)
				}
				return
			}
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				var m map[string]any
				if err := json.Unmarshal([]byte(line), &m); err != nil {
					t.Fatalf("not a JSON line: %q", line)
				}
				for _, k := range tt.wantKeys {
					if _, ok := m[k]; !ok {
						t.Errorf("no %s in %s", k, line)
					}
				}
				for _, k := range tt.noKeys {
					if _, ok := m[k]; ok {
						t.Errorf("%s in %s", k, line)
					}
				}
				if m["msg"] == "request served" || m["message"] == "request served" {
					if m[logattr.Tenant] != "initech" || m[logattr.Cell] != "azure-weu" || m[logattr.Cloud] != tt.cloud || m[logattr.Operation] != "kv.get" || m[logattr.Status] != float64(404) {
						t.Errorf("access line %s", line)
					}
				}
			}
		})
	}
}
