//go:build unix

package source

import (
	"os"
	"os/signal"
	"syscall"
)

// notifyReload delivers SIGHUP on the returned channel until stop is called.
// No goroutine: the watcher's loop reads the channel.
func notifyReload() (hup <-chan os.Signal, stop func()) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGHUP)
	return sig, func() { signal.Stop(sig) }
}
