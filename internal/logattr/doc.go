// Package logattr names the attributes the router's and the cells' log
// lines share, so that one query finds a tenant's requests in the logs of
// every hop and on every cloud. The tenant and the cell carry the names the
// spans use (cellfabric.tenant, cellfabric.cell); the others are the plain
// names the router has always logged with (cloud, status, request_id, ...).
//
// It holds constants only and imports nothing, so that every package,
// including those compiled into the edge Worker, may use it.
// Cloud Logging's JSON format is in the cloudlogging subpackage.
package logattr
