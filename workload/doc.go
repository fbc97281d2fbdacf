// Package workload is the cell's runtime side: what runs inside a cell
// rather than what builds it or routes to it.
//
//   - workload/state is the state port: the one interface every cell's
//     workload stores tenant data through, the write protocol every cloud
//     shares, and its adapters (embedded, DynamoDB, Azure Table Storage,
//     Firestore) under it;
//   - workload/refcell is the reference cell, `cellfabric cell`, the
//     default image of every cell: the cell contract's HTTP API on top of
//     the state port.
//
// Nothing under workload imports Pulumi, a component, the router's server
// or the stack model: a cell's image must not carry the deployment tool.
// The adapters import their cloud's data SDK and nothing of the others'.
package workload
