// Package dynamo is the state port's backend on Amazon DynamoDB: a
// state.Backend over one table that the AWS cell component creates with the
// schema declared in workload/state/contract (dynamo.go). It implements
// records, versions and ordered scans only; the write protocol is the core's
// (state.New).
//
// # What is stored where
//
// A tenant is one partition (the partition key contract.DynamoPartitionKey
// holds the tenant id). In it the sort key contract.DynamoSortKey names the
// record:
//
//   - "m": the tenant's meta record. Attributes: last (N, the last sequence
//     number given out), ver (N), and, while a write is pending, pkey (S),
//     pseq (N), pval (B) and pdel (BOOL) — the pending record; when set,
//     the fence: fence (N), fenceall (BOOL), moved (BOOL) and movedto
//     (S), and the move lock: lock (M of id, owner, target, step and
//     expires, RFC 3339, all S).
//   - "k:" + key: one key's item, tombstones included. Attributes: seq (N,
//     contract.DynamoSeqAttribute), ver (N), val (B, absent on a
//     tombstone) and del (BOOL true, only on a tombstone).
//
// A user key is never stored bare, so no key — "m", "~" or ":" included —
// can name the meta record, and since the prefix is the same for every
// item, the sort key's byte order is the keys' byte order. The meta record
// has no seq attribute, so it never appears in the sequence index (a local
// secondary index indexes only items that have its sort key). Because the
// table has a local secondary index, DynamoDB caps one tenant's records, the
// table's and the index's copies together, at 10 GB: about 5 GB of values.
//
// # Versions and conditional writes
//
// Every record carries ver, a number the adapter increments on each write;
// its decimal string is the record's state.Version. A write is a PutItem
// with the condition "ver = the version read" (attribute_not_exists(ver)
// for state.NoVersion); a failed condition is state.ErrConflict. No
// transactions are used: the core needs single-record conditional writes
// only.
//
// # Reads and scans
//
// GetItem and Query are strongly consistent (ConsistentRead). ScanKeys
// queries the tenant's partition with begins_with("k:" + prefix) on the sort
// key, starting after the cursor's item (ExclusiveStartKey, which need not
// name an existing item); ScanSeq queries the local secondary index
// contract.DynamoSeqIndex with seq BETWEEN since+1 AND upTo — a local index
// supports strongly consistent reads, a global one would not. Both follow
// LastEvaluatedKey across DynamoDB's 1 MB pages until they have the limit.
//
// # Failures
//
// Each call runs under Options.Timeout (retries included, with the SDK's
// standard retryer: throttling and 5xx answers are retried with backoff).
// Every failure other than a failed condition — an unreachable endpoint, a
// timeout, throttling, a missing table, a denied permission — is returned
// wrapping state.ErrUnavailable, with the SDK's error beside it.
//
// # Permissions
//
// contract.DynamoPermissions: dynamodb:DescribeTable (Open), GetItem,
// PutItem and Query on the table, and Query on the index's ARN
// (contract.DynamoIndexARN). The tests record every call the adapter makes
// and fail on one that is not declared there.
//
// # Credentials
//
// Options.Credentials, or when nil the SDK's default chain (on ECS the task
// role). Open reads nothing else from the environment: the table, region
// and endpoint come from Options.
//
// The package imports the AWS SDK for Go v2 and the state port only: no
// Pulumi, no other cloud's SDK.
package dynamo
