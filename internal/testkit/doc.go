// Package testkit is what cellfabric's tests share:
//
//   - golden files with the one -update flag (Golden, FirstDiff);
//   - a Buffer that several goroutines may write to, for a process's or a
//     command's output.
//
// It is imported by _test.go files only, and imports the standard library
// only. Helper processes a test runs (a free port, a start in a process
// group of its own, a kill of the whole group) are internal/proc's, which
// the CLI uses too; the clouds' data API emulators are started through
// workload/state/emulator.
package testkit
