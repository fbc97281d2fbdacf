package embedded

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/workload/state"
)

// The log (DataDir/kv.log) starts with logHeader; records follow, each
// framed as
//
//	u32 payload length | u32 CRC-32C of payload | payload
//
// and the payload is a tenant's meta record or one of its items:
//
//	u8 kind (1 meta, 2 item, 3 fenced meta) | u8 tenant length | tenant | body
//	meta body: u64 seq | u8 pending (0 or 1) | [item body of the pending write]
//	fenced meta body: u64 seq | fence | u8 pending (0 or 1) | [item body of the pending write]
//	fence: i64 fence | u8 flags (1 fenceAll, 2 moved, 4 lock) | u8 movedTo length | movedTo |
//	       [lock: u16 length | id | u16 length | owner | u16 length | target | u16 length | step | i64 expires (Unix ns)]
//	item body: u16 key length | key | u64 seq | u8 deleted (0 or 1) | value
//
// The value is the rest of the payload (none for a tombstone). Integers are
// little-endian. Every record holds the whole record it names: replaying
// the log in order and keeping the last record of each meta and item
// rebuilds the store. A meta record with no fence and no lock is written as
// kind 1, so a store never fenced writes what version 2 wrote.
//
// Version 3 (this one) is version 2 with the fenced meta record added: a
// version 2 log is a valid version 3 log, and opening one rewrites the
// header's version digit in place (v2Header).
const (
	logHeader    = "cellfabric-kv-v3\n"
	v2Header     = "cellfabric-kv-v2\n"
	logFileName  = "kv.log"
	tmpFileName  = "kv.log.tmp"
	lockFileName = "kv.lock"

	recordHead = 8
	kindMeta   = 1
	kindItem   = 2
	kindFenced = 3

	flagFenceAll = 1
	flagMoved    = 2
	flagLock     = 4

	maxTenantBytes = 63
	itemFixed      = 2 + 8 + 1 // key length, seq, deleted
	metaFixed      = 8 + 1     // seq, pending
	// minPayload is a meta record of a one-letter tenant without a pending
	// write; maxPayload a meta record whose pending write is as large as an
	// item can be, the largest record there is.
	minPayload = 1 + 1 + 1 + metaFixed
	// with a fence and the largest lock.
	fenceFixed = 8 + 1 + 1 // fence, flags, movedTo length
	lockFixed  = 4*2 + 8   // four lengths, expires
	maxFence   = fenceFixed + 255 + lockFixed + 4*state.MaxLockField
	maxPayload = 1 + 1 + maxTenantBytes + metaFixed + maxFence + itemFixed + state.MaxKeyBytes + state.MaxValueBytes
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// entry is one record of the log: a tenant's meta record (kind kindMeta)
// or one of its items (kindItem).
type entry struct {
	kind   byte
	tenant string
	meta   state.Meta
	item   state.Record
}

func metaEntry(tenant string, m state.Meta) entry {
	return entry{kind: kindMeta, tenant: tenant, meta: m}
}

func itemEntry(tenant string, r state.Record) entry {
	return entry{kind: kindItem, tenant: tenant, item: r}
}

func itemBodySize(r state.Record) int { return itemFixed + len(r.Key) + len(r.Value) }

// fenced reports whether a meta record needs the fenced kind.
func fenced(m state.Meta) bool { return m.FenceState != (state.FenceState{}) || m.Lock != nil }

func fenceSize(m state.Meta) int {
	n := fenceFixed + len(m.MovedTo)
	if l := m.Lock; l != nil {
		n += lockFixed + len(l.ID) + len(l.Owner) + len(l.Target) + len(l.Step)
	}
	return n
}

func payloadSize(e entry) int {
	n := 1 + 1 + len(e.tenant)
	if e.kind == kindMeta {
		n += metaFixed
		if fenced(e.meta) {
			n += fenceSize(e.meta)
		}
		if e.meta.Pending != nil {
			n += itemBodySize(*e.meta.Pending)
		}
		return n
	}
	return n + itemBodySize(e.item)
}

// size is the entry's length in the log.
func (e entry) size() int64 { return int64(recordHead + payloadSize(e)) }

// appendEntry encodes e, which checkEntry accepts, at the end of b.
func appendEntry(b []byte, e entry) []byte {
	start := len(b)
	b = binary.LittleEndian.AppendUint32(b, uint32(payloadSize(e)))
	b = binary.LittleEndian.AppendUint32(b, 0) // CRC, filled in below
	kind := e.kind
	if kind == kindMeta && fenced(e.meta) {
		kind = kindFenced
	}
	b = append(b, kind, byte(len(e.tenant)))
	b = append(b, e.tenant...)
	if e.kind == kindMeta {
		b = binary.LittleEndian.AppendUint64(b, e.meta.Seq)
		if kind == kindFenced {
			b = appendFence(b, e.meta)
		}
		if e.meta.Pending == nil {
			b = append(b, 0)
		} else {
			b = append(b, 1)
			b = appendItemBody(b, *e.meta.Pending)
		}
	} else {
		b = appendItemBody(b, e.item)
	}
	binary.LittleEndian.PutUint32(b[start+4:], crc32.Checksum(b[start+recordHead:], castagnoli))
	return b
}

func appendFence(b []byte, m state.Meta) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(m.Fence))
	var flags byte
	if m.FenceAll {
		flags |= flagFenceAll
	}
	if m.Moved {
		flags |= flagMoved
	}
	if m.Lock != nil {
		flags |= flagLock
	}
	b = append(b, flags, byte(len(m.MovedTo)))
	b = append(b, m.MovedTo...)
	if l := m.Lock; l != nil {
		for _, s := range []string{l.ID, l.Owner, l.Target, l.Step} {
			b = binary.LittleEndian.AppendUint16(b, uint16(len(s)))
			b = append(b, s...)
		}
		b = binary.LittleEndian.AppendUint64(b, uint64(l.Expires.UnixNano()))
	}
	return b
}

