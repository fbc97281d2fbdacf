package logattr

// Log attribute keys: a contract with the queries in README's "Logs in
// each cloud". Change one and those queries, and the dashboards users
// built on them, stop matching.
const (
	// Tenant is the tenant a request was served for: the tenant the edge
	// signed (in a cell) or the router resolved, never an unverified header.
	Tenant = "cellfabric.tenant"
	// Cell is the cell id.
	Cell = "cellfabric.cell"
	// Cloud and Region are the cell's cloud (aws, azure, gcp) and region.
	Cloud  = "cloud"
	Region = "region"
	// Operation is what a request asked of a cell (kv.get, kv.put,
	// kv.delete, kv.list, echo).
	Operation = "operation"
	// Status is the HTTP status code of a response.
	Status = "status"
	// DurationMS is how long the request took, in milliseconds.
	DurationMS = "duration_ms"
	// RequestID is the request's X-Request-ID, as the router or the edge
	// Worker set it.
	RequestID = "request_id"
	// TraceID and SpanID are the W3C trace id (32 hex digits) and span id
	// (16) of the request's span, present when a trace is active.
	TraceID = "trace_id"
	SpanID  = "span_id"
)
