// Package emulator starts the local implementations of the clouds' data
// APIs that the state adapters run against off the cloud: dynalite (the
// DynamoDB API), azurite's table service (Azure Table Storage) and Google's
// Cloud Firestore emulator. `cellfabric local --store` keeps its cells'
// data in one of them, and the adapters' tests (workload/state/dynamo,
// aztable, firestore) start theirs through Start: there is one way to
// start each emulator.
//
// Plane: none. This is developer tooling, never part of a deployed cell:
// no cell component or workload imports it.
//
// Start finds the emulator where `make emulators` installs it in a clone of
// the repository (the paths of each adapter's emulator.mk), or where an
// environment variable says (EnvDynaliteDir, EnvAzuriteDir,
// EnvFirestoreJar) for a cellfabric binary run outside the clone, and
// says what to install when it finds nothing. It runs the emulator on
// 127.0.0.1 only, on a free port unless told one, in a process group of its
// own (internal/proc), waits until it answers, and stops the whole group
// in Stop; on Linux the kernel also kills it when the program that started
// it dies. Shared keeps one emulator that many users (a package's tests)
// share, started on first use.
//
// The package imports the standard library, internal/proc and
// workload/state/contract only: it starts processes and knows their
// addresses and well-known development credentials, not the adapters.
package emulator
