package refcell

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/cellfabric/cellfabric/internal/logattr"
	"github.com/cellfabric/cellfabric/internal/logattr/cloudlogging"
	"github.com/cellfabric/cellfabric/internal/tracing"
)

// serveDirect serves one request on c in the test's goroutine, so that the
// access line, written after the response, is in the log when it returns.
func serveDirect(t *testing.T, c *Cell, method, path, tenant string, body []byte, edit func(*http.Request)) int {
	t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if tenant != "" {
		signer(t, testKey, nil).SignRequest(req, tenant)
	}
	if edit != nil {
		edit(req)
	}
	w := httptest.NewRecorder()
	c.ServeHTTP(w, req)
	return w.Code
}

// logLines decodes every line of buf as one JSON object.
func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not one JSON object: %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// accessLines are the access log's lines in lines, under slog's message
// key or Cloud Logging's.
func accessLines(lines []map[string]any) []map[string]any {
	var out []map[string]any
	for _, m := range lines {
		if m["msg"] == accessMsg || m[cloudlogging.KeyMessage] == accessMsg {
			out = append(out, m)
		}
	}
	return out
}

// cloudLoggingKeys are Cloud Logging's special fields, which only its
// handler writes.
var cloudLoggingKeys = []string{cloudlogging.KeySeverity, cloudlogging.KeyMessage, cloudlogging.KeyTrace, cloudlogging.KeySpanID, cloudlogging.KeyTraceSampled}

// TestAccessLog: a signed request logs one JSON line with the tenant the
// edge signed, the cell, its cloud and region, the operation, the status,
// the duration and the router's request id; with a trace active, the
// cell's server span's trace and span ids; and, through the Cloud Logging
// handler with a project, Cloud Logging's severity, message and trace
// fields, which the plain JSON handler never writes.
func TestAccessLog(t *testing.T) {
	t.Parallel()
	const requestID = "0af7651916cd43dd8448eb211c80319c"
	tests := []struct {
		name         string
		method, path string
		body         []byte
		traced       bool
		cloudLogging bool
		wantOp       string
		wantStatus   int
	}{
		{name: "put", method: "PUT", path: "/kv/k1", body: []byte("v"), wantOp: "kv.put", wantStatus: 201},
		{name: "get missing", method: "GET", path: "/kv/nope", wantOp: "kv.get", wantStatus: 404},
		{name: "echo", method: "GET", path: "/orders", wantOp: "echo", wantStatus: 200},
		{name: "traced", method: "GET", path: "/kv/", traced: true, wantOp: "kv.list", wantStatus: 200},
		{name: "cloud logging, traced", method: "DELETE", path: "/kv/nope", traced: true, cloudLogging: true, wantOp: "kv.delete", wantStatus: 404},
		{name: "cloud logging, no trace", method: "GET", path: "/orders", cloudLogging: true, wantOp: "echo", wantStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			var h slog.Handler = slog.NewJSONHandler(&buf, nil)
			if tt.cloudLogging {
				h = cloudlogging.NewHandler(&buf, cloudlogging.Options{Project: "acme-prod"})
			}
			cfg := Config{Logger: slog.New(h)}
			var exp *tracetest.InMemoryExporter
			if tt.traced {
				exp = tracetest.NewInMemoryExporter()
				p, err := tracing.New(context.Background(), tracing.Config{Service: "cellfabric-cell", Sample: 1, Exporter: exp})
				if err != nil {
					t.Fatal(err)
				}
				cfg.Tracing = p
			}
			c, _ := testCell(t, cfg)
			status := serveDirect(t, c, tt.method, tt.path, "acme", tt.body, func(r *http.Request) {
				r.Header.Set("X-Request-ID", requestID)
				r.Header.Set("Traceparent", "00-"+parentTraceID+"-"+parentSpanID+"-01")
			})
			if status != tt.wantStatus {
				t.Fatalf("status %d, want %d", status, tt.wantStatus)
			}
			lines := accessLines(logLines(t, &buf))
			if len(lines) != 1 {
				t.Fatalf("%d access lines, want 1:\n%s", len(lines), buf.String())
			}
			got := lines[0]
			for k, want := range map[string]any{
				logattr.Tenant: "acme", logattr.Cell: "aws-use1", logattr.Cloud: "aws", logattr.Region: "us-east-1",
				logattr.Operation: tt.wantOp, logattr.Status: float64(tt.wantStatus), logattr.RequestID: requestID,
			} {
				if got[k] != want {
					t.Errorf("%s = %v, want %v", k, got[k], want)
				}
			}
			if d, ok := got[logattr.DurationMS].(float64); !ok || d < 0 {
				t.Errorf("%s = %v, want a number of milliseconds", logattr.DurationMS, got[logattr.DurationMS])
			}
			if !tt.traced {
				for _, k := range []string{logattr.TraceID, logattr.SpanID, cloudlogging.KeyTrace, cloudlogging.KeySpanID, cloudlogging.KeyTraceSampled} {
					if v, ok := got[k]; ok {
						t.Errorf("%s = %v without a trace", k, v)
					}
				}
			} else {
				if err := cfg.Tracing.ForceFlush(context.Background()); err != nil {
					t.Fatal(err)
				}
				var serverSpan string
				for _, s := range exp.GetSpans() {
					if s.Name == spanRequest {
						serverSpan = s.SpanContext.SpanID().String()
					}
				}
				if serverSpan == "" || serverSpan == parentSpanID {
					t.Fatalf("no server span of the cell's own: %q", serverSpan)
				}
				if got[logattr.TraceID] != parentTraceID || got[logattr.SpanID] != serverSpan {
					t.Errorf("trace %v span %v, want the server span's: %s %s", got[logattr.TraceID], got[logattr.SpanID], parentTraceID, serverSpan)
				}
				if tt.cloudLogging {
					for k, want := range map[string]any{
						cloudlogging.KeyTrace: "projects/acme-prod/traces/" + parentTraceID, cloudlogging.KeySpanID: serverSpan, cloudlogging.KeyTraceSampled: true,
					} {
						if got[k] != want {
							t.Errorf("%s = %v, want %v", k, got[k], want)
						}
					}
				}
			}
			if tt.cloudLogging {
				if got[cloudlogging.KeySeverity] != "INFO" || got[cloudlogging.KeyMessage] != accessMsg {
					t.Errorf("severity %v message %v, want INFO %q", got[cloudlogging.KeySeverity], got[cloudlogging.KeyMessage], accessMsg)
				}
				if _, ok := got["level"]; ok {
					t.Error("slog's level key written next to severity")
				}
				return
			}
			for _, k := range cloudLoggingKeys {
				if v, ok := got[k]; ok {
					t.Errorf("Cloud Logging field %s = %v from the plain JSON handler", k, v)
				}
			}
			if got["level"] != "INFO" {
				t.Errorf("level %v, want INFO", got["level"])
			}
		})
	}
}

