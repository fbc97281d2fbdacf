package contract

// The DynamoDB table of an AWS cell's state (adapter workload/state/dynamo,
// component components/aws). The component creates the table with exactly
// this schema; the adapter checks it once when it opens (DescribeTable) and
// refuses a table that differs.
//
// Table:
//
//   - partition (HASH) key DynamoPartitionKey, type DynamoPartitionKeyType:
//     the tenant id;
//   - sort (RANGE) key DynamoSortKey, type DynamoSortKeyType: the record's
//     name in the tenant's partition (the adapter's, not a user key as it is);
//   - the attribute DynamoSeqAttribute, type DynamoSeqAttributeType, on every
//     key's item (never on the tenant's meta record): the sequence number of
//     the write that stored it.
//
// Local secondary index DynamoSeqIndex: partition key DynamoPartitionKey,
// sort key DynamoSeqAttribute, projection DynamoSeqIndexProjection (the
// change feed reads values from the index). A local secondary index can only
// be created with the table, so a table without it must be created again.
// With a local secondary index DynamoDB limits one partition key value's
// items, the table's and the index's together, to 10 GB: with the ALL
// projection a tenant holds about 5 GB of values at most.
//
// Every other attribute the adapter writes is its own (see its package
// documentation); DynamoDB needs no declaration of them. Billing mode,
// encryption, point-in-time recovery and deletion protection are the
// component's choice: the adapter needs none of them.
const (
	DynamoPartitionKey     = "tenant"
	DynamoPartitionKeyType = "S"
	DynamoSortKey          = "key"
	DynamoSortKeyType      = "S"

	DynamoSeqAttribute       = "seq"
	DynamoSeqAttributeType   = "N"
	DynamoSeqIndex           = "seq"
	DynamoSeqIndexProjection = "ALL"
)

// DynamoResource is what a DynamoDB permission is granted on.
type DynamoResource string

// The resources of the adapter's calls.
const (
	// DynamoTableResource is the table's ARN
	// (arn:aws:dynamodb:<region>:<account>:table/<name>).
	DynamoTableResource DynamoResource = "table"
	// DynamoSeqIndexResource is the ARN of the DynamoSeqIndex index,
	// DynamoIndexARN(table ARN). A Query on an index is authorised on the
	// index's ARN, not the table's: granting dynamodb:Query on the table
	// alone fails the change feed with AccessDeniedException.
	DynamoSeqIndexResource DynamoResource = "seq-index"
)

// DynamoIndexARN returns the ARN of the DynamoSeqIndex index of the table
// tableARN.
func DynamoIndexARN(tableARN string) string {
	return tableARN + "/index/" + DynamoSeqIndex
}

// DynamoPermission is one IAM action the workload's role needs on one
// resource.
type DynamoPermission struct {
	// Action is the IAM action, e.g. "dynamodb:GetItem".
	Action string
	// On is the resource the action is granted on.
	On DynamoResource
	// Calls says which of the adapter's calls need it.
	Calls string
}

// DynamoPermissions are every permission the DynamoDB adapter's calls need,
// and no other: the component grants exactly these to the workload's task
// role, and the adapter's tests fail on a call not listed here or a
// permission never used. Conditional writes (condition expressions on
// PutItem) need no permission of their own; the adapter makes no
// transaction, batch, update, delete or scan call.
var DynamoPermissions = []DynamoPermission{
	{Action: "dynamodb:DescribeTable", On: DynamoTableResource,
		Calls: "Open: checks once that the table and its index exist with this schema"},
	{Action: "dynamodb:GetItem", On: DynamoTableResource,
		Calls: "GetMeta and GetItem (strongly consistent reads), Ping (a read of a record no tenant can have)"},
	{Action: "dynamodb:PutItem", On: DynamoTableResource,
		Calls: "PutMeta and PutItem (writes on the condition that the record's version is unchanged)"},
	{Action: "dynamodb:Query", On: DynamoTableResource,
		Calls: "ScanKeys: a tenant's items in key order (strongly consistent)"},
	{Action: "dynamodb:Query", On: DynamoSeqIndexResource,
		Calls: "ScanSeq: a tenant's items in sequence order, from the index (strongly consistent)"},
}
