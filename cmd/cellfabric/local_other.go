//go:build !unix

package main

import (
	"io"
	"os"
)

// commandInput returns stdin when it is a terminal or a pipe, else nil.
func commandInput() io.Reader {
	fi, err := os.Stdin.Stat()
	if err != nil || fi.Mode()&(os.ModeCharDevice|os.ModeNamedPipe) == 0 {
		return nil
	}
	return os.Stdin
}
