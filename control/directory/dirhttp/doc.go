// Package dirhttp puts the tenant directory's control API on net/http: a
// Handler that reads, verifies and serves requests with
// directory.Directory.Serve, and the Client that `cellfabric tenants` and
// the server router use (signed requests, retries with jittered backoff,
// errors that name the tenant). The signing and retries are
// control/signedhttp's, shared with the cells' state admin API client
// (workload/state/stateapi).
//
// Plane: control plane, like the directory's writes. While the API is
// unreachable the Client's calls fail after their retries with an error
// saying so; routers keep the placements they hold.
//
// It imports net/http, so the Worker (which serves the API with
// directory.Serve directly) must not import it. Never a Pulumi or cloud
// SDK.
package dirhttp
