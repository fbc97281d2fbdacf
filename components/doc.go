// Package components holds cellfabric's reusable Pulumi ComponentResources,
// one subpackage per concern: cell (the contract every cloud's cell meets),
// aws, azure and gcp (the cells), vpn (the cross-cloud mesh), edge (the
// Cloudflare edge) and recorder (the recording mock engine their tests and
// `cellfabric synth` run on).
//
// Components import provider SDKs, stacks types where they need them, and the
// router's registry types; they know nothing of HTTP serving and never import
// infra or cmd.
package components
