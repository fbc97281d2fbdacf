package mover

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// standbyJournal is what a warm-standby follower keeps in the move lock it
// holds on the standby cell (MoveLock.Step): the primary it follows, the
// primary's position up to which the standby holds every record, and when
// the follower last saw the primary's feed end at or below that position
// (so the standby held everything the primary acknowledged before then).
//
//	standby from=cell-a pos=1234 at=1765000000000 stopped=0
//
// It parses as no move journal (parseJournal wants step=), so a mover
// never takes it for a move of its own.
type standbyJournal struct {
	From string
	Pos  uint64
	// At is when the standby was last known current (zero: never).
	At time.Time
	// Stopped marks a follower that stopped cleanly: the next follower,
	// or a promotion, may take its lock at once instead of waiting for it
	// to expire.
	Stopped bool
}

func (j standbyJournal) String() string {
	at := int64(0)
	if !j.At.IsZero() {
		at = j.At.UnixMilli()
	}
	stopped := 0
	if j.Stopped {
		stopped = 1
	}
	return fmt.Sprintf("standby from=%s pos=%d at=%d stopped=%d", j.From, j.Pos, at, stopped)
}

// parseStandbyJournal reads a lock's Step; ok is false when it is not a
// standby journal.
func parseStandbyJournal(s string) (standbyJournal, bool) {
	f := strings.Fields(s)
	if len(f) != 5 || f[0] != "standby" {
		return standbyJournal{}, false
	}
	var j standbyJournal
	for _, kv := range f[1:] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return standbyJournal{}, false
		}
		var err error
		switch k {
		case "from":
			j.From = v
		case "pos":
			j.Pos, err = strconv.ParseUint(v, 10, 64)
		case "at":
			var ms int64
			ms, err = strconv.ParseInt(v, 10, 64)
			if ms > 0 {
				j.At = time.UnixMilli(ms)
			}
		case "stopped":
			j.Stopped = v == "1"
		default:
			return standbyJournal{}, false
		}
		if err != nil {
			return standbyJournal{}, false
		}
	}
	return j, j.From != ""
}
