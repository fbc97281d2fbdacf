package gcp

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Limits on the physical names the cell sets (CLOUD-FACTS part 2 and each
// API's reference).
const (
	// maxComputeName: Compute Engine names (network, subnetwork, load
	// balancer parts, Cloud Armor policy) are RFC 1035 labels,
	// [a-z]([-a-z0-9]*[a-z0-9])?, at most 63 characters.
	maxComputeName = 63
	// maxServiceName: a Cloud Run v2 service id is under 50 characters,
	// starts with a letter and does not end with a hyphen.
	maxServiceName = 49
	// minAccountID and maxAccountID bound a service account id,
	// [a-z]([-a-z0-9]*[a-z0-9]).
	minAccountID = 6
	maxAccountID = 30
	// maxDatabaseID: a Firestore database id is 4–63 of [a-z0-9-], starting
	// with a letter and ending with a letter or digit.
	maxDatabaseID = 63
	// maxSecretID: a Secret Manager secret id is at most 255 letters,
	// digits, '-' and '_'.
	maxSecretID = 255
	// maxLoggingName: log bucket ids, sink and exclusion names are at most
	// 100 letters, digits, '-', '_' and '.'.
	maxLoggingName = 100
	// hashLen is the number of hex digits that tell stacks apart.
	hashLen = 6
)

// names are the physical names of one cell's resources. Each is
// "<cell id>-<part>-<hash>", where the hash covers the Pulumi project and
// stack: two stacks (dev and staging, say) may deploy the same cell id into
// one GCP project without colliding, and the readable part of every name
// still says which cell it belongs to. The stack itself is on every
// resource that takes labels (cellfabric-stack).
type names struct {
	Network        string
	Subnetwork     string
	Service        string // Cloud Run service
	ServiceAccount string // account id, the part before '@'
	Database       string // Firestore database id
	StateRole      string // custom role id of the state port's permissions
	Secret         string // Secret Manager secret id
	ExtraSecret    string // the extra edge key's, used only with one
	LogBucket      string
	LogSink        string
	LogExclusion   string
	NEG            string // serverless network endpoint group
	Backend        string // backend service
	SecurityPolicy string // Cloud Armor
	URLMap         string
	Certificate    string // changes with the hostname (see newNames)
	SSLPolicy      string
	Proxy          string // target HTTPS proxy
	Address        string // global IPv4 address
	ForwardingRule string
}

// newNames derives every physical name from the Pulumi project and stack,
// the cell id (already valid: 3–20 of [a-z0-9-], starting with a letter and
// ending with a letter or digit) and the hostname.
//
// The managed certificate's hash also covers the hostname: its domains
// cannot change in place, and a new name lets Pulumi create the replacement
// before it deletes the certificate the proxy still uses.
func newNames(project, stack, cellID, hostname string) names {
	h := shortHash(project, stack, cellID)
	n := func(part string, max int) string { return physicalName(cellID, part, h, max) }
	return names{
		Network:        n("net", maxComputeName),
		Subnetwork:     n("workloads", maxComputeName),
		Service:        n("run", maxServiceName),
		ServiceAccount: n("sa", maxAccountID),
		Database:       n("state", maxDatabaseID),
		StateRole:      "cellfabric_" + strings.ReplaceAll(cellID, "-", "_") + "_state_" + h,
		Secret:         n("edge-key", maxSecretID),
		ExtraSecret:    n("edge-key-extra", maxSecretID),
		LogBucket:      n("logs", maxLoggingName),
		LogSink:        n("logs", maxLoggingName),
		LogExclusion:   n("logs-default", maxLoggingName),
		NEG:            n("neg", maxComputeName),
		Backend:        n("backend", maxComputeName),
		SecurityPolicy: n("edge-only", maxComputeName),
		URLMap:         n("urlmap", maxComputeName),
		Certificate:    physicalName(cellID, "cert", shortHash(project, stack, cellID, hostname), maxComputeName),
		SSLPolicy:      n("tls", maxComputeName),
		Proxy:          n("https", maxComputeName),
		Address:        n("ip", maxComputeName),
		ForwardingRule: n("https", maxComputeName),
	}
}

// physicalName joins cellID, part and hash with hyphens. When that is longer
// than max, it shortens the readable "<cell>-<part>" prefix (never the hash,
// which keeps the name unique) and drops any hyphen left at the cut. The
// result starts with the cell id's first letter and ends with a hex digit,
// so it meets every pattern in the limits above.
func physicalName(cellID, part, hash string, max int) string {
	prefix := cellID
	if part != "" {
		prefix += "-" + part
	}
	if room := max - len(hash) - 1; len(prefix) > room {
		prefix = strings.TrimRight(prefix[:room], "-")
	}
	return prefix + "-" + hash
}

// shortHash returns hashLen hex characters hashing parts.
func shortHash(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:])[:hashLen]
}
