package main

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/stateapi"
)

// TestCellCommandStateAPI: --control-key-file turns the state admin API
// on; without it the API's paths answer 404.
func TestCellCommandStateAPI(t *testing.T) {
	t.Parallel()
	key := edgeauth.Key{ID: "ctl", Secret: []byte("cell-command-test-control-key-42")}
	path := filepath.Join(t.TempDir(), "control.key")
	if err := os.WriteFile(path, []byte(key.ID+"="+string(key.Secret)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		args   []string
		status int // 0: the fence is set
	}{
		{"with a control key", []string{"--control-key-file", path}, 0},
		{"without", nil, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			base, stop := startCellCommand(t, cellEnv(), tc.args...)
			defer stop()
			c, err := stateapi.NewClient(stateapi.ClientConfig{BaseURL: base, Key: key, MaxAttempts: 1})
			if err != nil {
				t.Fatal(err)
			}
			m, err := c.SetFence(ctx, "acme", state.FenceState{Fence: 2})
			var ae *stateapi.Error
			switch {
			case tc.status == 0 && (err != nil || m.Fence != 2):
				t.Errorf("fence through the API: %+v %v", m, err)
			case tc.status != 0 && (!errors.As(err, &ae) || ae.Status != tc.status):
				t.Errorf("fence through the API: %v, want %d", err, tc.status)
			}
		})
	}
}

func TestCellCommandRefusesABadControlKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name, path, want string
	}{
		{"missing file", filepath.Join(dir, "nope"), "reading the control key"},
		{"a short secret", write("short", "ctl=tiny\n"), "control key from"},
		{"two keys", write("two", "a=first-control-secret-0123\nb=second-control-secret-012\n"), "give exactly one"},
		{"the edge key's secret", write("edge", "ctl="+cellTestSecret+"\n"), "same secret as edge key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr lockedBuffer
			env := cellEnv()
			cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			code := cellMain(cctx, []string{"--listen", "127.0.0.1:0", "--control-key-file", tc.path}, func(k string) string { return env[k] }, &stdout, &stderr)
			if code != 1 || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr.String(), tc.want)
			}
		})
	}
}
