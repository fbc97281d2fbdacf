package directory

import (
	"context"
	"time"

	"github.com/cellfabric/cellfabric/router"
)

// Limits of one Changes answer.
const (
	// DefaultChangesLimit is how many changes one answer holds at most
	// when the caller does not say; MaxChangesLimit is the most it may ask.
	DefaultChangesLimit = 1000
	MaxChangesLimit     = 10000
	// maxJournalLists bounds the store listings of one answer, so that a
	// reader far behind (up to 24 h of minutes) catches up over several
	// answers rather than one long one.
	maxJournalLists = 64
)

// Changes returns the journal records after position since, in key order,
// and the position to ask from next: up to DefaultChangesLimit records,
// each at least Settle old. since is "" (from the journal's start, 24 h
// ago) or the position of a previous answer (Changes or List). A reader
// that gets records asks again at once; one that gets none asks again
// later. See ChangesPage.
func (d *Directory) Changes(ctx context.Context, since string) ([]router.TenantChange, string, error) {
	return d.ChangesPage(ctx, since, DefaultChangesLimit)
}

// ChangesPage is Changes with the most records to return (0: default; at
// most MaxChangesLimit).
//
// A record is returned only once it is Settle old, and, with a Directory
// that also writes, only once every write of this Directory begun before it
// has finished: a listing at one place may miss a record written elsewhere
// for up to Settle, and waiting that out means no record is ever skipped
// (the next position is past every record returned). The position moves
// past the journal read so far even when nothing new was found, so a reader
// that is idle for a day does not fall out of the journal.
//
// A journal record may be returned whose entry write then failed (its
// writer got ReasonNotStored): the record carries the whole entry, so
// applying it is correct; the directory's entry catches up when the writer
// retries, with the same or a later epoch.
//
// The error is an *Error: ReasonBadPosition (400) for a position this
// directory did not give, ReasonPositionExpired (410) for one older than
// the journal (read everything again with Load or List, then follow from
// its position; the error is router.ErrPositionExpired too), ReasonStore
// (503).
func (d *Directory) ChangesPage(ctx context.Context, since string, limit int) ([]router.TenantChange, string, error) {
	switch {
	case limit == 0:
		limit = DefaultChangesLimit
	case limit < 0 || limit > MaxChangesLimit:
		return nil, "", errorf(400, ReasonBadQuery, "", "limit %d is out of range: ask for 1..%d changes", limit, MaxChangesLimit)
	}
	now, h := d.horizon()
	oldest := now - journalKeeps
	var pos position
	if since == "" {
		pos = positionAt(max(oldest, 0))
		// Start at the journal's first record rather than list every
		// minute of the day up to it.
		keys, _, err := d.kv.List(ctx, JournalPrefix, "", 1)
		if err != nil {
			return nil, "", storeError("", "reading the journal", err)
		}
		if len(keys) == 0 {
			return nil, positionAt(h).String(), nil
		}
		if ms, ok := parseJournalKey(keys[0]); ok && ms > pos.ms {
			pos = positionAt(ms)
		}
	} else {
		p, err := parsePosition(since)
		if err != nil {
			return nil, "", errorf(400, ReasonBadPosition, "", "%v", err)
		}
		if p.ms < oldest {
			e := errorf(410, ReasonPositionExpired, "", "position %s is older than the journal's %s: read every entry again (GET /tenants, or Load) and follow the changes from the position its first page gives", time.UnixMilli(p.ms).UTC().Format(time.RFC3339), time.Duration(journalKeeps)*time.Millisecond)
			// What a feed's reader (router/server) loads again on.
			e.Err = router.ErrPositionExpired
			return nil, "", e
		}
		pos = p
	}
	var out []router.TenantChange
	if pos.ms >= h || h <= 0 {
		return out, since, nil
	}
	cur := pos
	lists := 0
	last := (h - 1) / msPerMinute // the last minute holding records old enough
	for m := pos.minute; m <= last; m++ {
		cursor := ""
		if m == pos.minute {
			cursor = pos.cursor
		}
		prefix := minutePrefix(m)
		for {
			if lists == maxJournalLists {
				return out, cur.String(), nil
			}
			lists++
			kvs, next, err := d.listValues(ctx, prefix, cursor, DefaultListLimit)
			if err != nil && cursor != "" && m == pos.minute {
				// A store's cursor may not outlive its listing for long:
				// list the minute from its start (keys up to the position
				// are skipped below).
				cursor = ""
				kvs, next, err = d.listValues(ctx, prefix, cursor, DefaultListLimit)
			}
			if err != nil {
				return nil, "", storeError("", "reading the journal", err)
			}
			for _, kv := range kvs {
				if kv.Key <= cur.key {
					continue
				}
				ms, ok := parseJournalKey(kv.Key)
				if !ok {
					continue
				}
				if ms >= h {
					// Not settled yet: continue from here next time.
					cur.cursor = cursor
					return out, cur.String(), nil
				}
				var ch router.TenantChange
				if err := router.DecodeStrict(kv.Value, &ch); err != nil || ch.ID == "" {
					d.log.Error("tenant directory: journal record does not decode; skipped", "key", kv.Key, "err", err)
				} else {
					out = append(out, ch)
				}
				cur = position{key: kv.Key, minute: m, ms: ms, cursor: cursor}
				if len(out) == limit {
					return out, cur.String(), nil
				}
			}
			if next == "" {
				break
			}
			cursor = next
		}
		// Every record of minute m below the horizon has been read.
		if (m+1)*msPerMinute <= h {
			cur = minuteDone(m)
		} else if at := positionAt(h); at.key > cur.key {
			at.cursor = cursor
			cur = at
		}
	}
	return out, cur.String(), nil
}
