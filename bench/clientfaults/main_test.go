package main

import (
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router"
)

// TestClientFaultsUnderLoad is the bench in small: 1,000 malformed requests
// of every kind mixed into normal load from a few workers. No cell may ever
// be seen out of rotation, no normal request may fail, and every malformed
// request must be answered as the client's fault and counted so.
func TestClientFaultsUnderLoad(t *testing.T) {
	res, err := run(options{faults: 1000, workers: 4, faultWorkers: 4, interval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res.summary())
	if len(res.cellsOut) > 0 || res.ejections > 0 {
		t.Errorf("cells out of rotation during the run: %v (%d ejections)", res.cellsOut, res.ejections)
	}
	if res.normalFailed > 0 {
		t.Errorf("%d of %d normal requests failed, e.g. %v", res.normalFailed, res.normal, res.failures)
	}
	if res.upstreamErrors > 0 {
		t.Errorf("%d upstream errors counted against the cells", res.upstreamErrors)
	}
	for i, k := range res.kinds {
		if k.sent != 1000/len(kinds) || k.wrong > 0 {
			t.Errorf("%s: %d sent, %d not answered as the client's fault (%v) %s", kinds[i].name, k.sent, k.wrong, k.statuses, k.example)
		}
	}
	// Each kind is counted under its reason; the resets under client_closed
	// (or, should a reset arrive as the end of the connection,
	// bad_request_body).
	per := int64(1000 / len(kinds))
	if got := res.rejected[string(router.ReasonBodyTooLarge)]; got != per {
		t.Errorf("body_too_large counted %d times, want %d", got, per)
	}
	if got := res.rejected[string(router.ReasonBadRequestBody)] + res.rejected[string(router.ReasonClientGone)]; got != 4*per {
		t.Errorf("bad_request_body + client_closed counted %d times, want %d", got, 4*per)
	}
	// The normal load and the health polls ran alongside the faults.
	if res.normal < 200 || res.polls < 10 {
		t.Errorf("only %d normal requests and %d health polls: the load did not run alongside", res.normal, res.polls)
	}
}
