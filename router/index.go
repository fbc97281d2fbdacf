package router

import (
	"encoding/binary"
	"hash/maphash"
)

// tenantIndex maps tenant ids to an int32 (a position in Registry.Tenants
// while validating, a route class once compiled). It exists for speed with
// large registries: a lookup in a Go map of a million strings touches about
// three cache lines at random addresses (control word, slot, key bytes);
// here a lookup of an id of up to inlineID bytes touches one.
//
// It is an open-addressing table with linear probing in one contiguous
// slice of 32-byte slots, filled to at most two thirds. A slot holds 32 bits
// of the id's hash, the value, the id's length and the id itself when it
// fits (most ids do); longer ids live back to back in one byte arena and the
// slot holds their offset. Slot positions and tags come from hash/maphash
// with a random seed, so no one can choose ids that collide. Lookups
// allocate nothing. The index is built once and then only read.
type tenantIndex struct {
	seed  maphash.Seed
	slots []tenantSlot
	long  []byte // ids longer than inlineID, back to back
	n     int
}

// inlineID is the longest id stored in its slot.
const inlineID = 23

type tenantSlot struct {
	tag uint32 // high half of the id's hash
	val int32
	n   uint8          // id length; 0 marks an empty slot
	key [inlineID]byte // the id, or (longer ids) its offset in long
}

// newTenantIndex returns an empty index with room for n ids.
func newTenantIndex(n int) *tenantIndex {
	size := n + n/2 + 1
	return &tenantIndex{seed: maphash.MakeSeed(), slots: make([]tenantSlot, size)}
}

// home returns the hash tag and first slot of id.
func (x *tenantIndex) home(id string) (uint32, int) {
	h := maphash.String(x.seed, id)
	// Map the low half onto [0, len) by multiplication (no division, no
	// power-of-two size needed).
	return uint32(h >> 32), int(uint64(uint32(h)) * uint64(len(x.slots)) >> 32)
}

// holds reports whether slot s holds id.
func (x *tenantIndex) holds(s *tenantSlot, id string) bool {
	if int(s.n) != len(id) {
		return false
	}
	if len(id) <= inlineID {
		return string(s.key[:len(id)]) == id
	}
	off := binary.LittleEndian.Uint32(s.key[:4])
	return string(x.long[off:off+uint32(len(id))]) == id
}

// lookup returns the value of id.
func (x *tenantIndex) lookup(id string) (int32, bool) {
	if len(id) == 0 || len(id) > 255 {
		return 0, false
	}
	tag, i := x.home(id)
	for {
		s := &x.slots[i]
		if s.n == 0 {
			return 0, false
		}
		if s.tag == tag && x.holds(s, id) {
			return s.val, true
		}
		if i++; i == len(x.slots) {
			i = 0
		}
	}
}

// insert adds id with val, unless id is there already: then it returns the
// value it has and false. The index must have room (newTenantIndex's n);
// ids must be 1..255 bytes.
func (x *tenantIndex) insert(id string, val int32) (int32, bool) {
	tag, i := x.home(id)
	for {
		s := &x.slots[i]
		if s.n == 0 {
			break
		}
		if s.tag == tag && x.holds(s, id) {
			return s.val, false
		}
		if i++; i == len(x.slots) {
			i = 0
		}
	}
	s := &x.slots[i]
	s.tag, s.val, s.n = tag, val, uint8(len(id))
	if len(id) <= inlineID {
		copy(s.key[:], id)
	} else {
		binary.LittleEndian.PutUint32(s.key[:4], uint32(len(x.long)))
		x.long = append(x.long, id...)
	}
	x.n++
	return val, true
}

// remap replaces every value v by f(v).
func (x *tenantIndex) remap(f func(int32) int32) {
	for i := range x.slots {
		if x.slots[i].n != 0 {
			x.slots[i].val = f(x.slots[i].val)
		}
	}
}

// len returns the number of ids.
func (x *tenantIndex) len() int { return x.n }
