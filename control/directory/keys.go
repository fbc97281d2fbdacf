package directory

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cellfabric/cellfabric/fabric"
)

// Key prefixes of the directory's store.
const (
	// TenantPrefix starts every tenant entry's key: t/<tenant id>.
	TenantPrefix = "t/"
	// JournalPrefix starts every journal record's key:
	// j/<unix minute, 10 digits>/<unix ms, 13 digits>-<tenant id>.
	JournalPrefix = "j/"
	// CounterPrefix starts every cell counter's key: n/<cell id>.
	CounterPrefix = "n/"
	// RemovedPrefix starts the key that keeps a removed tenant's last
	// epoch: r/<tenant id>, its value the epoch in decimal. A tenant added
	// again continues from it, so a tenant's epochs never repeat (cells
	// fence writes by epoch).
	RemovedPrefix = "r/"
	// CellPrefix starts every cell placement flag's key: c/<cell id>, its
	// value a CellFlag. An absent key is an open cell.
	CellPrefix = "c/"
)

// JournalTTL is how long a journal record is kept, in seconds (24 h): a
// reader further behind than that re-reads the entries (ReasonPositionExpired).
const JournalTTL = 86400

const (
	msPerMinute   = 60_000
	journalKeeps  = JournalTTL * 1000 // ms
	minuteDigits  = 10
	millisDigits  = 13
	journalHeader = len(JournalPrefix) + minuteDigits + 1 // "j/" + minute + "/"
)

// TenantKey is the key of a tenant's entry.
func TenantKey(id string) string { return TenantPrefix + id }

// RemovedKey is the key of a removed tenant's last epoch.
func RemovedKey(id string) string { return RemovedPrefix + id }

// CounterKey is the key of a cell's tenant counter.
func CounterKey(cell string) string { return CounterPrefix + cell }

// CellKey is the key of a cell's placement flag.
func CellKey(cell string) string { return CellPrefix + cell }

// JournalKey is the key of the journal record of a change to tenant id
// written at unix millisecond ms. Two changes to one tenant in the same
// millisecond share the key: the later one (the higher epoch, the whole
// entry) replaces the record it supersedes, and no reader has read the
// earlier one by then (Changes returns a record only once its millisecond
// is over).
func JournalKey(ms int64, id string) string {
	return minutePrefix(ms/msPerMinute) + pad(ms, millisDigits) + "-" + id
}

// minutePrefix is the prefix of every journal key of a unix minute.
func minutePrefix(minute int64) string {
	return JournalPrefix + pad(minute, minuteDigits) + "/"
}

func pad(n int64, width int) string {
	s := strconv.FormatInt(n, 10)
	if len(s) < width {
		s = strings.Repeat("0", width-len(s)) + s
	}
	return s
}

// position is where a reader of the journal stands: every record whose key
// is above key has yet to be read. key is a journal key, or one of two
// marks that sort between journal keys: j/<minute>/<ms> (before every
// record written at ms or later) and j/<minute>/~ (after every record of the
// minute). cursor, when set, is a KV cursor of the listing of the minute
// that continues at or before key, so that a reader need not list the
// minute from its start again.
type position struct {
	key    string
	minute int64
	ms     int64 // the key's ms; for a "~" mark, the minute's last ms
	cursor string
}

// positionAt is the mark before every record written at ms or later.
func positionAt(ms int64) position {
	return position{key: minutePrefix(ms/msPerMinute) + pad(ms, millisDigits), minute: ms / msPerMinute, ms: ms}
}

// minuteDone is the mark after every record of minute.
func minuteDone(minute int64) position {
	return position{key: minutePrefix(minute) + "~", minute: minute, ms: minute*msPerMinute + msPerMinute - 1}
}

// String encodes the position as the API's opaque position string.
func (p position) String() string {
	if p.cursor == "" {
		return p.key
	}
	return p.key + "|" + p.cursor
}

// parsePosition decodes a position string of a previous answer.
func parsePosition(s string) (position, error) {
	key, cursor, _ := strings.Cut(s, "|")
	bad := func(why string) (position, error) {
		return position{}, fmt.Errorf("position %q is not one this directory gave (%s): pass the position of the previous answer, or \"\" to read the journal from its start", clip(s, 80), why)
	}
	if len(key) < journalHeader+1 || !strings.HasPrefix(key, JournalPrefix) || key[journalHeader-1] != '/' {
		return bad("not a journal key")
	}
	minute, err := strconv.ParseInt(key[len(JournalPrefix):journalHeader-1], 10, 64)
	if err != nil || minute < 0 {
		return bad("bad minute")
	}
	p := position{key: key, minute: minute, cursor: cursor}
	rest := key[journalHeader:]
	if rest == "~" {
		p.ms = minute*msPerMinute + msPerMinute - 1
		return p, nil
	}
	msPart, id, hasID := strings.Cut(rest, "-")
	if len(msPart) != millisDigits {
		return bad("bad time")
	}
	ms, err := strconv.ParseInt(msPart, 10, 64)
	if err != nil || ms < 0 || ms/msPerMinute != minute {
		return bad("bad time")
	}
	if hasID && !fabric.ValidTenantID(id) {
		return bad("bad tenant id")
	}
	p.ms = ms
	return p, nil
}

// parseJournalKey returns the ms a journal key was written at.
func parseJournalKey(key string) (int64, bool) {
	if len(key) < journalHeader+millisDigits+2 || !strings.HasPrefix(key, JournalPrefix) {
		return 0, false
	}
	ms, err := strconv.ParseInt(key[journalHeader:journalHeader+millisDigits], 10, 64)
	if err != nil || key[journalHeader+millisDigits] != '-' {
		return 0, false
	}
	return ms, true
}

// clip shortens s for an error message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
