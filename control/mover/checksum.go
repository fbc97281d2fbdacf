package mover

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	"github.com/cellfabric/cellfabric/workload/state"
)

// sum is a tenant's export summarised: its count and the sha256 over
// key|seq|value of every record, in key order (each field length-prefixed
// so no two exports hash alike by shifting bytes between fields).
type sum struct {
	keys  int
	hash  [sha256.Size]byte
	first string
}

func (s sum) hex() string { return hex.EncodeToString(s.hash[:]) }

// checksum exports tenant from c and sums it.
func checksum(ctx context.Context, c CellState, tenant string) (sum, error) {
	h := sha256.New()
	var s sum
	var buf []byte
	_, err := c.Export(ctx, tenant, func(r state.Record) error {
		if s.keys == 0 {
			s.first = r.Key
		}
		s.keys++
		buf = buf[:0]
		buf = strconv.AppendInt(buf, int64(len(r.Key)), 10)
		buf = append(buf, ':')
		buf = append(buf, r.Key...)
		buf = append(buf, '|')
		buf = strconv.AppendUint(buf, r.Seq, 10)
		buf = append(buf, '|')
		buf = strconv.AppendInt(buf, int64(len(r.Value)), 10)
		buf = append(buf, ':')
		h.Write(buf)
		h.Write(r.Value)
		return nil
	})
	if err != nil {
		return sum{}, err
	}
	copy(s.hash[:], h.Sum(nil))
	return s, nil
}
