package main

import (
	"strings"
	"testing"
)

func TestHelp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		code       int
		wantStdout string
		wantStderr string
	}{
		{name: "commands", args: []string{"help"}, code: 0, wantStdout: "  version    print the version"},
		{name: "a command's flags", args: []string{"help", "route"}, code: 0, wantStdout: "usage: cellfabric route"},
		{name: "unknown command", args: []string{"help", "nope"}, code: 2, wantStderr: `cellfabric help: unknown command "nope"`},
		{name: "two commands", args: []string{"help", "route", "cell"}, code: 2, wantStderr: `cellfabric help: unexpected argument "cell"`},
		{name: "no command", args: nil, code: 2, wantStdout: "usage: cellfabric <command>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runCLI(tt.args...)
			if code != tt.code || !strings.Contains(stdout, tt.wantStdout) || !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, stdout, stderr, tt.code, tt.wantStdout, tt.wantStderr)
			}
		})
	}
}
