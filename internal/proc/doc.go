// Package proc runs helper processes on this machine for as long as the
// program that started them: the clouds' data API emulators that
// `cellfabric local --store` and the state adapters' tests use, or any
// process a test needs beside the code under test.
//
//   - FreePort finds a free TCP port of 127.0.0.1, below the ephemeral
//     ports (so that no socket bound to port 0 takes it first), to tell a process to
//     listen on;
//   - Start starts a process in a process group of its own and waits until
//     it answers (a ready function says when);
//   - Process.Stop asks the whole group to stop (a signal, then SIGKILL
//     after a grace period) and Process.Kill kills it at once, so nothing
//     the process started is left behind. On Linux the kernel also kills
//     the process when the program that started it dies.
//
// It is not test-only: the CLI uses it as well as tests (internal/testkit
// keeps what only tests share). It imports the standard library only.
// Processes run on unix systems; elsewhere Start says so.
package proc
