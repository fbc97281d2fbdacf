package server

// The watermarks of EngineEvLoop's slow lane (evloop_lane.go) and its
// read size. They have no build constraint so that the tests, which run
// on every system, can name them.
const (
	// evSlowHigh is what of an answer a client may leave unread in its
	// connection's outbound buffer before the rest of the answer is read
	// from the cell at the client's pace (the slow lane).
	evSlowHigh = 256 << 10
	// evSlowLow is where the slow lane reads more from the cell: once
	// less than this waits for the client.
	evSlowLow = 64 << 10
	// evLaneRead is the most the slow lane reads from the cell at once.
	evLaneRead = 64 << 10
)