// TestAccessLogRefused: a request whose signature does not verify gets no
// access line, and its refusal is logged without the tenant its
// unverified X-Tenant-ID names; /healthz is not logged.
func TestAccessLogRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		tenant string // signed for; "" unsigned
		edit   func(*http.Request)
	}{
		{name: "tenant header changed after signing", tenant: "acme", edit: func(r *http.Request) { r.Header.Set("X-Tenant-ID", "victim") }},
		{name: "unsigned", edit: func(r *http.Request) { r.Header.Set("X-Tenant-ID", "victim") }},
		{name: "signed by another key", edit: func(r *http.Request) { signer(t, otherKey, nil).SignRequest(r, "victim") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			c, _ := testCell(t, Config{Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
			if status := serveDirect(t, c, "GET", "/kv/secret", tt.tenant, nil, tt.edit); status != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", status)
			}
			if status := serveDirect(t, c, "GET", HealthPath, "", nil, nil); status != http.StatusOK {
				t.Fatalf("healthz %d", status)
			}
			lines := logLines(t, &buf)
			if n := len(accessLines(lines)); n != 0 {
				t.Errorf("%d access lines for a refused request:\n%s", n, buf.String())
			}
			if len(lines) != 1 || lines[0]["msg"] != "request refused: bad edge signature" || lines[0][logattr.Cell] != "aws-use1" {
				t.Fatalf("want the refusal's line alone:\n%s", buf.String())
			}
			if _, ok := lines[0][logattr.Tenant]; ok || strings.Contains(buf.String(), "victim") {
				t.Errorf("the refusal logs the unverified tenant:\n%s", buf.String())
			}
		})
	}
}

// TestAccessLogOff: AccessLogOff leaves out the access line, not the
// refusals.
func TestAccessLogOff(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	c, _ := testCell(t, Config{Logger: slog.New(slog.NewJSONHandler(&buf, nil)), AccessLogOff: true})
	if status := serveDirect(t, c, "GET", "/orders", "acme", nil, nil); status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	if buf.Len() != 0 {
		t.Errorf("logged with the access log off:\n%s", buf.String())
	}
	serveDirect(t, c, "GET", "/orders", "", nil, nil)
	if !strings.Contains(buf.String(), "request refused") {
		t.Errorf("the refusal was not logged:\n%s", buf.String())
	}
}
