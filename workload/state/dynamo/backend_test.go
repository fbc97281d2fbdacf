package dynamo

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/contract"
	"github.com/cellfabric/cellfabric/workload/state/embedded"
)

// TestScanKeysLikeTheReference compares ScanKeys with the embedded
// backend's (the reference) for prefixes and cursors before, inside and
// after the keys, over keys that look like the adapter's own record names.
func TestScanKeysLikeTheReference(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	b := openTest(t, testOptions(shared.Endpoint(), newTable(t, shared.Endpoint(), nil)))
	ref := embedded.New()
	const tenant = "scan"
	keys := []string{"m", "k", "k:", "k:m", "~", ":", "-", "a", "a-", "a.b", "a:b", "a~", "ab", "abc", "b", "m:", "zz", "~meta", strings.Repeat("Z", state.MaxKeyBytes)}
	// A meta record and a neighbouring tenant's keys must never show.
	if _, err := b.PutMeta(ctx, tenant, state.Meta{Seq: uint64(len(keys))}, state.NoVersion); err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		r := state.Record{Key: k, Value: []byte(k), Seq: uint64(i + 1), Deleted: i%5 == 4}
		if r.Deleted {
			r.Value = nil
		}
		for _, be := range []state.Backend{b, ref} {
			if _, err := be.PutItem(ctx, tenant, r, state.NoVersion); err != nil {
				t.Fatalf("put %q: %v", k, err)
			}
			if _, err := be.PutItem(ctx, tenant+"x", state.Record{Key: k, Value: []byte("other"), Seq: 1}, state.NoVersion); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, prefix := range []string{"", "a", "a-", "ab", "k", "k:", "m", "~", ":", "zzz", "0"} {
		for _, after := range []string{"", "-", "a", "a-", "a:b", "ab", "abd", "k:", "l", "m", "~", "~~", "0"} {
			for _, limit := range []int{1, 3, 100} {
				name := fmt.Sprintf("prefix %q after %q limit %d", prefix, after, limit)
				got, err := b.ScanKeys(ctx, tenant, prefix, after, limit)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				want, _ := ref.ScanKeys(ctx, tenant, prefix, after, limit)
				if !sameRecords(got, want) {
					t.Errorf("%s: got %v, want %v", name, recordKeys(got), recordKeys(want))
				}
			}
		}
	}
}

// TestScansCrossOneMegabytePages: DynamoDB answers a query with at most
// 1 MB; both scans must follow LastEvaluatedKey to the limit.
func TestScansCrossOneMegabytePages(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	b := openTest(t, testOptions(shared.Endpoint(), newTable(t, shared.Endpoint(), nil)))
	const tenant, n = "big", 7 // 7 × 256 KiB is 1.75 MB: two pages
	var want []state.Record
	for i := range n {
		r := state.Record{Key: fmt.Sprintf("k%d", i), Value: bytes.Repeat([]byte{byte(i)}, state.MaxValueBytes), Seq: uint64(n - i)}
		if _, err := b.PutItem(ctx, tenant, r, state.NoVersion); err != nil {
			t.Fatal(err)
		}
		want = append(want, r)
	}
	got, err := b.ScanKeys(ctx, tenant, "", "", 100)
	if err != nil || !sameRecords(got, want) {
		t.Fatalf("ScanKeys: %v (%v), want %v", recordKeys(got), err, recordKeys(want))
	}
	got, err = b.ScanKeys(ctx, tenant, "", "k0", 5)
	if err != nil || !sameRecords(got, want[1:6]) {
		t.Fatalf("ScanKeys after k0, limit 5: %v (%v), want %v", recordKeys(got), err, recordKeys(want[1:6]))
	}
	slices.Reverse(want) // in sequence order
	got, err = b.ScanSeq(ctx, tenant, 0, n, 100)
	if err != nil || !sameRecords(got, want) {
		t.Fatalf("ScanSeq: %v (%v), want %v", recordKeys(got), err, recordKeys(want))
	}
	got, err = b.ScanSeq(ctx, tenant, 1, n-1, 100)
	if err != nil || !sameRecords(got, want[1:n-1]) {
		t.Fatalf("ScanSeq (1, %d]: %v (%v), want %v", n-1, recordKeys(got), err, recordKeys(want[1:n-1]))
	}
}

// TestMetaRecordStaysOutOfTheSeqIndex: the meta record must never be in
// the sequence index (the change feed would return it as an item).
func TestMetaRecordStaysOutOfTheSeqIndex(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	table := newTable(t, shared.Endpoint(), nil)
	b := openTest(t, testOptions(shared.Endpoint(), table))
	const tenant = "meta"
	p := state.Record{Key: "k", Value: []byte("pending"), Seq: 1}
	if _, err := b.PutMeta(ctx, tenant, state.Meta{Seq: 1, Pending: &p}, state.NoVersion); err != nil {
		t.Fatal(err)
	}
	out, err := adminClient(shared.Endpoint()).Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(table),
		IndexName:                 aws.String(contract.DynamoSeqIndex),
		KeyConditionExpression:    aws.String("#t = :t"),
		ExpressionAttributeNames:  map[string]string{"#t": contract.DynamoPartitionKey},
		ExpressionAttributeValues: attrs{":t": str(tenant)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Count != 0 {
		t.Fatalf("the sequence index holds %d records of a tenant with only a meta record: %v", out.Count, out.Items)
	}
	m, _, found, err := b.GetMeta(ctx, tenant)
	if err != nil || !found || m.Seq != 1 || m.Pending == nil || string(m.Pending.Value) != "pending" {
		t.Fatalf("meta read back: %+v found %v: %v", m, found, err)
	}
}

// TestConditionalWrites: a write succeeds only at the version read, and
// every successful write gives a new version.
func TestConditionalWrites(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	b := openTest(t, testOptions(shared.Endpoint(), newTable(t, shared.Endpoint(), nil)))
	const tenant = "cond"
	writes := []struct {
		name string
		put  func(state.Version) (state.Version, error)
		get  func() (state.Version, bool, error)
	}{
		{"item",
			func(v state.Version) (state.Version, error) {
				return b.PutItem(ctx, tenant, state.Record{Key: "k", Value: []byte("v"), Seq: 1}, v)
			},
			func() (state.Version, bool, error) {
				_, v, found, err := b.GetItem(ctx, tenant, "k")
				return v, found, err
			}},
		{"meta",
			func(v state.Version) (state.Version, error) { return b.PutMeta(ctx, tenant, state.Meta{Seq: 1}, v) },
			func() (state.Version, bool, error) {
				_, v, found, err := b.GetMeta(ctx, tenant)
				return v, found, err
			}},
	}
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			if _, found, err := w.get(); found || err != nil {
				t.Fatalf("before any write: found %v, %v", found, err)
			}
			v1, err := w.put(state.NoVersion)
			if err != nil {
				t.Fatalf("create: %v", err)
			}
			if _, err := w.put(state.NoVersion); !errors.Is(err, state.ErrConflict) {
				t.Fatalf("create again: %v, want ErrConflict", err)
			}
			v2, err := w.put(v1)
			if err != nil || v2 == v1 || v2 == state.NoVersion {
				t.Fatalf("write at the current version %q: new version %q, %v", v1, v2, err)
			}
			if _, err := w.put(v1); !errors.Is(err, state.ErrConflict) {
				t.Fatalf("write at the stale version %q: %v, want ErrConflict", v1, err)
			}
			if got, found, err := w.get(); err != nil || !found || got != v2 {
				t.Fatalf("read back version %q found %v (%v), want %q", got, found, err, v2)
			}
			if _, err := w.put("not-a-version"); err == nil || errors.Is(err, state.ErrConflict) {
				t.Fatalf("write at a version this backend never gave out: %v, want an error other than ErrConflict", err)
			}
		})
	}
}

