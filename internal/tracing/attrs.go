package tracing

import "go.opentelemetry.io/otel/attribute"

// Attribute keys the router's and the cell's spans share: one contract
// with trace queries and the README, so that a query by tenant, cell or
// request id finds a request's spans on both sides. Each server adds its
// own keys (router/server: the decision and attempts; workload/refcell:
// the operation and the store).
const (
	AttrTenant    = attribute.Key("cellfabric.tenant")
	AttrCell      = attribute.Key("cellfabric.cell")
	AttrCloud     = attribute.Key("cellfabric.cloud")
	AttrRegion    = attribute.Key("cellfabric.region")
	AttrMethod    = attribute.Key("http.request.method")
	AttrStatus    = attribute.Key("http.response.status_code")
	AttrRequestID = attribute.Key("cellfabric.request_id")
)
