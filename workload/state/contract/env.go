package contract

// Kind names a state adapter.
type Kind string

// The adapters.
const (
	// Embedded keeps tenant data in the workload's memory, and with a data
	// directory in an append-only log on its disk: `cellfabric local` and
	// tests. A cloud cell never uses it (its disk is gone at every restart).
	Embedded Kind = "embedded"
	// DynamoDB keeps tenant data in an Amazon DynamoDB table (AWS cells).
	DynamoDB Kind = "dynamodb"
	// AzureTable keeps tenant data in an Azure Storage table (Azure cells).
	AzureTable Kind = "azuretable"
	// Firestore keeps tenant data in a Cloud Firestore database (GCP cells).
	Firestore Kind = "firestore"
)

// Kinds lists the adapters.
var Kinds = []Kind{Embedded, DynamoDB, AzureTable, Firestore}

// Environment variables the cell components set on the workload, and the
// workload reads to open its store.
const (
	// EnvKind is the adapter: one of Kinds. Unset: Embedded.
	EnvKind = "CELLFABRIC_STATE_KIND"
	// EnvStore names the store: the DynamoDB table name, the Azure table
	// name, the Firestore database id. Required for the cloud adapters.
	EnvStore = "CELLFABRIC_STATE_STORE"
	// EnvEndpoint overrides the service endpoint: the Azure table service
	// URL (https://<account>.table.core.windows.net, required for Azure),
	// or an emulator's address for local runs (DynamoDB, Firestore).
	// Zero: the cloud's own endpoint.
	EnvEndpoint = "CELLFABRIC_STATE_ENDPOINT"
	// EnvRegion is the AWS region of the DynamoDB table. Zero: the cell's
	// region (CELLFABRIC_REGION).
	EnvRegion = "CELLFABRIC_STATE_REGION"
	// EnvProject is the GCP project of the Firestore database. Required for
	// Firestore.
	EnvProject = "CELLFABRIC_STATE_PROJECT"
	// EnvIdentity is the client id of the Azure user-assigned managed
	// identity the workload authenticates as. Zero: the system-assigned
	// identity (or, outside Azure, the default credential chain).
	EnvIdentity = "CELLFABRIC_STATE_IDENTITY"
	// EnvDataDir is the embedded adapter's data directory. Zero: memory
	// only.
	EnvDataDir = "CELLFABRIC_DATA_DIR"
)
