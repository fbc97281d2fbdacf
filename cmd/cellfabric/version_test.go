package main

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestWriteVersion(t *testing.T) {
	t.Parallel()
	stamped := func(modified string) *debug.BuildInfo {
		return &debug.BuildInfo{
			GoVersion: "go1.26.8",
			Main:      debug.Module{Path: "github.com/cellfabric/cellfabric", Version: "v0.0.0-20261205212000-858668e1c0de+dirty"},
			Settings: []debug.BuildSetting{
				{Key: "vcs", Value: "git"},
				{Key: "vcs.revision", Value: "858668e1c0de0123456789abcdef0123456789ab"},
				{Key: "vcs.time", Value: "2026-12-05T21:20:00Z"},
				{Key: "vcs.modified", Value: modified},
			},
		}
	}
	tests := []struct {
		name     string
		info     *debug.BuildInfo
		want     []string
		wantNone []string
	}{
		{
			name: "no build information",
			info: nil,
			want: []string{"cellfabric (devel)\n", "commit  unknown", "go      " + runtime.Version()},
		},
		{
			name:     "go run: devel, nothing stamped",
			info:     &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/cellfabric/cellfabric", Version: "(devel)"}},
			want:     []string{"cellfabric (devel)\n", "module  github.com/cellfabric/cellfabric", "commit  unknown (not stamped", "go      go1.26.8"},
			wantNone: []string{"time"},
		},
		{
			name: "go build with local changes",
			info: stamped("true"),
			want: []string{
				"cellfabric v0.0.0-20261205212000-858668e1c0de+dirty\n",
				"commit  858668e1c0de0123456789abcdef0123456789ab (modified: built with uncommitted changes)",
				"time    2026-12-05T21:20:00Z",
				"go      go1.26.8 " + runtime.GOOS + "/" + runtime.GOARCH,
			},
		},
		{
			name:     "go build of a clean checkout",
			info:     stamped("false"),
			want:     []string{"commit  858668e1c0de0123456789abcdef0123456789ab\n"},
			wantNone: []string{"modified", "unknown"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b strings.Builder
			writeVersion(&b, tt.info)
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, b.String())
				}
			}
			for _, w := range tt.wantNone {
				if strings.Contains(b.String(), w) {
					t.Errorf("output has %q:\n%s", w, b.String())
				}
			}
		})
	}
}

// TestVersionCommand: `cellfabric version` and `cellfabric --version` print
// the same thing, from this binary's build information.
func TestVersionCommand(t *testing.T) {
	t.Parallel()
	code, out, stderr := runCLI("version")
	if code != 0 || !strings.HasPrefix(out, "cellfabric ") || !strings.Contains(out, "go      "+runtime.Version()) {
		t.Fatalf("version: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	code, out2, _ := runCLI("--version")
	if code != 0 || out2 != out {
		t.Errorf("--version: exit %d, %q; want 0 and %q", code, out2, out)
	}
}
