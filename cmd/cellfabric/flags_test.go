package main

import (
	"strings"
	"testing"
)

// TestCommandFlags: every command answers -h with its usage and status 0,
// and a flag it does not know or a stray argument with its usage and
// status 2, before doing anything else.
func TestCommandFlags(t *testing.T) {
	t.Parallel()
	for name := range commands {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := runCLI(name, "-h")
			if code != 0 || !strings.Contains(stderr, "usage: cellfabric "+name) {
				t.Errorf("-h: exit %d, stderr %q", code, stderr)
			}
			code, _, stderr = runCLI(name, "--no-such-flag")
			if code != 2 || !strings.Contains(stderr, "no-such-flag") {
				t.Errorf("unknown flag: exit %d, stderr %q", code, stderr)
			}
			code, _, stderr = runCLI(name, "stray")
			if code != 2 || !strings.Contains(stderr, "usage: cellfabric "+name) {
				t.Errorf("stray argument: exit %d, stderr %q", code, stderr)
			}
		})
	}
}

// TestHelpReadsWell: in every command's -h, a flag's argument name is one
// word (the flag package takes the first back-quoted phrase of a usage
// string as the argument name, so "-from pulumi stack output --json" came
// out), no back quote is left over, and no flag states its default twice.
func TestHelpReadsWell(t *testing.T) {
	t.Parallel()
	for name := range commands {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, _, help := runCLI(name, "-h")
			if strings.Contains(help, "`") {
				t.Errorf("-h prints a back quote:\n%s", help)
			}
			lines := strings.Split(help, "\n")
			for i, line := range lines {
				if !strings.HasPrefix(line, "  -") {
					continue
				}
				if f := strings.Fields(line); len(f) > 2 {
					t.Errorf("flag line %q: the argument name is %d words", line, len(f)-1)
				}
				if i+1 < len(lines) && strings.Count(lines[i+1], "(default") > 1 {
					t.Errorf("flag %s states its default twice: %q", line, lines[i+1])
				}
			}
		})
	}
}
