package directory

import (
	"slices"
	"strings"
)

// sortedKeys is an ordered set of strings for Memory's listings: sorted
// blocks of at most blockMax keys, in order. Inserting or removing a key
// moves at most one block's worth of strings, so a set of millions of keys
// takes a write in microseconds (a single sorted slice would move half of it
// each time), and a listing starts with two binary searches.
type sortedKeys struct {
	blocks [][]string // each sorted and non-empty; every key of block i is below every key of block i+1
	n      int
}

const blockMax = 512

// locate returns the block where key is or would be inserted, and its
// position in it.
func (s *sortedKeys) locate(key string) (bi, i int, found bool) {
	if len(s.blocks) == 0 {
		return 0, 0, false
	}
	// The first block whose last key is >= key; past the end: the last block.
	bi, _ = slices.BinarySearchFunc(s.blocks, key, func(b []string, k string) int {
		return strings.Compare(b[len(b)-1], k)
	})
	if bi == len(s.blocks) {
		bi--
	}
	i, found = slices.BinarySearch(s.blocks[bi], key)
	return bi, i, found
}

// insert adds key; it reports false when key was there already.
func (s *sortedKeys) insert(key string) bool {
	if len(s.blocks) == 0 {
		s.blocks = [][]string{{key}}
		s.n = 1
		return true
	}
	bi, i, found := s.locate(key)
	if found {
		return false
	}
	b := slices.Insert(s.blocks[bi], i, key)
	if len(b) > blockMax {
		half := len(b) / 2
		right := slices.Clone(b[half:])
		b = slices.Clip(b[:half])
		s.blocks = slices.Insert(s.blocks, bi+1, right)
	}
	s.blocks[bi] = b
	s.n++
	return true
}

// remove deletes key; it reports false when key was not there.
func (s *sortedKeys) remove(key string) bool {
	bi, i, found := s.locate(key)
	if !found {
		return false
	}
	b := slices.Delete(s.blocks[bi], i, i+1)
	if len(b) == 0 {
		s.blocks = slices.Delete(s.blocks, bi, bi+1)
	} else {
		s.blocks[bi] = b
	}
	s.n--
	return true
}

// ascend calls fn with every key >= from (after is false) or > from (after
// is true), in order, until fn returns false.
func (s *sortedKeys) ascend(from string, after bool, fn func(key string) bool) {
	if len(s.blocks) == 0 {
		return
	}
	bi, i, found := s.locate(from)
	if found && after {
		i++
	}
	for ; bi < len(s.blocks); bi, i = bi+1, 0 {
		for _, k := range s.blocks[bi][i:] {
			if !fn(k) {
				return
			}
		}
	}
}
