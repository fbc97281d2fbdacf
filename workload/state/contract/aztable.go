package contract

// Azure Table Storage: what the Azure cell component creates and grants
// for the aztable adapter (workload/state/aztable).
//
// # Schema
//
// One table per cell, named by EnvStore, in the storage account whose
// table service URL is EnvEndpoint. Table Storage is schemaless and has no
// secondary indexes, so the component creates the table and nothing else:
//
//   - PartitionKey (string): the tenant id. A tenant's records share one
//     partition, so single-entity reads and writes are strongly consistent
//     and a tenant's scans never leave its partition.
//   - RowKey (string): AzureTableMetaRowKey for the tenant's meta record;
//     AzureTableItemRowPrefix followed by the key for each item. Every key
//     character sorts below ';', so the items are exactly the row keys in
//     ["k:", "k;"), in the keys' byte order, and the meta record ("m") is
//     never among them, whatever a user key looks like.
//   - AzureTableSeqProperty (Edm.Int64): an item's sequence number; the
//     change feed filters on it (a partition scan: there is no index).
//   - The rest (Edm.Boolean, Edm.Int32, Edm.Binary, Edm.String
//     properties named in the adapter's entity.go) carry the value split
//     into Edm.Binary properties of at most AzureTableChunkBytes each, and
//     the meta record's pending write. Nothing outside the adapter reads
//     them.
const (
	// AzureTablePartitionKey is the entity property holding the tenant id.
	AzureTablePartitionKey = "PartitionKey"
	// AzureTableRowKey is the entity property holding the record's name.
	AzureTableRowKey = "RowKey"
	// AzureTableMetaRowKey is the row key of a tenant's meta record.
	AzureTableMetaRowKey = "m"
	// AzureTableItemRowPrefix starts the row key of every item: the row key
	// of key K is "k:" + K.
	AzureTableItemRowPrefix = "k:"
	// AzureTableSeqProperty is the Edm.Int64 property holding an item's
	// sequence number.
	AzureTableSeqProperty = "Seq"
	// AzureTableChunkBytes is the most a single Edm.Binary property holds
	// (64 KiB, the service's limit); a value is split over as many as it
	// needs.
	AzureTableChunkBytes = 64 << 10
)

// Azure RBAC data actions on table entities (Azure's names, from the
// resource provider operations list).
const (
	// AzureTableEntitiesRead: "Query table entities".
	AzureTableEntitiesRead = "Microsoft.Storage/storageAccounts/tableServices/tables/entities/read"
	// AzureTableEntitiesAdd: "Insert table entities".
	AzureTableEntitiesAdd = "Microsoft.Storage/storageAccounts/tableServices/tables/entities/add/action"
	// AzureTableEntitiesUpdate: "Merge or update table entities".
	AzureTableEntitiesUpdate = "Microsoft.Storage/storageAccounts/tableServices/tables/entities/update/action"
)

// AzureTableCall is one kind of REST call the aztable adapter makes, and the
// data action Azure checks for it.
type AzureTableCall struct {
	// Method is the HTTP method.
	Method string
	// Path is the request path below the table service URL, with {table}
	// for the table name and {pk}, {rk} for the entity's keys.
	Path string
	// Operation is the Table service REST operation.
	Operation string
	// DataAction is the Azure RBAC data action the call needs.
	DataAction string
	// UsedBy says which of the adapter's methods make the call.
	UsedBy string
}

// AzureTableCalls lists every REST call the aztable adapter makes. The
// adapter's tests record the calls it makes against azurite and fail on
// one missing here, and on one listed here that it never makes.
//
// Azure's table of permissions for Table service operations (Storage REST
// API, "Authorize with Microsoft Entra ID") names, per operation: Query
// Entities → entities/read; Insert Entity → entities/write or
// entities/add/action; Update Entity → entities/write or
// entities/update/action. The narrower alternative is listed here:
// entities/write also allows Insert Or Replace and Insert Or Merge, which
// write without a condition, and the adapter never does that.
var AzureTableCalls = []AzureTableCall{
	{
		Method: "GET", Path: "/{table}(PartitionKey='{pk}',RowKey='{rk}')",
		Operation: "Query Entities (one entity by its keys)", DataAction: AzureTableEntitiesRead,
		UsedBy: "GetMeta, GetItem, Ping",
	},
	{
		Method: "GET", Path: "/{table}()",
		Operation: "Query Entities (a filter within the tenant's partition)", DataAction: AzureTableEntitiesRead,
		UsedBy: "ScanKeys, ScanSeq",
	},
	{
		Method: "POST", Path: "/{table}",
		Operation: "Insert Entity", DataAction: AzureTableEntitiesAdd,
		UsedBy: "PutMeta, PutItem of a record that must not exist yet (state.NoVersion)",
	},
	{
		Method: "PUT", Path: "/{table}(PartitionKey='{pk}',RowKey='{rk}')",
		Operation: "Update Entity (replace, If-Match: the version read)", DataAction: AzureTableEntitiesUpdate,
		UsedBy: "PutMeta, PutItem of a record at a version",
	},
}

// AzureTableDataActions is every data action the aztable adapter needs, on
// the one table (assign at the table's scope:
// .../storageAccounts/<account>/tableServices/default/tables/<table>), and
// nothing more: no entity delete (records are never deleted; a delete is a
// tombstone), no unconditional write, no table create or delete (the
// component creates the table).
//
// No built-in role grants exactly these: "Storage Table Data Contributor"
// (0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3) also grants entities/write,
// entities/delete and the tables read/write/delete actions, and "Storage
// Table Data Reader" only entities/read (Azure built-in roles for Storage,
// https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/storage).
// So components/azure defines a custom role per cell whose DataActions are
// exactly these, assignable in the cell's resource group (a custom role's
// assignable scopes cannot be a single resource), and assigns it to the
// workload's identity at the table's scope only.
var AzureTableDataActions = []string{
	AzureTableEntitiesRead,
	AzureTableEntitiesAdd,
	AzureTableEntitiesUpdate,
}
