package main

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompletionScriptsCoverEveryCommand: each script names every command
// and every flag of every command, as their flag sets define them.
func TestCompletionScriptsCoverEveryCommand(t *testing.T) {
	t.Parallel()
	for _, shell := range completionShells {
		t.Run(shell, func(t *testing.T) {
			t.Parallel()
			code, script, stderr := runCLI("completion", shell)
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			for name, c := range commands {
				if !strings.Contains(script, name) {
					t.Errorf("the %s script does not name the command %s", shell, name)
				}
				c.flags().VisitAll(func(f *flag.Flag) {
					word := "--" + f.Name
					if shell == "fish" {
						word = "-l " + f.Name
					}
					if !strings.Contains(script, word) {
						t.Errorf("the %s script lacks %s %s", shell, name, word)
					}
				})
			}
			for _, w := range []string{"help", "text json", "bash zsh fish"} {
				if !strings.Contains(script, w) {
					t.Errorf("the %s script lacks %q", shell, w)
				}
			}
		})
	}
}

// TestBashCompletion: bash parses the script, and sourced it completes
// commands, flags and the values of flags that have a fixed set.
func TestBashCompletion(t *testing.T) {
	t.Parallel()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatalf("bash is needed to test the bash completion: %v", err)
	}
	code, script, _ := runCLI("completion", "bash")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	path := filepath.Join(t.TempDir(), "cellfabric.bash")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bash, "-n", path).CombinedOutput(); err != nil {
		t.Fatalf("bash -n: %v\n%s", err, out)
	}
	tests := []struct {
		line string // what is typed; the word being completed is the last
		want string
	}{
		{line: "cellfabric ro", want: "route"},
		{line: "cellfabric ''", want: "cell cells completion edge-health help local observe registry route standby synth tenants version --help --version"},
		{line: "cellfabric standby r", want: "run"},
		{line: "cellfabric tenants pro", want: "promote"},
		{line: "cellfabric tenants im", want: "import"},
		{line: "cellfabric cells un", want: "undrain"},
		{line: "cellfabric cells ev", want: "evacuate"},
		{line: "cellfabric cells --key", want: "--key-file"},
		{line: "cellfabric tenants -o ''", want: "table json"},
		{line: "cellfabric route --reg", want: "--registry"},
		{line: "cellfabric registry --f", want: "--from"},
		{line: "cellfabric route --log-format ''", want: "text json"},
		{line: "cellfabric local --log-format j", want: "json"},
		{line: "cellfabric completion ''", want: "bash zsh fish"},
		{line: "cellfabric help lo", want: "local"},
		{line: "cellfabric synth --stack dev --for", want: "--format"},
		{line: "cellfabric route --no-such", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			t.Parallel()
			driver := `source "$1"
COMP_WORDS=(` + tt.line + `)
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
_cellfabric
echo "${COMPREPLY[*]}"`
			out, err := exec.Command(bash, "-c", driver, "bash", path).CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if got := strings.TrimSpace(string(out)); got != tt.want {
				t.Errorf("completes to %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCompletionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "no shell", args: []string{"completion"}, want: "cellfabric completion: name the shell: want bash, zsh, fish"},
		{name: "unknown shell", args: []string{"completion", "tcsh"}, want: `cellfabric completion: unknown shell "tcsh"`},
		{name: "two shells", args: []string{"completion", "bash", "zsh"}, want: `cellfabric completion: unexpected argument "zsh"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runCLI(tt.args...)
			if code != 2 || stdout != "" || !saysFirst(stderr, tt.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and %q first", code, stdout, stderr, tt.want)
			}
		})
	}
}
