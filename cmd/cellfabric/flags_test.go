package main

import (
	"strings"
	"testing"
)

// TestCommandFlags: every command answers -h with its usage and status 0,
// and a flag it does not know or a stray argument with what was wrong, then
// its usage, and status 2, before doing anything else.
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
			if code != 2 || !saysFirst(stderr, "cellfabric "+name+": ", `"stray"`) || !strings.Contains(stderr, "usage: cellfabric "+name) {
				t.Errorf("stray argument: exit %d, stderr %q; want 2, what was wrong, then the usage", code, stderr)
			}
		})
	}
}

// saysFirst reports whether the first line of out holds every one of want.
func saysFirst(out string, want ...string) bool {
	first, _, _ := strings.Cut(out, "\n")
	for _, w := range want {
		if !strings.Contains(first, w) {
			return false
		}
	}
	return true
}

// TestMissingRequiredFlag: a command missing a required flag names it
// before printing its usage.
func TestMissingRequiredFlag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "route", args: []string{"route"}, want: "cellfabric route: --registry is required"},
		{name: "route with other flags", args: []string{"route", "--unsigned"}, want: "cellfabric route: --registry is required"},
		{name: "registry", args: []string{"registry"}, want: "cellfabric registry: --from is required"},
		{name: "registry with other flags", args: []string{"registry", "--epoch", "7"}, want: "cellfabric registry: --from is required"},
		{name: "synth", args: []string{"synth"}, want: "cellfabric synth: give exactly one of --stack NAME or --config FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := runCLI(tt.args...)
			if code != 2 || !saysFirst(stderr, tt.want) || !strings.Contains(stderr, "usage: cellfabric "+tt.args[0]) {
				t.Errorf("exit %d, stderr %q; want 2, %q first, then the usage", code, stderr, tt.want)
			}
		})
	}
}

// TestLogFormatRefused: every command with --log-format refuses a format
// it does not have, naming the ones it has, before doing anything else.
func TestLogFormatRefused(t *testing.T) {
	t.Parallel()
	var withLogs []string
	for name, c := range commands {
		if c.flags().Lookup("log-format") != nil {
			withLogs = append(withLogs, name)
		}
	}
	if len(withLogs) < 3 {
		t.Fatalf("only %v have --log-format; route, cell and local should", withLogs)
	}
	for _, name := range withLogs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := runCLI(name, "--log-format", "xml")
			if code != 2 || !saysFirst(stderr, `"xml"`, "log-format", "text", "json") {
				t.Errorf("exit %d, stderr %q; want 2 and the valid formats first", code, stderr)
			}
		})
	}
}

// TestUsageShowsOneDefault: no flag's entry in -h states its default twice
// (once in its text and once from the flag package).
func TestUsageShowsOneDefault(t *testing.T) {
	t.Parallel()
	for name, c := range commands {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var out strings.Builder
			fs := c.flags()
			fs.SetOutput(&out)
			fs.PrintDefaults()
			for _, entry := range strings.Split(out.String(), "\n  -")[1:] {
				if n := strings.Count(entry, "(default"); n > 1 {
					t.Errorf("-%s states its default %d times", strings.TrimSpace(entry), n)
				}
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
