package testkit

import "syscall"

// dieWithParent has the kernel kill the process when the test binary dies
// (strictly, when the thread that started it ends, which Go's runtime does
// not do to a test's threads).
func dieWithParent(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
