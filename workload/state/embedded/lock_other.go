//go:build !(linux || darwin || freebsd || openbsd || netbsd || dragonfly)

package embedded

import "os"

// lockDir does nothing where flock is missing (Windows, wasm): there, one
// process per data directory is the operator's to ensure.
func lockDir(string) (*os.File, error) { return nil, nil }

func unlockDir(*os.File) {}
