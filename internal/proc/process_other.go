//go:build unix && !linux

package proc

import "syscall"

// dieWithParent does nothing where there is no parent-death signal: Stop
// or Kill (a test's cleanup, the CLI's exit) must end the process.
func dieWithParent(*syscall.SysProcAttr) {}
