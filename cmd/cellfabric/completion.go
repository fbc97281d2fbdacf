package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

func init() {
	register("completion", command{
		summary: "print a shell completion script for bash, zsh or fish",
		flags:   func() *flag.FlagSet { return newCompletionFlags() },
		run:     runCompletion,
	})
}

// completionShells are the shells `cellfabric completion` writes for.
var completionShells = []string{"bash", "zsh", "fish"}

func newCompletionFlags() *flag.FlagSet {
	fs := flag.NewFlagSet("completion", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: cellfabric completion bash|zsh|fish

Prints a script that completes cellfabric's commands and their flags.

  bash  source <(cellfabric completion bash)      in this shell, or for every one:
        cellfabric completion bash > ~/.local/share/bash-completion/completions/cellfabric
  zsh   source <(cellfabric completion zsh)       in this shell (after compinit), or:
        cellfabric completion zsh > "${fpath[1]}/_cellfabric"
  fish  cellfabric completion fish | source       in this shell, or:
        cellfabric completion fish > ~/.config/fish/completions/cellfabric.fish
`)
	}
	return fs
}

func runCompletion(args []string, stdout, stderr io.Writer) int {
	fs := newCompletionFlags()
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	want := "want " + strings.Join(completionShells, ", ")
	switch {
	case fs.NArg() == 0:
		return usageError(fs, "name the shell: "+want)
	case fs.NArg() > 1:
		return usageError(fs, fmt.Sprintf("unexpected argument %q: give one shell", fs.Arg(1)))
	}
	cmds := completionCommands()
	switch fs.Arg(0) {
	case "bash":
		writeBashCompletion(stdout, cmds)
	case "zsh":
		writeZshCompletion(stdout, cmds)
	case "fish":
		writeFishCompletion(stdout, cmds)
	default:
		return usageError(fs, fmt.Sprintf("unknown shell %q: %s", fs.Arg(0), want))
	}
	return 0
}

// compCommand is what a completion script knows of a command.
type compCommand struct {
	name, summary string
	flags         []compFlag
	// args are the values of the command's one positional argument, if it
	// has one (help: the commands; completion: the shells; tenants: its
	// subcommands).
	args []string
}

// compFlag is what a completion script knows of a flag.
type compFlag struct {
	name, usage string
	takesValue  bool
	repeatable  bool
	choices     []string // the only values it takes, when known
}

// completionCommands lists the registered commands, help included, with
// their flags read from their flag sets, sorted by name.
func completionCommands() []compCommand {
	names := make([]string, 0, len(commands)+1)
	for n := range commands {
		names = append(names, n)
	}
	names = append(names, "help")
	slices.Sort(names)
	var out []compCommand
	for _, n := range names {
		if n == "help" {
			out = append(out, compCommand{name: n, summary: "show the commands, or a command's flags", args: slices.DeleteFunc(slices.Clone(names), func(s string) bool { return s == "help" })})
			continue
		}
		c := commands[n]
		cc := compCommand{name: n, summary: c.summary}
		switch n {
		case "completion":
			cc.args = completionShells
		case "tenants":
			cc.args = tenantsSubcommands
		case "cells":
			cc.args = cellsSubcommands
		case "standby":
			cc.args = standbySubcommands
		}
		c.flags().VisitAll(func(f *flag.Flag) {
			_, usage := flag.UnquoteUsage(f)
			cf := compFlag{name: f.Name, usage: shortUsage(usage), takesValue: true}
			if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
				cf.takesValue = false
			}
			if cv, ok := f.Value.(choiceValue); ok {
				cf.choices = cv.choices()
			}
			_, cf.repeatable = f.Value.(*multiFlag)
			cc.flags = append(cc.flags, cf)
		})
		out = append(out, cc)
	}
	return out
}

// shortUsage is the first clause of a flag's usage, on one line: up to
// the first "; " or " (".
func shortUsage(u string) string {
	u = strings.Join(strings.Fields(u), " ")
	for _, sep := range []string{"; ", " ("} {
		if i := strings.Index(u, sep); i > 0 {
			u = u[:i]
		}
	}
	return u
}

func commandNames(cmds []compCommand) []string {
	names := make([]string, len(cmds))
	for i, c := range cmds {
		names[i] = c.name
	}
	return names
}

func flagWords(c compCommand) string {
	words := make([]string, len(c.flags))
	for i, f := range c.flags {
		words[i] = "--" + f.name
	}
	return strings.Join(words, " ")
}

// writeBashCompletion writes a bash script: commands in the first word, a
// command's flags after it, the values of flags that have a fixed set, and
// file names (bash's default) for other flag values.
func writeBashCompletion(w io.Writer, cmds []compCommand) {
	fmt.Fprintf(w, `# bash completion for cellfabric, written by `+"`cellfabric completion bash`"+`.
# This shell: source <(cellfabric completion bash)
# Every shell: cellfabric completion bash > ~/.local/share/bash-completion/completions/cellfabric
_cellfabric() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	COMPREPLY=()
	if [[ $COMP_CWORD -eq 1 ]]; then
		COMPREPLY=($(compgen -W '%s --help --version' -- "$cur"))
		return
	fi
	local flags= args=
	case ${COMP_WORDS[1]} in
`, strings.Join(commandNames(cmds), " "))
	for _, c := range cmds {
		fmt.Fprintf(w, "\t%s)\n", c.name)
		if len(c.flags) > 0 {
			fmt.Fprintf(w, "\t\tflags='%s'\n", flagWords(c))
		}
		if len(c.args) > 0 {
			fmt.Fprintf(w, "\t\targs='%s'\n", strings.Join(c.args, " "))
		}
		for _, f := range c.flags {
			if len(f.choices) > 0 {
				fmt.Fprintf(w, "\t\tif [[ $prev == --%s || $prev == -%s ]]; then\n\t\t\tCOMPREPLY=($(compgen -W '%s' -- \"$cur\"))\n\t\t\treturn\n\t\tfi\n", f.name, f.name, strings.Join(f.choices, " "))
			}
		}
		fmt.Fprint(w, "\t\t;;\n")
	}
	fmt.Fprint(w, `	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$flags" -- "$cur"))
	elif [[ -n $args && $COMP_CWORD -eq 2 ]]; then
		COMPREPLY=($(compgen -W "$args" -- "$cur"))
	fi
}
complete -o default -F _cellfabric cellfabric
`)
}

// zshQuote quotes s for a single-quoted zsh word.
func zshQuote(s string) string { return strings.ReplaceAll(s, "'", `'\''`) }

// zshDesc escapes s for the [description] of an _arguments spec.
func zshDesc(s string) string {
	return zshQuote(strings.NewReplacer(`\`, `\\`, "[", `\[`, "]", `\]`, ":", `\:`).Replace(s))
}

// writeZshCompletion writes a zsh completion function (#compdef), usable
// from $fpath or sourced.
func writeZshCompletion(w io.Writer, cmds []compCommand) {
	fmt.Fprint(w, `#compdef cellfabric
# zsh completion for cellfabric, written by `+"`cellfabric completion zsh`"+`.
# This shell (after compinit): source <(cellfabric completion zsh)
# Every shell: cellfabric completion zsh > "${fpath[1]}/_cellfabric"
_cellfabric() {
	local -a commands
	commands=(
`)
	for _, c := range cmds {
		fmt.Fprintf(w, "\t\t'%s:%s'\n", c.name, zshQuote(c.summary))
	}
	fmt.Fprint(w, `	)
	if (( CURRENT == 2 )); then
		_describe -t commands 'cellfabric command' commands
		return
	fi
	local cmd=${words[2]}
	shift words
	(( CURRENT-- ))
	case $cmd in
`)
	for _, c := range cmds {
		if len(c.flags) == 0 && len(c.args) == 0 {
			fmt.Fprintf(w, "\t%s) ;;\n", c.name)
			continue
		}
		fmt.Fprintf(w, "\t%s)\n\t\t_arguments", c.name)
		for _, f := range c.flags {
			spec := "--" + f.name + "[" + zshDesc(f.usage) + "]"
			if f.repeatable {
				spec = "*" + spec
			}
			switch {
			case len(f.choices) > 0:
				spec += ":" + f.name + ":(" + strings.Join(f.choices, " ") + ")"
			case f.takesValue:
				spec += ":" + f.name + ":_files"
			}
			fmt.Fprintf(w, " \\\n\t\t\t'%s'", spec)
		}
		if len(c.args) > 0 {
			fmt.Fprintf(w, " \\\n\t\t\t'1:%s:(%s)'", c.name, strings.Join(c.args, " "))
		}
		fmt.Fprint(w, "\n\t\t;;\n")
	}
	fmt.Fprint(w, `	esac
}
if [[ $funcstack[1] == _cellfabric ]]; then
	_cellfabric "$@"
else
	compdef _cellfabric cellfabric
fi
`)
}

// fishQuote quotes s as a single-quoted fish word.
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, "'", `\'`).Replace(s) + "'"
}

