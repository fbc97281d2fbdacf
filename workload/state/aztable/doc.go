// Package aztable is the state port's Backend over an Azure Storage table
// (Azure cells), built on the aztables SDK. The write protocol, sequence
// numbers, preconditions and limits are the core's (state.New): this
// package only reads and writes single entities conditionally and scans a
// tenant's partition.
//
// # What is stored where
//
// One table per cell (Options.Table). A tenant is a partition (the
// PartitionKey is the tenant id), holding:
//
//   - the meta record, RowKey "m": Last (Edm.Int64, the last sequence
//     number given out) and, while a write is pending, PKey, PSeq, PDel,
//     PLen and the pending value in P0, P1, ...; when set, the fence
//     (Fence Edm.Int64, FenceAll and Moved Edm.Boolean, MovedTo) and the
//     move lock (LockID, LockOwner, LockTarget, LockStep, LockExpires in
//     RFC 3339, all Edm.String);
//   - one item per key ever written, RowKey "k:" + key: Seq (Edm.Int64),
//     Del (Edm.Boolean, a tombstone), Len (Edm.Int32) and the value in V0,
//     V1, ...
//
// A property holds at most 64 KiB, so a value (up to state.MaxValueBytes,
// 256 KiB) is split over up to four Edm.Binary properties and joined on
// read, its length checked. An entity stays well under the service's
// 1 MiB and 255 properties: the meta record carries at most one value.
//
// Keys are made of characters that all sort below ';', so every item's row
// key lies in ["k:", "k;") in the keys' byte order and the meta record is
// never among them, whatever a key looks like ("~", ":", "m"...).
// contract/aztable.go declares this layout for the cell component.
//
// # Consistency and versions
//
// Reads of one entity are strongly consistent. A record's version is the
// service's ETag: a write is an Insert Entity when the record must not
// exist yet (409 EntityAlreadyExists: state.ErrConflict), else an Update
// Entity in replace mode with If-Match: the ETag read (412, or 404 when
// the record is gone: state.ErrConflict). Any other failure — no
// connection, a timeout (Options.Timeout a request), 5xx, 503 ServerBusy,
// 429, a denied permission, a missing table — is state.ErrUnavailable.
// Reads are retried twice on failure; writes only on 429 and 503, which
// say the write was not taken (a retry after a lost answer could report
// the adapter's own write as a conflict).
//
// ScanKeys is one row-key range query in the partition, which the service
// answers in key order. ScanSeq has no index to use: it filters the
// partition on Seq and sorts the matches itself, so each change-feed read
// costs a scan of the tenant's partition.
//
// # Permissions
//
// Three data actions on the one table, listed with the calls that need
// them in contract.AzureTableCalls: entities/read (Query Entities),
// entities/add/action (Insert Entity), entities/update/action (Update
// Entity). The package's tests record every call made during the
// conformance suite and check them against that list.
//
// Credentials: Microsoft Entra ID through a managed identity
// (Options.ClientID for a user-assigned one, else the default credential
// chain), or an account key for an emulator (Options.SharedKey; never
// logged).
//
// The package imports the Azure SDK's core, identity and tables modules
// and the state port; never Pulumi, another cloud's SDK or the router.
package aztable
