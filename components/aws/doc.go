// Package aws builds a cellfabric cell on AWS: NewCell registers a
// `cellfabric:aws:Cell` component that meets the cell contract
// (components/cell) and exports, besides cell.Outputs, the VPC, subnets,
// route tables and security group the VPN mesh attaches to.
//
// The cell never creates a provider: the caller passes the AWS provider for
// the cell's region (pulumi.Provider / pulumi.Providers) and every child and
// invoke inherits it through the parent. NewCell fails when that provider's
// region is not cell.Args.Region.
//
// # What it builds, and why
//
// Network. A VPC with the cell's CIDR (DNS support and hostnames on) and the
// subnets of stacks.PlanNetwork: private-N (Fargate tasks) and public-N (the
// load balancer and NAT gateways) in the first 2 or 3 available
// Availability Zones (Local and Wavelength Zones excluded). One NAT gateway
// per zone, each with its own Elastic IP, so losing a zone does not cut the
// other zones' egress; one public route table (default route to the
// internet gateway) and one private route table per zone (default route to
// that zone's NAT). Routes are ec2.Route resources rather than inline, so
// the VPN mesh can add routes or VGW route propagation to the same tables.
// A DynamoDB gateway endpoint on the private tables keeps state traffic off
// the NAT gateways (it is free; NAT data is not). The plan's reserved blocks
// stay empty for later attachments.
//
// Ingress. The load balancer's security group admits TCP 443 only from
// cell.Args.IngressCIDRs — the edge's egress ranges — split into IPv4 and
// IPv6 blocks. The list is checked: no /0, nothing broader than a /8 (IPv4)
// or /16 (IPv6), no malformed blocks, not empty; literals are checked before
// anything is registered, an Output at deploy time (a bad list fails the
// security group, so nothing opens). Its only egress is to the task group
// on the container port. The task group admits the container port from the
// load balancer's group only and sends HTTPS (443) out — to ECR, Secrets
// Manager, CloudWatch Logs and DynamoDB. There is no port 80 anywhere. The
// load balancer group uses inline rules, the task group separate rule
// resources; no group mixes the two, which the provider would fight over.
//
// TLS. An ACM certificate for cell.Args.Hostname, validated by DNS, and an
// acm.CertificateValidation that the HTTPS listener takes its certificate
// ARN from, so the listener is never created with an unissued certificate.
// With cell.Args.DNS the cell creates the validation CNAME and the origin
// CNAME (Hostname → load balancer) and validation waits for the first; the
// contract's Endpoint and HealthURL resolve only once the listener and the
// origin record exist. With DNS nil it creates neither and exports both in
// DNSRecords: the deployment then waits at certificate validation (up to
// the provider's 75 minutes) until an operator creates the validation
// record, which the ACM console or `aws acm describe-certificate` shows.
//
// Load balancer. An internet-facing ALB in the public subnets (IPv4;
// Cloudflare reaches IPv4-only origins over IPv4), invalid header fields
// dropped, deletion protection off (it holds no state and is rebuilt from
// code). One HTTPS listener with ELBSecurityPolicy-TLS13-1-2-2021-06 (TLS
// 1.2 and 1.3 only) forwarding to an `ip` target group (Fargate tasks are
// awsvpc ENIs) that checks cell.Args.HealthPath on the traffic port. Traffic
// from the ALB to the tasks is plain HTTP inside the VPC. Access logs are
// not enabled (they need an S3 bucket and its policy; a later issue).
//
// Compute. An ECS cluster with Container Insights, a Fargate task definition
// (256 CPU units, 512 MiB, Linux x86_64) running cell.Args.Image with the
// contract's environment (cell id, cloud, region, state store = table
// name, edge key id, PORT) plus cell.Args.Env, which may not override them.
// The edge key reaches the container only as a Secrets Manager reference
// (`secrets: CELLFABRIC_EDGE_KEY ← secret ARN`), resolved by ECS at start.
// Logs go to the cell's log group through awslogs. The service runs in the
// private subnets without public IPs, with the deployment circuit breaker
// and rollback on, and waits for the listener, the role policies and the
// task group's rules. Application Auto Scaling tracks 60% average CPU
// between max(1, MinInstances) and MaxInstances — Fargate cannot scale to
// zero — and the service ignores later changes to its desired count, which
// the autoscaler owns. The root filesystem stays writable: images written
// for Cloud Run and Container Apps expect that.
//
// Identity. The task role (WorkloadIdentity) can be assumed only by ECS
// tasks of the deploying account (aws:SourceAccount) and may only
// GetItem, PutItem, UpdateItem, DeleteItem and Query on its own table and
// the table's indexes — no Scan, which crosses tenants, and no wildcard.
// The execution role may pull images (those actions take no repository or
// any repository), write to the cell's log group and read the edge key
// secret (and the extra key's, when there is one).
//
// State. A DynamoDB table, on-demand, keyed by tenant (hash) and key
// (range), point-in-time recovery on, encrypted with the AWS-managed key
// aws/dynamodb (key use is audited in CloudTrail with no key to manage; a
// customer key is a later option), deletion protection on: it holds tenant
// data, so removing a cell is deliberate — turn protection off (console or
// `aws dynamodb update-table --no-deletion-protection-enabled`) before
// destroying. With PITR on, AWS also keeps a backup for 35 days after a
// deletion.
//
// Secret. The edge key lives in a Secrets Manager secret named
// cellfabric/<stack>/<cell>/edge-key (encrypted with aws/secretsmanager),
// written by one SecretVersion whose input is marked secret even if the
// caller forgot. Its recovery window is 0: the edge stack holds the key's
// source of truth and writes it again, while a window would keep the name
// reserved and block re-creating the cell. With cell.Args.ExtraEdgeKey (a
// key rotation), a second secret cellfabric/<stack>/<cell>/edge-key-extra
// holds "<id>=<secret>" and reaches the container the same way, as
// CELLFABRIC_EDGE_KEYS; the service waits for its value. Without one, none
// of it exists.
//
// Logs. A CloudWatch log group /cellfabric/<stack>/<cell> kept 30 days.
//
// Names and tags. Physical names are set where AWS limits are short or the
// name must be known (newNames): the ALB and target group are
// "cf-<cell>-<6 hex>" (32 characters at most; the target group's hash
// includes the port, so a port change creates the new group before deleting
// the old one); IAM roles, table, cluster, service and task family are
// "cellfabric-<stack>-<cell>[-task|-exec]", a long or unusual stack name
// being shortened and hashed. Every resource that takes tags carries
// cell.StandardTags plus a Name tag, and tasks inherit the service's tags.
//
// # Left for later issues
//
// The VPN gateway (components/vpn) attaches to VpcID, enables route
// propagation on PrivateRouteTableIDs and adds ingress from peer cells to
// TaskSecurityGroupID. VPC flow logs, ALB access logs, WAF and a customer
// managed KMS key are not built yet. cell.Args.Tenants is not recorded on
// AWS resources: the registry holds the tenant → cell mapping.
//
// This package imports the AWS provider SDK, the Pulumi SDK,
// components/cell and stacks. It must not import infra, cmd, router
// serving code or any other cloud's SDK.
package aws