// writeFishCompletion writes fish `complete` commands.
func writeFishCompletion(w io.Writer, cmds []compCommand) {
	fmt.Fprint(w, `# fish completion for cellfabric, written by `+"`cellfabric completion fish`"+`.
# This shell: cellfabric completion fish | source
# Every shell: cellfabric completion fish > ~/.config/fish/completions/cellfabric.fish
complete -c cellfabric -f
complete -c cellfabric -n __fish_use_subcommand -l version -d 'print the version'
`)
	for _, c := range cmds {
		fmt.Fprintf(w, "complete -c cellfabric -n __fish_use_subcommand -a %s -d %s\n", c.name, fishQuote(c.summary))
	}
	for _, c := range cmds {
		cond := fishQuote("__fish_seen_subcommand_from " + c.name)
		for _, f := range c.flags {
			line := fmt.Sprintf("complete -c cellfabric -n %s -l %s -d %s", cond, f.name, fishQuote(f.usage))
			switch {
			case len(f.choices) > 0:
				line += " -x -a " + fishQuote(strings.Join(f.choices, " "))
			case f.takesValue:
				line += " -r -F"
			}
			fmt.Fprintln(w, line)
		}
		if len(c.args) > 0 {
			fmt.Fprintf(w, "complete -c cellfabric -n %s -a %s\n", cond, fishQuote(strings.Join(c.args, " ")))
		}
	}
}
