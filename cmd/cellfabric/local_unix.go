//go:build unix

package main

import (
	"io"
	"os"
	"os/signal"
	"syscall"
)

// commandInput returns stdin when it is a terminal or a pipe, so that
// `cellfabric local` reads commands from it, and nil otherwise. A process
// in the background that reads its terminal is stopped by SIGTTIN; ignoring
// it turns that into a read error, and local keeps running on its admin
// endpoints.
func commandInput() io.Reader {
	fi, err := os.Stdin.Stat()
	if err != nil || fi.Mode()&(os.ModeCharDevice|os.ModeNamedPipe) == 0 {
		return nil
	}
	signal.Ignore(syscall.SIGTTIN)
	return os.Stdin
}