func appendItemBody(b []byte, r state.Record) []byte {
	b = binary.LittleEndian.AppendUint16(b, uint16(len(r.Key)))
	b = append(b, r.Key...)
	b = binary.LittleEndian.AppendUint64(b, r.Seq)
	if r.Deleted {
		return append(b, 1)
	}
	b = append(b, 0)
	return append(b, r.Value...)
}

// checkEntry returns what makes e unfit for the log, or nil. Writes are
// checked with it before they are appended and records after they are
// read, so everything the store appends it can read back.
func checkEntry(e entry) error {
	if len(e.tenant) > maxTenantBytes || !fabric.ValidTenantID(e.tenant) {
		return fmt.Errorf("tenant %q is not a valid tenant id: %s", e.tenant, fabric.TenantIDRule)
	}
	switch e.kind {
	case kindMeta:
		if e.meta.Pending != nil {
			if err := checkItem(*e.meta.Pending); err != nil {
				return fmt.Errorf("pending write: %w", err)
			}
		}
		return checkFence(e.meta)
	case kindItem:
		return checkItem(e.item)
	}
	return fmt.Errorf("unknown record kind %d", e.kind)
}

// checkFence checks what the store can keep of a fence and a lock: the
// core validated them, this only guards the log's framing.
func checkFence(m state.Meta) error {
	if err := m.FenceState.Validate(); err != nil {
		return err
	}
	if l := m.Lock; l != nil {
		for _, s := range []string{l.ID, l.Owner, l.Target, l.Step} {
			if len(s) > state.MaxLockField {
				return fmt.Errorf("a move lock field is %d bytes, over the %d byte limit", len(s), state.MaxLockField)
			}
		}
	}
	return nil
}

func checkItem(r state.Record) error {
	if err := state.ValidKey(r.Key); err != nil {
		return err
	}
	if len(r.Value) > state.MaxValueBytes {
		return fmt.Errorf("value of key %s is %d bytes, over the %d byte limit", r.Key, len(r.Value), state.MaxValueBytes)
	}
	if r.Deleted && len(r.Value) > 0 {
		return fmt.Errorf("tombstone of key %s carries a value", r.Key)
	}
	return nil
}

// errTorn means the data ends in the middle of a record.
var errTorn = errors.New("torn record")

// frame returns the payload of the record at the start of b and the
// record's length. It returns errTorn when b ends before the record does,
// and another error when the frame is damaged (a length out of
// [minLen, maxLen], a checksum that does not match).
func frame(b []byte, minLen, maxLen int) ([]byte, int, error) {
	if len(b) < recordHead {
		return nil, 0, errTorn
	}
	n := int(binary.LittleEndian.Uint32(b))
	if n < minLen || n > maxLen {
		return nil, 0, fmt.Errorf("record length %d is out of range", n)
	}
	if len(b) < recordHead+n {
		return nil, 0, errTorn
	}
	p := b[recordHead : recordHead+n]
	if crc32.Checksum(p, castagnoli) != binary.LittleEndian.Uint32(b[4:]) {
		return nil, 0, errors.New("checksum mismatch")
	}
	return p, recordHead + n, nil
}

