package contract

// Cloud Firestore (Native mode): the layout the state/firestore adapter
// keeps in the cell's database, the single-field index settings the cell
// component should make, and the IAM permissions the adapter's calls need.
//
// Layout, in the database named by EnvStore:
//
//	tenants/{tenant}                  the tenant's meta record
//	    seq      integer               last sequence number given out
//	    pending  map (absent: none)    the ordered, perhaps unstored write:
//	        key      string
//	        seq      integer
//	        deleted  boolean
//	        value    bytes (absent for a deletion)
//	tenants/{tenant}/items/k{key}     one key's item (tombstones included)
//	    seq      integer               the write that stored it
//	    deleted  boolean
//	    value    bytes (absent on a tombstone)
//
// A record's version is the document's update time (Firestore changes it
// on every write that changes the document); conditional writes carry it
// as an update-time precondition, and "only if absent" is a create.
//
// The adapter runs two queries on a tenant's items collection: by document
// id (cursors after the last key read and before the end of a prefix) and
// by seq (a range on seq, ordered by seq). Both are served by indexes
// Firestore keeps without being asked (the document id, and the automatic
// single-field index on seq), so the database needs no composite index.
const (
	// FirestoreTenants is the root collection: one document per tenant,
	// whose id is the tenant id and whose fields are the meta record.
	FirestoreTenants = "tenants"
	// FirestoreItems is the subcollection of a tenant's document that holds
	// its items.
	FirestoreItems = "items"
	// FirestoreItemPrefix starts every item's document id: the id is the
	// prefix and the key, so that no key ("." and ".." are not keys, but
	// "__x__" is) is an id Firestore reserves, and ids sort as keys do.
	FirestoreItemPrefix = "k"
	// FirestorePingDoc is the document of FirestoreTenants the adapter
	// reads to check that the database answers. No tenant has its id (a
	// tenant id has no underscore) and it is never written.
	FirestorePingDoc = "_ping"

	// FirestoreFieldSeq is the sequence number field of meta records,
	// items and the pending write.
	FirestoreFieldSeq = "seq"
	// FirestoreFieldDeleted marks a tombstone (items, the pending write).
	FirestoreFieldDeleted = "deleted"
	// FirestoreFieldValue holds a value (items, the pending write).
	FirestoreFieldValue = "value"
	// FirestoreFieldPending is the meta record's pending write (a map).
	FirestoreFieldPending = "pending"
	// FirestoreFieldKey is the key of the pending write.
	FirestoreFieldKey = "key"
	// FirestoreFieldFence is the meta record's fence (workload/state's
	// FenceState: fence, fenceAll, moved, movedTo) and
	// FirestoreFieldLock its move lock (id, owner, target, step, expires
	// in RFC 3339), both maps and absent when unset.
	FirestoreFieldFence = "fence"
	FirestoreFieldLock  = "lock"
)

// FirestoreFieldIndex is a single-field index setting (a Firestore field
// override) for one field of one collection group.
type FirestoreFieldIndex struct {
	// Collection is the collection group id.
	Collection string
	// Field is the field path.
	Field string
	// Ascending keeps the ascending single-field index (and only it);
	// false turns every automatic index of the field off.
	Ascending bool
}

// FirestoreFieldIndexes are the field overrides the cell component should
// set. Only items' seq is queried; every other field is exempt from
// automatic indexing, above all values (up to 256 KiB each), whose index
// entries would cost storage and write latency and serve no query. The
// adapter works without them (Firestore indexes every field by default);
// they only make writes cheaper.
var FirestoreFieldIndexes = []FirestoreFieldIndex{
	{Collection: FirestoreItems, Field: FirestoreFieldSeq, Ascending: true},
	{Collection: FirestoreItems, Field: FirestoreFieldValue},
	{Collection: FirestoreItems, Field: FirestoreFieldDeleted},
	{Collection: FirestoreTenants, Field: FirestoreFieldSeq},
	{Collection: FirestoreTenants, Field: FirestoreFieldPending},
}

// Firestore IAM permissions the adapter's calls need.
const (
	// FirestoreEntitiesGet reads documents: BatchGetDocuments (every read
	// of a meta record or an item, and Ping), and the document data of a
	// query (RunQuery).
	FirestoreEntitiesGet = "datastore.entities.get"
	// FirestoreEntitiesList runs queries: RunQuery (ScanKeys, ScanSeq).
	FirestoreEntitiesList = "datastore.entities.list"
	// FirestoreEntitiesCreate writes a document with the precondition that
	// it does not exist: Commit of a create (a tenant's first meta record,
	// a key's first item).
	FirestoreEntitiesCreate = "datastore.entities.create"
	// FirestoreEntitiesUpdate writes a document with an update-time
	// precondition: Commit of an update (every later write).
	FirestoreEntitiesUpdate = "datastore.entities.update"
)

// FirestorePermissions are every permission the adapter needs, and no
// other: it never deletes a document, begins a transaction or reads
// database metadata.
var FirestorePermissions = []string{
	FirestoreEntitiesGet,
	FirestoreEntitiesList,
	FirestoreEntitiesCreate,
	FirestoreEntitiesUpdate,
}

// FirestoreCalls maps each call the adapter makes — the gRPC method of
// google.firestore.v1.Firestore, and for Commit the kind of write it holds
// — to the permissions it needs. The adapter's tests record every call it
// makes against the emulator and fail on one missing here, or on one here
// it never makes.
var FirestoreCalls = map[string][]string{
	"BatchGetDocuments": {FirestoreEntitiesGet},
	"RunQuery":          {FirestoreEntitiesGet, FirestoreEntitiesList},
	"Commit:create":     {FirestoreEntitiesCreate},
	"Commit:update":     {FirestoreEntitiesUpdate},
}

// FirestoreRole is the narrowest predefined role that holds every one of
// FirestorePermissions (Cloud Datastore User). It holds more than the
// adapter uses — datastore.entities.delete and allocateIds, beginning
// transactions (datastore.databases.get), database metadata, index,
// namespace and statistics reads — so a custom role with exactly
// FirestorePermissions is the least privilege; either way the grant
// should carry the condition that limits it to the cell's database.
const FirestoreRole = "roles/datastore.user"
