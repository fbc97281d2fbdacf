package main

import (
	"errors"
	"flag"
)

// parseFlags parses a command's arguments into fs. The command goes on only
// when ok is true; otherwise it exits with code: 0 after -h, 2 after a bad
// flag, a stray argument or, when complete is given and reports false after
// parsing, a missing required flag (the last two print fs.Usage).
func parseFlags(fs *flag.FlagSet, args []string, complete func() bool) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	if fs.NArg() > 0 || (complete != nil && !complete()) {
		fs.Usage()
		return 2, false
	}
	return 0, true
}
