package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router/edgeauth"
)

const cellTestSecret = "cell-command-test-edge-secret-42"

// startCellCommand runs `cellfabric cell` in-process on a free loopback port
// and returns its base URL and a stop function returning the exit status.
func startCellCommand(t *testing.T, env map[string]string, extra ...string) (string, func() int) {
	t.Helper()
	base, stop, _ := startCellCommandLogs(t, env, extra...)
	return base, stop
}

// startCellCommandLogs is startCellCommand that also returns what the
// cell writes to stderr: its logs.
func startCellCommandLogs(t *testing.T, env map[string]string, extra ...string) (string, func() int, *lockedBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	args := append([]string{"--listen", "127.0.0.1:0"}, extra...)
	go func() { done <- cellMain(ctx, args, func(k string) string { return env[k] }, &stdout, &stderr) }()
	re := regexp.MustCompile(`listening on (http://127\.0\.0\.1:[0-9]+)`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := re.FindStringSubmatch(stdout.String()); m != nil {
			return m[1], func() int { cancel(); return <-done }, &stderr
		}
		select {
		case code := <-done:
			cancel()
			t.Fatalf("cell exited with %d: %s", code, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("cell did not start: %q %q", stdout.String(), stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func cellEnv() map[string]string {
	return map[string]string{
		"CELLFABRIC_CELL_ID": "azure-weu", "CELLFABRIC_CLOUD": "azure", "CELLFABRIC_REGION": "westeurope",
		"CELLFABRIC_EDGE_KEY": cellTestSecret, "CELLFABRIC_EDGE_KEY_ID": "k3",
		"CELLFABRIC_STATE_STORE": "cellfabric-azure-weu",
	}
}

func TestCellCommandRefusesToStart(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		unset []string
		set   map[string]string
		want  []string
	}{
		{"no edge key", []string{"CELLFABRIC_EDGE_KEY"}, nil, []string{"refusing to start without an edge key", "CELLFABRIC_EDGE_KEY"}},
		{"short edge key", nil, map[string]string{"CELLFABRIC_EDGE_KEY": "tiny"}, []string{"at least 16"}},
		{"no cell id", []string{"CELLFABRIC_CELL_ID"}, nil, []string{"CELLFABRIC_CELL_ID"}},
		{"no cloud", []string{"CELLFABRIC_CLOUD"}, nil, []string{"CELLFABRIC_CLOUD"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := cellEnv()
			for _, k := range tt.unset {
				delete(env, k)
			}
			for k, v := range tt.set {
				env[k] = v
			}
			var stdout, stderr lockedBuffer
			code := cellMain(context.Background(), []string{"--listen", "127.0.0.1:0"}, func(k string) string { return env[k] }, &stdout, &stderr)
			if code != 1 {
				t.Fatalf("exit %d, want 1; stderr %s", code, stderr.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr %q does not say %q", stderr.String(), w)
				}
			}
			if strings.Contains(stderr.String()+stdout.String(), cellTestSecret) {
				t.Error("the secret was printed")
			}
		})
	}
}

func TestCellDefaultListen(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, port, want string }{
		{"PORT set", "9000", ":9000"},
		{"no PORT", "", ":8080"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := defaultCellListen(func(k string) string { return map[string]string{"PORT": tt.port}[k] }); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestCellEnvDefaults: --listen and --data-dir take their defaults from the
// environment only when not given, and -h states each default once (the
// flag package adds none: the zero default).
func TestCellEnvDefaults(t *testing.T) {
	t.Parallel()
	env := map[string]string{"PORT": "9000", EnvDataDir: "/var/lib/cell"}
	tests := []struct {
		name              string
		args              []string
		env               map[string]string
		wantListen, wantD string
	}{
		{name: "from the environment", env: env, wantListen: ":9000", wantD: "/var/lib/cell"},
		{name: "empty environment", env: nil, wantListen: ":8080", wantD: ""},
		{name: "flags win", args: []string{"--listen", "127.0.0.1:7000", "--data-dir", "/tmp/x"}, env: env, wantListen: "127.0.0.1:7000", wantD: "/tmp/x"},
		{name: "explicitly in memory", args: []string{"--data-dir", ""}, env: env, wantListen: ":9000", wantD: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var o cellOptions
			fs := o.flagSet()
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			o.withEnvDefaults(fs, func(k string) string { return tt.env[k] })
			if o.listen != tt.wantListen || o.dataDir != tt.wantD {
				t.Errorf("listen %q data-dir %q; want %q %q", o.listen, o.dataDir, tt.wantListen, tt.wantD)
			}
		})
	}
}

// cellCall sends a request, signed for tenant when s is not nil.
func cellCall(t *testing.T, s *edgeauth.Signer, method, url, tenant, body string) (int, http.Header, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, rd)
	if s != nil {
		s.SignRequest(req, tenant)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// TestCellCommand: env config, signed requests accepted, forged and
// unsigned refused, tenant isolation in the key/value API, and data kept
// across a restart with --data-dir.
func TestCellCommand(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	base, stop := startCellCommand(t, cellEnv(), "--data-dir", dataDir)
	signer, _ := edgeauth.NewSigner(edgeauth.Key{ID: "k3", Secret: []byte(cellTestSecret)}, nil)
	forger, _ := edgeauth.NewSigner(edgeauth.Key{ID: "k3", Secret: []byte("a-guess-at-the-edge-secret-0000")}, nil)

	code, h, body := cellCall(t, nil, "GET", base+"/healthz", "", "")
	var health struct {
		Status, Cell, Cloud, Region string
		Store                       struct{ Kind string }
	}
	json.Unmarshal([]byte(body), &health)
	if code != 200 || health.Cell != "azure-weu" || health.Cloud != "azure" || health.Region != "westeurope" || health.Store.Kind != "embedded" || h.Get("X-Cell-ID") != "azure-weu" {
		t.Fatalf("healthz: %d %s", code, body)
	}
	if code, _, body := cellCall(t, signer, "GET", base+"/anything", "initech", ""); code != 200 || !strings.Contains(body, `"tenant":"initech"`) || !strings.Contains(body, `"cell":"azure-weu"`) {
		t.Errorf("signed request: %d %s", code, body)
	}
	if code, _, _ := cellCall(t, nil, "GET", base+"/anything", "", ""); code != http.StatusUnauthorized {
		t.Errorf("unsigned request: %d", code)
	}
	if code, _, _ := cellCall(t, forger, "GET", base+"/anything", "initech", ""); code != http.StatusUnauthorized {
		t.Errorf("forged request: %d", code)
	}
	if code, _, body := cellCall(t, signer, "PUT", base+"/kv/plan", "initech", "gold"); code != http.StatusCreated {
		t.Fatalf("PUT: %d %s", code, body)
	}
	if code, _, body := cellCall(t, signer, "GET", base+"/kv/plan", "stark", ""); code != http.StatusNotFound {
		t.Errorf("another tenant reads initech's key: %d %s", code, body)
	}
	if code, _, body := cellCall(t, signer, "GET", base+"/kv/", "stark", ""); code != 200 || strings.Contains(body, "plan") {
		t.Errorf("another tenant lists initech's keys: %d %s", code, body)
	}
	if code := stop(); code != 0 {
		t.Fatalf("graceful stop: exit %d", code)
	}

	base, stop = startCellCommand(t, cellEnv(), "--data-dir", dataDir)
	defer stop()
	if code, _, body := cellCall(t, signer, "GET", base+"/kv/plan", "initech", ""); code != 200 || body != "gold" {
		t.Errorf("after restart: %d %q, want the value written before", code, body)
	}
}