// TestOpenChecksTheTable: Open refuses a missing table, and one without
// the contract's schema, saying what differs.
func TestOpenChecksTheTable(t *testing.T) {
	t.Parallel()
	noIndex := tableSchema("")
	noIndex.LocalSecondaryIndexes = nil
	noIndex.AttributeDefinitions = noIndex.AttributeDefinitions[:2] // DynamoDB refuses an unused one
	keysOnly := tableSchema("")
	keysOnly.LocalSecondaryIndexes[0].Projection.ProjectionType = types.ProjectionTypeKeysOnly
	cases := []struct {
		name  string
		table func(t *testing.T) string
		want  []string
		is    error
	}{
		{"missing table", func(*testing.T) string { return "no-such-table" }, []string{"no such table"}, state.ErrUnavailable},
		{"no sequence index", func(t *testing.T) string { return newTable(t, shared.Endpoint(), noIndex) }, []string{"no local secondary index seq", "deploy the cell again"}, nil},
		{"index projects keys only", func(t *testing.T) string { return newTable(t, shared.Endpoint(), keysOnly) }, []string{`projects "KEYS_ONLY", want ALL`}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b, err := Open(testContext(t), testOptions(shared.Endpoint(), c.table(t)))
			if err == nil {
				b.Close()
				t.Fatal("Open succeeded")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error %v is not %v", err, c.is)
			}
		})
	}
}

// TestClosedBackend: every call after Close fails with state.ErrClosed.
func TestClosedBackend(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	b := openTest(t, testOptions(shared.Endpoint(), newTable(t, shared.Endpoint(), nil)))
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	calls := map[string]error{
		"Ping": b.Ping(ctx),
	}
	_, _, _, calls["GetMeta"] = b.GetMeta(ctx, "t")
	_, calls["PutMeta"] = b.PutMeta(ctx, "t", state.Meta{Seq: 1}, state.NoVersion)
	_, _, _, calls["GetItem"] = b.GetItem(ctx, "t", "k")
	_, calls["PutItem"] = b.PutItem(ctx, "t", state.Record{Key: "k", Seq: 1}, state.NoVersion)
	_, calls["ScanKeys"] = b.ScanKeys(ctx, "t", "", "", 10)
	_, calls["ScanSeq"] = b.ScanSeq(ctx, "t", 0, 10, 10)
	for name, err := range calls {
		if !errors.Is(err, state.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
}

func sameRecords(a, b []state.Record) bool {
	return slices.EqualFunc(a, b, func(x, y state.Record) bool {
		return x.Key == y.Key && x.Seq == y.Seq && x.Deleted == y.Deleted && bytes.Equal(x.Value, y.Value) && (x.Value == nil) == (y.Value == nil)
	})
}

func recordKeys(rs []state.Record) []string {
	var out []string
	for _, r := range rs {
		k := r.Key
		if len(k) > 20 {
			k = fmt.Sprintf("%s…(%d bytes)", k[:8], len(k))
		}
		out = append(out, fmt.Sprintf("%s@%d", k, r.Seq))
	}
	return out
}