// decodeEntry reads the record at the start of b and returns it with its
// length; errTorn when b ends before the record does, another error when
// it is damaged. The entry shares no memory with b.
func decodeEntry(b []byte) (entry, int, error) {
	p, n, err := frame(b, minPayload, maxPayload)
	if err != nil {
		return entry{}, 0, err
	}
	e, err := decodePayload(p)
	if err != nil {
		return entry{}, 0, err
	}
	return e, n, nil
}

func decodePayload(p []byte) (entry, error) {
	e := entry{kind: p[0]}
	tl := int(p[1])
	if 2+tl > len(p) {
		return e, errors.New("tenant overruns the record")
	}
	e.tenant = string(p[2 : 2+tl])
	rest := p[2+tl:]
	switch e.kind {
	case kindMeta, kindFenced:
		if len(rest) < metaFixed {
			return e, errors.New("meta record is too short")
		}
		e.meta.Seq = binary.LittleEndian.Uint64(rest)
		rest = rest[8:]
		if e.kind == kindFenced {
			var err error
			if rest, err = decodeFence(rest, &e.meta); err != nil {
				return e, err
			}
			if !fenced(e.meta) {
				return e, errors.New("a fenced meta record without a fence or a lock")
			}
			if len(rest) < 1 {
				return e, errors.New("fenced meta record is too short")
			}
			e.kind = kindMeta
		}
		flag, rest := rest[0], rest[1:]
		switch {
		case flag == 0 && len(rest) == 0:
		case flag == 1:
			r, err := decodeItemBody(rest)
			if err != nil {
				return e, fmt.Errorf("pending write: %w", err)
			}
			e.meta.Pending = &r
		default:
			return e, errors.New("meta record has a bad pending flag or trailing bytes")
		}
	case kindItem:
		r, err := decodeItemBody(rest)
		if err != nil {
			return e, err
		}
		e.item = r
	default:
		return e, fmt.Errorf("unknown record kind %d", e.kind)
	}
	return e, checkEntry(e)
}

// decodeFence reads a fence into m and returns what follows it.
func decodeFence(b []byte, m *state.Meta) ([]byte, error) {
	if len(b) < fenceFixed {
		return nil, errors.New("fence is too short")
	}
	m.Fence = int64(binary.LittleEndian.Uint64(b))
	flags, n := b[8], int(b[9])
	b = b[fenceFixed:]
	if flags&^(flagFenceAll|flagMoved|flagLock) != 0 {
		return nil, fmt.Errorf("fence has unknown flags %#x", flags)
	}
	if len(b) < n {
		return nil, errors.New("movedTo overruns the record")
	}
	m.FenceAll, m.Moved, m.MovedTo = flags&flagFenceAll != 0, flags&flagMoved != 0, string(b[:n])
	b = b[n:]
	if flags&flagLock == 0 {
		return b, nil
	}
	var fields [4]string
	for i := range fields {
		if len(b) < 2 {
			return nil, errors.New("move lock is too short")
		}
		n := int(binary.LittleEndian.Uint16(b))
		if len(b) < 2+n {
			return nil, errors.New("move lock overruns the record")
		}
		fields[i], b = string(b[2:2+n]), b[2+n:]
	}
	if len(b) < 8 {
		return nil, errors.New("move lock is too short")
	}
	m.Lock = &state.MoveLock{ID: fields[0], Owner: fields[1], Target: fields[2], Step: fields[3], Expires: time.Unix(0, int64(binary.LittleEndian.Uint64(b))).UTC()}
	return b[8:], nil
}

func decodeItemBody(b []byte) (state.Record, error) {
	var r state.Record
	if len(b) < 2 {
		return r, errors.New("item is too short")
	}
	kl := int(binary.LittleEndian.Uint16(b))
	if len(b) < itemFixed+kl {
		return r, errors.New("key overruns the record")
	}
	r.Key = string(b[2 : 2+kl])
	r.Seq = binary.LittleEndian.Uint64(b[2+kl:])
	value := b[itemFixed+kl:]
	switch b[2+kl+8] {
	case 0:
		r.Value = append([]byte{}, value...)
	case 1:
		r.Deleted = true
		if len(value) > 0 {
			return r, errors.New("a tombstone carries a value")
		}
	default:
		return r, errors.New("bad deleted flag")
	}
	return r, nil
}
