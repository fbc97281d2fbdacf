// Package contract is the part of the state port that the cell components
// and the workload must agree on, with no dependency of its own: the
// environment variables that choose and configure the adapter, each
// cloud store's schema (names of keys and indexes), and the cloud
// permissions each adapter's calls need.
//
// The cell components (components/aws, components/azure, components/gcp)
// build the store, set the environment and grant exactly these
// permissions; the adapters (workload/state/...) read the same environment
// and make only calls these permissions allow — each adapter's tests record
// the calls it makes against its emulator and fail on one not listed here.
//
// The package imports the standard library only, so the Pulumi program can
// import it without the clouds' data SDKs, and the workload without Pulumi.
package contract
