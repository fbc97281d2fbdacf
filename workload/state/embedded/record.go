package embedded

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

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
//	u8 kind (1 meta, 2 item) | u8 tenant length | tenant | body
//	meta body: u64 seq | u8 pending (0 or 1) | [item body of the pending write]
//	item body: u16 key length | key | u64 seq | u8 deleted (0 or 1) | value
//
// The value is the rest of the payload (none for a tombstone). Integers are
// little-endian. Every record holds the whole record it names: replaying
// the log in order and keeping the last record of each meta and item
// rebuilds the store.
const (
	logHeader    = "cellfabric-kv-v2\n"
	logFileName  = "kv.log"
	tmpFileName  = "kv.log.tmp"
	lockFileName = "kv.lock"

	recordHead = 8
	kindMeta   = 1
	kindItem   = 2

	maxTenantBytes = 63
	itemFixed      = 2 + 8 + 1 // key length, seq, deleted
	metaFixed      = 8 + 1     // seq, pending
	// minPayload is a meta record of a one-letter tenant without a pending
	// write; maxPayload a meta record whose pending write is as large as an
	// item can be, the largest record there is.
	minPayload = 1 + 1 + 1 + metaFixed
	maxPayload = 1 + 1 + maxTenantBytes + metaFixed + itemFixed + state.MaxKeyBytes + state.MaxValueBytes
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

func payloadSize(e entry) int {
	n := 1 + 1 + len(e.tenant)
	if e.kind == kindMeta {
		n += metaFixed
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
	b = append(b, e.kind, byte(len(e.tenant)))
	b = append(b, e.tenant...)
	if e.kind == kindMeta {
		b = binary.LittleEndian.AppendUint64(b, e.meta.Seq)
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
		return nil
	case kindItem:
		return checkItem(e.item)
	}
	return fmt.Errorf("unknown record kind %d", e.kind)
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
	case kindMeta:
		if len(rest) < metaFixed {
			return e, errors.New("meta record is too short")
		}
		e.meta.Seq = binary.LittleEndian.Uint64(rest)
		flag, rest := rest[8], rest[metaFixed:]
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
