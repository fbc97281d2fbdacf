// Package testkit is what cellfabric's tests share:
//
//   - golden files with the one -update flag (Golden, FirstDiff);
//   - helper processes a test runs on loopback, such as the clouds' data
//     API emulators: a free port (FreePort), a start in a process group of
//     its own that waits until the process answers (StartProcess), and a
//     kill of the whole group (Process.Kill);
//   - a Buffer that several goroutines may write to, for a process's or a
//     command's output.
//
// It is imported by _test.go files only, and imports the standard library
// only. The process helpers build on unix systems.
package testkit
