// Package azure builds a cellfabric cell on Azure: NewCell registers a
// cellfabric:azure:Cell component that meets the cell contract
// (components/cell) with Container Apps, Table storage, Key Vault, a
// user-assigned managed identity and Log Analytics, all in one resource
// group per cell.
//
// It imports the Pulumi SDK, the Azure Native SDK modules, components/cell
// and stacks (for the network plan). It must not import infra, cmd, router
// or another cloud's component, and it never creates a provider: the caller
// passes one (pulumi.Provider or pulumi.Providers), and every child and
// every invoke (authorization.GetClientConfig, operationalinsights.
// GetSharedKeys) goes through it by parent.
//
// # What a cell holds, and why
//
// Resource group rg-cellfabric-<stack>-<cell> in cell.Args.Region; every
// other resource lives in it, so a cell is deleted as a unit. Physical names
// are set explicitly (names.go): Azure's limits are shorter than Pulumi's
// autonames, Table storage forbids the hyphen they carry, and the storage
// account (st<cell><hash>) and key vault (kv-<cell>-<hash>) names are
// global, so they carry a hash of project, stack and cell id. Every
// resource that takes tags gets cell.StandardTags.
//
// Network. A VNet over the whole cell CIDR with the subnets of
// stacks.PlanNetwork: "apps" (half the block) for the Container Apps
// environment, delegated to Microsoft.App/environments as a
// workload-profiles environment requires (minimum /27), with a
// Microsoft.Storage service endpoint; and "GatewaySubnet" (a /27 under
// exactly that name), left bare for the VPN gateway of the next issue (Azure
// allows no NSG on it). Subnets are separate resources; the gateway subnet
// waits for the apps subnet and the environment for both, because Azure
// rejects concurrent changes to one VNet. The VNet declares no inline
// subnets: the SDK warns that mixing inline and standalone subnets deletes
// them (pulumi/pulumi-azure-native#611).
//
// The NSG on "apps" follows Container Apps' documented rules for
// workload-profiles environments ("Securing a virtual network in Azure
// Container Apps with Network Security Groups",
// learn.microsoft.com/azure/container-apps/firewall-integration): TCP 443
// and 31443 (the environment's edge proxy) from the edge's ranges only, and
// TCP 30000-32767 from the AzureLoadBalancer service tag for its probes.
// Azure's default rules stay: VirtualNetwork traffic (the VPN mesh) is
// allowed, everything else denied. No rule has source *, Internet or
// 0.0.0.0/0. The same page says the NSG cannot filter public ingress of an
// external workload-profiles environment: that traffic arrives through the
// environment's public IP, not the subnet. The binding control is therefore
// the app's own IP restrictions (below); the NSG guards the VNet path.
//
// Edge ranges. cell.Args.IngressCIDRs is required. Container Apps IP
// restrictions take IPv4 blocks only ("Set up IP ingress restrictions in
// Azure Container Apps") and the app's endpoint has only an IPv4 address, so
// the IPv6 ranges are dropped (the edge reaches an IPv4-only origin over
// IPv4). The cell refuses 0.0.0.0/0, ::/0 and any block broader than /8
// (IPv4) or /16 (IPv6), malformed blocks, and a list with no IPv4 block:
// Container Apps reads an empty allow list as "allow everyone". A plain list
// is checked before anything is registered; an Output is checked when it
// resolves and fails the deployment.
//
// Compute. A Container Apps environment, VNet-integrated on "apps",
// external (the app has a public HTTPS endpoint), with the Consumption
// workload profile, zone-redundant in regions with availability zones
// (regions.go; asking for it elsewhere fails). Its app logs go to the Log
// Analytics workspace through the workspace's shared key, read with
// GetSharedKeys and kept secret. The Container App runs cell.Args.Image under
// the cell's user-assigned identity, with external ingress on cell.Args.Port
// (transport http, no plain HTTP), one Allow IP restriction per edge IPv4
// range, liveness and readiness probes on HealthPath and Port, and scaling
// between MinInstances and MaxInstances on concurrent HTTP requests. Its
// environment holds the contract's variables, cell.Args.Env (which may not
// override them nor AZURE_CLIENT_ID: checked before registering when Env is
// a literal map, when it resolves otherwise), CELLFABRIC_STATE_ENDPOINT (the account's table endpoint:
// a table name alone does not locate an Azure table) and AZURE_CLIENT_ID
// (the identity, for Azure SDK credentials). CELLFABRIC_EDGE_KEY is a
// secretRef to the app secret "edge-key", which is a Key Vault reference
// (the secret's URI plus the identity), never a value. The app waits for its
// role assignments, without which the reference fails on first deploy.
// Azure RBAC can still take minutes to propagate; if the first revision
// cannot read the secret in that window, running the update again succeeds.
//
// The Container Apps resources use the 2024-03-01 API (package
// app/v2/v20240301), not the module's default 2022-10-01, which has no
// workload-profile name and no Key Vault secret references; the type tokens
// are azure-native:app/v20240301:ManagedEnvironment and …:ContainerApp.
//
// Identity. A user-assigned managed identity with two role assignments and
// nothing else, each at the narrowest scope Azure RBAC allows: the cell's
// state role on the one table, Key Vault Secrets User on the one secret
// (and on the extra key's secret during a rotation). The state role is a
// custom role whose data actions are exactly what the state port's Azure
// Table adapter calls (workload/state/contract.AzureTableDataActions: read,
// add and update entities; no delete, no unconditional write, no table
// action), defined and assignable in the cell's resource group only, named
// per deployment (custom role names are unique in the Entra tenant), its
// GUID a UUIDv5 of the group and that name. Role definition ids in
// assignments are built from the subscription that
// GetClientConfig reports. Assignment names are UUIDv5 of scope, role and
// principal: stable across runs, and new when the principal or scope is
// replaced, so a replacement never collides with the assignment it
// replaces. The contract's WorkloadIdentity is the identity's principal
// (object) id, the id role assignments name.
//
// State. A StorageV2 account: HTTPS only, TLS 1.2 minimum, no public blob
// access, no shared keys (the workload signs in with its identity;
// Pulumi creates the table through ARM, which needs no key), no cross-tenant
// replication, encryption at rest with platform keys at both the service
// and the infrastructure layer, account-scoped keys for tables and queues
// too, and a firewall that denies everything but the apps subnet. The table
// is named state<cell> (alphanumeric). Azure Table storage has no
// point-in-time restore and no backup service; durability comes from the
// SKU: geo-zone-redundant (GZRS) in regions with zones and a pair,
// geo-redundant (GRS) in regions without zones, zone-redundant (ZRS) in
// unpaired regions, where geo-replication is unavailable. Geo-replication
// also copies deletes, so it guards against losing a datacentre or region,
// not against a bad write; restoring data is the workload's concern.
//
// Secret. A Key Vault with Azure RBAC (no access policies), soft delete for
// 7 days (the minimum: the edge key's source of truth is the edge stack, so
// a lost copy is re-created, and a short hold frees the global name sooner)
// and purge protection left off (it can never be turned off again and would
// block rebuilding a cell under the same name; ARM rejects an explicit
// false, so the field is omitted). The tenant comes from GetClientConfig.
// The secret "edge-key" is the only place cell.Args.EdgeKey goes, as a secret
// value. With cell.Args.ExtraEdgeKey (a key rotation), a second secret
// "edge-key-extra" holds "<id>=<secret>", gets its own Key Vault Secrets
// User assignment and reaches the app as CELLFABRIC_EDGE_KEYS through a
// second Key Vault reference, exactly like the first; without one, none of
// it exists. The vault's and the table service's audit logs go to the workspace.
// The vault keeps its public endpoint, guarded by RBAC; a private endpoint
// is later work.
//
// Logs. A Log Analytics workspace (PerGB2018) keeping data for 30 days, the
// retention that tier includes.
//
// # Outputs
//
// Endpoint is https://<the app's ingress FQDN>, whose certificate Azure
// manages, so an Azure cell needs no DNS record and no certificate: it never
// calls cell.Args.DNS, and cell.Args.Hostname is informational (binding it as
// a custom domain would need a certificate and a validation record, which
// the edge does not need). NetworkID is the VNet id, StateStoreID the table's
// resource id, WorkloadIdentity the identity's principal id.
//
// For the VPN mesh (next issue) Cell also exports ResourceGroupName,
// VnetName, VnetID, GatewaySubnetID, AppsSubnetID, NsgName and Location: the
// gateway goes in GatewaySubnet, its public IPs and connections in the
// resource group. Nothing here changes when it is added.
package azure
