package stateapi

import (
	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/workload/state"
)

// BasePath is the path the API is under: BasePath/<tenant>/<endpoint>.
const BasePath = "/_cellfabric/v1/state"

// EdgePrefix is where the edge Worker serves the cells' state APIs:
// EdgePath(cell)/<tenant>/<endpoint> reaches cell's BasePath/<tenant>/<endpoint>,
// verified and signed anew with the control key (cmd/edgeworker).
const EdgePrefix = "/_cellfabric/v1/cells/"

// EdgePath is the path the edge Worker serves cell's state API under.
func EdgePath(cell string) string { return EdgePrefix + cell + "/state" }

// Content types of the API.
const (
	// NDJSON is the content type of exports, change feeds and imports: one
	// JSON value per line.
	NDJSON = "application/x-ndjson"
	// JSON is the content type of every other body.
	JSON = directory.ContentType
)

// Limits of the API.
const (
	// MaxImportBytes bounds the body of one import; the Client splits its
	// imports to fit (and into batches of state.MaxImportBatch records).
	MaxImportBytes = 32 << 20
	// maxBodyBytes bounds every other body (a fence, a lock).
	maxBodyBytes = 64 << 10
	// RetryAfter is the Retry-After, in seconds, of a 503.
	RetryAfter = 1
)

// Reasons of refusals, beside control/directory's (Auth*, ReasonNoRoute,
// ReasonMethod, ReasonMalformed, ReasonBadQuery, ReasonBodyTooLarge,
// ReasonStore).
const (
	// ReasonInvalid: the store refused the tenant, record, fence or lock
	// (400).
	ReasonInvalid = "invalid_request"
	// ReasonLocked: another move holds the tenant's lock, or the caller
	// does not hold it (409); the body names the holder.
	ReasonLocked = "locked"
	// ReasonFull: the store has no room (507).
	ReasonFull = "store_full"
)

// Record is a record on the wire.
type Record struct {
	Key string `json:"key"`
	// Value is base64 in JSON; null for a tombstone.
	Value   []byte `json:"value"`
	Seq     uint64 `json:"seq"`
	Deleted bool   `json:"deleted"`
}

func toWire(r state.Record) Record {
	w := Record{Key: r.Key, Value: r.Value, Seq: r.Seq, Deleted: r.Deleted}
	if !w.Deleted && w.Value == nil {
		w.Value = []byte{}
	}
	if w.Deleted {
		w.Value = nil
	}
	return w
}

func (r Record) state() state.Record {
	return state.Record{Key: r.Key, Value: r.Value, Seq: r.Seq, Deleted: r.Deleted}
}

// End is the last line of an export or a change feed: the position to
// follow the feed from, or why the stream stopped.
type End struct {
	Position *uint64 `json:"position,omitempty"`
	Error    string  `json:"error,omitempty"`
}

// line is any line of a stream: a record or its end.
type line struct {
	Key      *string `json:"key"`
	Value    []byte  `json:"value"`
	Seq      uint64  `json:"seq"`
	Deleted  bool    `json:"deleted"`
	Position *uint64 `json:"position"`
	Error    string  `json:"error"`
}

// ImportResponse is the answer of POST /import.
type ImportResponse struct {
	// Imported is how many records were applied (each only when newer
	// than the store's).
	Imported int `json:"imported"`
	// Position is the tenant's position after the import.
	Position uint64 `json:"position"`
}

// ErrorBody is the body of every refusal: control/directory's, and the
// lock's holder for ReasonLocked.
type ErrorBody struct {
	directory.ErrorBody
	Holder *state.MoveLock `json:"holder,omitempty"`
}
