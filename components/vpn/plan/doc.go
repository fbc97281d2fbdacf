// Package plan is the pure planner of cellfabric's VPN mesh: from the cells'
// clouds, regions, CIDRs and BGP ASNs it decides every tunnel between cells
// on different clouds — both ends, the gateway interface each lands on, its
// inside /30, both BGP addresses and ASNs, the IKE version — the peerings
// between cells on the same cloud, and what each cell's gateway must build.
// components/vpn turns a Mesh into resources; infra exports Mesh.Summary as
// the stack's `network` output.
//
// It imports the standard library and fabric (clouds, problems) only: no
// Pulumi, no provider SDK, not even stacks, so any program can call it.
// Convert a stack topology with
//
//	in := plan.Input{AzureGCPTunnels: t.Network.AzureGCPTunnels, IKEVersion: t.Network.IKEVersion}
//	for _, c := range t.Cells {
//		in.Cells = append(in.Cells, plan.Cell{ID: c.ID, Cloud: c.Cloud, Region: c.Region, CIDR: c.CIDR, ASN: c.ASN})
//	}
//	mesh, err := plan.Build(in)
//
// # Pairs
//
// In every VPN pair, end A is the cell on the earlier cloud in the order
// aws, azure, gcp, and end A takes the first host of each inside /30, end B
// the second. That gives AWS .1 and its peer .2 (AWS's rule), and, between
// Azure and GCP, Azure .1 and GCP .2 (as in Google's professional-services
// gcp-azure-ha-vpn example, the source CLOUD-FACTS cites).
//
//	aws↔gcp    4 tunnels. AWS: 2 customer gateways (GCP HA VPN interfaces
//	           0, 1) → 2 VPN connections × 2 tunnels. GCP: external gateway
//	           FOUR_IPS_REDUNDANCY, interfaces 0–3 = AWS connection 0 tunnels
//	           1, 2, connection 1 tunnels 1, 2; HA VPN interface 0 carries
//	           tunnels 0, 1 and interface 1 tunnels 2, 3. Inside /30s from
//	           169.254.64.0/18.
//	aws↔azure  4 tunnels. Azure: active-active, 2 public IPs, a local network
//	           gateway + IPsec connection per tunnel. AWS: 2 customer gateways
//	           (Azure instance 0, 1 public IPs) → 2 connections × 2 tunnels;
//	           connection c lands on Azure instance c. Inside /30s from the
//	           APIPA range 169.254.21.0–169.254.22.255.
//	azure↔gcp  2 tunnels (default) or 4. GCP: external gateway
//	           TWO_IPS_REDUNDANCY (interface i = Azure instance i). Tunnel 0:
//	           Azure instance 0 ↔ GCP interface 0; tunnel 1: instance 1 ↔
//	           interface 1; with 4, tunnel 2: instance 1 ↔ interface 0 and
//	           tunnel 3: instance 0 ↔ interface 1. Inside /30s from APIPA.
//
// Four Azure↔GCP tunnels are allowed because the stack model allows them,
// but are not a layout either vendor documents: tunnels 0 and 2 (and 1 and
// 3) end on the same GCP interface, so the Azure gateway gets two local
// network gateways with the same public IP, which Azure may refuse, and an
// active-active Azure connection to one of them also tries the other
// instance's path. Keep the default of two until four is proven on a real
// deployment.
//
// Cells on the same cloud have separate networks and are joined by the
// cloud's native peering (AWS VPC peering, Azure global VNet peering, GCP
// VPC Network Peering), listed in Mesh.Peerings: no gateway, no tunnel, no
// inside address.
//
// # Addresses and capacity
//
// Inside /30s are handed out in slots of four per pair, in pair order, from
// two pools: pairs with an Azure end from Azure's APIPA range
// (169.254.21.0–169.254.22.255, 128 slots), AWS↔GCP pairs from
// 169.254.64.0/18 (4096 slots), which avoids the /30s AWS rejects, the APIPA range and the
// metadata blocks 169.254.169.0/24 and 169.254.170.0/24. No /30 is used
// twice in a mesh. An Azure↔GCP pair reserves four slots even with two
// tunnels, so switching between 2 and 4 never moves another tunnel. The mesh
// fits when
//
//	Azure cells × (AWS cells + GCP cells) ≤ 32   and   AWS cells × GCP cells ≤ 1024
//
// (SlotsNeeded); the dev stack (1 AWS, 1 Azure, 2 GCP) uses 12 APIPA slots
// and 8 link-local ones. Beyond that Build fails with an "exhausted" problem.
//
// # Stability
//
// Pairs are planned by (index of the later cell, index of the earlier cell)
// and each takes the next four slots of its pool. Hence, precisely:
//
//   - Build is deterministic: equal Inputs give equal Meshes (and equal JSON).
//   - Appending cells to Input.Cells (and changing nothing else) keeps every
//     existing Pair, Tunnel and Peering identical — ids, kind, slots, inside
//     CIDRs, addresses, ASNs, interfaces, key names — and only appends to
//     the existing cells' gateway records (their AWS connections, Azure local
//     gateways and BGP addresses per instance, GCP external gateways).
//   - Changing AzureGCPTunnels adds or removes tunnels 2 and 3 of Azure↔GCP
//     pairs and changes nothing else.
//   - Removing, inserting or reordering cells is not covered: pairs after
//     the change in the same pool get new slots. Names depend only on the two
//     cell ids, never on positions.
//
// Slots are not derived from a hash of the cell ids: any collision rule makes
// a slot depend on which pairs came first, so it would give no stronger
// guarantee than append order while wasting a pool that holds 32 pairs.
//
// # Rules checked
//
// Build validates its input (Input.Validate) and reports every problem at
// once as fabric.Problems, each unwrapping to one of the Err* kinds: a valid id,
// cloud, region and IPv4 CIDR per cell; unique ids; CIDRs that overlap
// neither each other nor 169.254.0.0/16; a private ASN per cell that no cloud
// reserves and no other cell uses; cells on at least two clouds; 2 or 4
// Azure↔GCP tunnels; IKE version 1 or 2; enough room in both pools.
package plan
