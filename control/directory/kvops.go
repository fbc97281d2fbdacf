package directory

// What the directory's writes cost in store operations, for a caller that
// runs under a limit of operations per request: a Worker may make at most
// 1,000 Workers KV operations per invocation (Cloudflare's Workers KV
// limits), so the Worker serves batches no larger than fit
// (cmd/edgeworker). TestBatchKVOps holds these figures to the code.
const (
	// EntryWriteKVOps is the most store operations one entry of a batch
	// (or one Put) costs: read its entry, read its removed epoch (a tenant
	// not in the directory), write its journal record, write its entry.
	// An entry already so costs one (the read of its entry), a change of
	// an existing entry three.
	EntryWriteKVOps = 4
	// CounterKVOps is what a batch costs per cell whose tenant count it
	// changes: read and write the cell's counter (n/<cell>), once per
	// batch.
	CounterKVOps = 2
)

// BatchKVOps is the most store operations a batch of n entries costs over
// a registry of cells cells: EntryWriteKVOps per entry, and CounterKVOps
// per cell whose count changes (at most every cell, and at most two per
// entry: a tenant that moves leaves one cell and joins another).
func BatchKVOps(n, cells int) int {
	return n*EntryWriteKVOps + min(cells, 2*n)*CounterKVOps
}

// MaxBatchWithin is the largest batch whose BatchKVOps over cells cells
// is at most ops (at least 1, at most MaxBatch).
func MaxBatchWithin(ops, cells int) int {
	n := (ops - cells*CounterKVOps) / EntryWriteKVOps
	return max(1, min(n, MaxBatch))
}
