// Package gcp builds a cellfabric cell on Google Cloud: the ComponentResource
// cellfabric:gcp:Cell, which takes the cell contract's cell.Args and returns
// its cell.Outputs (see components/cell), plus what the VPN mesh needs
// (network name and self links, project, region, load balancer address).
//
// It imports the Pulumi SDK, pulumi-gcp v7, components/cell and stacks (for
// the network plan). It must not import infra, cmd, router or another cloud's
// package, and it never creates a provider: the caller passes a GCP provider
// that carries the project, children inherit it through their parent, and
// the one invoke (GetClientConfig, to learn the project) runs on it too.
//
// # What a cell is made of, and why
//
// Network. A custom-mode VPC network (auto subnets would take 10.128.0.0/9
// and overlap other cells) with regional routing, and one subnetwork,
// "workloads", the first half of the cell's block as stacks.PlanNetwork lays
// it out, with Private Google Access and sampled VPC Flow Logs. The second
// half stays free for the HA VPN gateway and Cloud Router of the next issue,
// which attach to NetworkName/NetworkSelfLink. No firewall rule is created:
// GCP's implied rules deny all ingress and nothing in the VPC listens.
//
// Compute. A Cloud Run (v2) service running cell.Args.Image in the cell's
// region as the cell's service account, second-generation environment,
// scaling between MinInstances and MaxInstances, with startup and liveness
// HTTP probes on HealthPath and Port. Egress to private ranges uses Direct
// VPC egress into "workloads" (PRIVATE_RANGES_ONLY; no connector to run).
// The contract's variables are set except PORT: Cloud Run reserves it and
// sets it from the container port, which is cell.Args.Port. cell.Args.Env may
// not shadow any of them (checked before registering when Env is a literal
// map, when it resolves otherwise). pulumi-gcp v7 has no deletion
// protection for Cloud Run services; the service holds no state.
//
// Ingress, only from the edge. The service's ingress is "internal and Cloud
// Load Balancing", so the internet reaches it only through the cell's
// global external Application Load Balancer (EXTERNAL_MANAGED): a serverless
// NEG → a backend service with a Cloud Armor policy and request logging →
// URL map → HTTPS proxy with a Google-managed certificate for Hostname and
// an SSL policy (TLS 1.2+, MODERN) → one forwarding rule on 443 at a
// reserved global IPv4 address. There is no port 80. The Cloud Armor policy
// allows cell.Args.IngressCIDRs (IPv4 and IPv6) in rules of at most ten
// ranges each (the API's limit on srcIpRanges) and its default rule denies
// everything else with 403; a /0, an empty list or a malformed block is
// refused, never turned into an open rule. Cloud Armor checks the address
// that connected to Google's front end; no user-IP header is configured, as
// it would let clients choose that address. The load balancer does not
// authenticate to Cloud Run, so allUsers holds roles/run.invoker on this one
// service: with this ingress setting that admits the load balancer and the
// project's VPC networks, not the internet, and the workload checks the
// edge's request signatures with CELLFABRIC_EDGE_KEY. An organization policy
// that forbids allUsers grants (domain-restricted sharing) needs an
// exception for this binding.
//
// DNS and certificate. The origin record (Hostname A → the address) goes to
// cell.Args.DNS, unproxied, and is exported as DNSRecords. Google issues the
// managed certificate once the name resolves to the load balancer; Pulumi
// does not wait for that, so nothing depends on the record. The
// certificate's name hashes the hostname, so a new hostname creates a new
// certificate before the old one is deleted.
//
// State. A named Firestore database in Native mode in the cell's region,
// with point-in-time recovery (7 days) and a daily backup schedule keeping
// each backup 7 days (the most a daily schedule allows). Data is encrypted
// at rest with Google-managed keys; CmekConfig could name a Cloud KMS key
// in the same location instead, at the cost of operating it. Delete
// protection is on and DeletionPolicy is DELETE: a destroy stops at the
// database until an operator turns protection off on purpose, and then
// really deletes it (the provider's default, ABANDON, leaves it behind and
// a later create of the same id fails with 409). App Engine integration is
// off.
//
// Identity, least privilege. A service account per cell with two grants:
// roles/datastore.user on the project — Firestore has no per-database IAM
// policy — under the IAM condition
// resource.name == "projects/<project>/databases/<database>", the form
// Firestore's guide to per-database access uses; and
// roles/secretmanager.secretAccessor on the edge key secret only. It has no
// logging role: Cloud Run itself sends request and container logs (stdout,
// stderr) to Cloud Logging (cloud.google.com/run/docs/logging), so
// roles/logging.logWriter is not needed.
//
// Secret. The edge key lives in a Secret Manager secret replicated by user
// management to the cell's region only (automatic replication may store it
// anywhere, and an EU cell's key must stay in the EU). Its version holds
// cell.Args.EdgeKey as a secret; Cloud Run reads version "latest" through a
// secret reference when an instance starts, so the key never appears in the
// service's spec, and the service waits for the version and both grants.
// With cell.Args.ExtraEdgeKey (a key rotation), a second secret
// <cell>-edge-key-extra-<hash> holds "<id>=<secret>", the account gets
// secretAccessor on it alone, and it reaches the service as
// CELLFABRIC_EDGE_KEYS by the same kind of reference; without one, none of
// it exists.
//
// Logs. The project's _Default bucket is shared by every cell in the
// project, so its retention and location are not the cell's to set.
// Instead each cell has a log bucket in its region (30 days), a sink routing
// its Cloud Run revision logs and its backend service's load balancer logs
// there, and an exclusion on the _Default sink for the same entries,
// created after the sink. Limits: a project has a small quota of
// exclusions (one per GCP cell), and a deleted bucket keeps its id for 7
// days.
//
// Labels. cell.StandardTags go on every resource whose pulumi-gcp Args take
// labels (the service and its revisions, the secret, the global address,
// the forwarding rule; the tests keep the list against the SDK), cleaned to
// GCP's label rules.
//
// Names. Physical names are "<cell id>-<part>-<6 hex>", the hex hashing the
// Pulumi project and stack, so the same cell id in two stacks of one GCP
// project does not collide; each is checked against its limit (service
// account id 6–30, Cloud Run service under 50, Compute names and Firestore
// database ids up to 63) for the longest cell id and long stack names.
//
// # Left for later issues
//
// The HA VPN gateway, Cloud Router and firewall rules for peer cells (the
// mesh) attach to the network this package exports, in the reserved half of
// the cell's block. Authenticated Origin Pulls and a tighter invoker model
// (IAP or invoker-IAM-disabled services, not in pulumi-gcp v7) may follow.
package gcp
