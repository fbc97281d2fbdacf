package refcell

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// The log file starts with logHeader; records follow:
//
//	u32 payload length | u32 CRC-32C of payload | payload
//	payload: u8 op | u8 tenant length | tenant | u16 key length | key | value
//
// Integers are little-endian. A delete has no value.
const (
	logHeader   = "cellfabric-kv-v1\n"
	recordHead  = 8
	opPut       = 1
	opDelete    = 2
	maxPayload  = 1 + 1 + MaxTenantBytes + 2 + MaxKeyBytes + MaxValueBytes
	minPayload  = 1 + 1 + 1 + 2 + 1
	logFileName = "kv.log"
	tmpFileName = "kv.log.tmp"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// record is one write.
type record struct {
	op     byte
	tenant string
	key    string
	value  []byte
}

// size is the record's length in the log.
func (r record) size() int64 {
	return int64(recordHead + 1 + 1 + len(r.tenant) + 2 + len(r.key) + len(r.value))
}

// appendRecord encodes r at the end of b.
func appendRecord(b []byte, r record) []byte {
	n := 1 + 1 + len(r.tenant) + 2 + len(r.key) + len(r.value)
	start := len(b)
	b = binary.LittleEndian.AppendUint32(b, uint32(n))
	b = binary.LittleEndian.AppendUint32(b, 0) // CRC, filled in below
	b = append(b, r.op, byte(len(r.tenant)))
	b = append(b, r.tenant...)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(r.key)))
	b = append(b, r.key...)
	b = append(b, r.value...)
	binary.LittleEndian.PutUint32(b[start+4:], crc32.Checksum(b[start+recordHead:], castagnoli))
	return b
}

// errTorn means the data ends in the middle of a record.
var errTorn = errors.New("torn record")

// decodeRecord reads the record at the start of b and returns it with its
// length. It returns errTorn when b ends before the record does, and another
// error when the record is damaged. The record's strings and value are
// copies: b may be reused.
func decodeRecord(b []byte) (record, int, error) {
	var r record
	if len(b) < recordHead {
		return r, 0, errTorn
	}
	n := int(binary.LittleEndian.Uint32(b))
	if n < minPayload || n > maxPayload {
		return r, 0, fmt.Errorf("record length %d is out of range", n)
	}
	if len(b) < recordHead+n {
		return r, 0, errTorn
	}
	p := b[recordHead : recordHead+n]
	if crc32.Checksum(p, castagnoli) != binary.LittleEndian.Uint32(b[4:]) {
		return r, 0, errors.New("checksum mismatch")
	}
	r.op = p[0]
	tl := int(p[1])
	if r.op != opPut && r.op != opDelete {
		return r, 0, fmt.Errorf("unknown operation %d", r.op)
	}
	if 2+tl+2 > len(p) {
		return r, 0, errors.New("tenant overruns the record")
	}
	r.tenant = string(p[2 : 2+tl])
	kl := int(binary.LittleEndian.Uint16(p[2+tl:]))
	rest := p[2+tl+2:]
	if kl > len(rest) {
		return r, 0, errors.New("key overruns the record")
	}
	r.key = string(rest[:kl])
	if r.op == opPut {
		r.value = append([]byte{}, rest[kl:]...)
	} else if len(rest) != kl {
		return r, 0, errors.New("a delete carries a value")
	}
	if !validTenant(r.tenant) || validKey(r.key) != nil {
		return r, 0, errors.New("invalid tenant or key")
	}
	if len(r.value) > MaxValueBytes {
		return r, 0, errors.New("value over the size limit")
	}
	return r, recordHead + n, nil
}

// validTenant checks a tenant id the way the registry does (a DNS label).
func validTenant(t string) bool {
	if t == "" || len(t) > MaxTenantBytes || t[0] == '-' || t[len(t)-1] == '-' {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// validKey returns why key is not a valid key, or nil.
func validKey(key string) error {
	if key == "" {
		return errors.New("empty key")
	}
	if len(key) > MaxKeyBytes {
		return fmt.Errorf("key is %d bytes, over the %d byte limit", len(key), MaxKeyBytes)
	}
	if key == "." || key == ".." {
		return errors.New(`"." and ".." are not keys`)
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' || c == '~' || c == ':') {
			return fmt.Errorf("key has the character %q at byte %d: use letters, digits, '.', '_', '-', '~' or ':'", c, i)
		}
	}
	return nil
}
