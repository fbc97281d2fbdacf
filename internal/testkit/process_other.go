//go:build unix && !linux

package testkit

import "syscall"

// dieWithParent does nothing where there is no parent-death signal: Kill
// (or a test's cleanup) must stop the process.
func dieWithParent(*syscall.SysProcAttr) {}
