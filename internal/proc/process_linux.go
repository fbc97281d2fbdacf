package proc

import "syscall"

// dieWithParent has the kernel kill the process when the program that
// started it dies. Strictly, when the thread that started it ends: Go's
// runtime ends a thread only when a goroutine locked to it (LockOSThread)
// returns without unlocking, which neither the CLI nor the tests do around
// Start.
func dieWithParent(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
