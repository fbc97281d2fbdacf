package vpn

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/fabric"
)

// Limits on physical names.
const (
	// maxGCPName: Compute Engine names are RFC 1035 labels of at most 63
	// characters, [a-z]([-a-z0-9]*[a-z0-9])?.
	maxGCPName = 63
	// maxAzureName: gateways, local network gateways, connections and public
	// IPs take 1–80 characters.
	maxAzureName = 80
	// gcpHashLen is the number of hex digits that tell stacks apart in a
	// GCP name.
	gcpHashLen = 6
)

// gcpName is the physical name of a GCP resource: "<stem>-<hash>". GCP
// names are per project (VPN tunnels and routers per region), and several
// stacks may share a project, so the hash covers scope (the Pulumi project,
// stack and mesh name; see builder.gcpName) and the stem. The stem is made
// of cell ids and fixed words, already [a-z0-9-]; it is shortened when the
// name would pass 63 characters.
func gcpName(scope, stem string) string {
	sum := sha256.Sum256([]byte(scope + "\x00" + stem))
	h := hex.EncodeToString(sum[:])[:gcpHashLen]
	if max := maxGCPName - gcpHashLen - 1; len(stem) > max {
		stem = strings.TrimRight(stem[:max], "-")
	}
	return stem + "-" + h
}

// azureName is the physical name of an Azure resource. They live in the
// cell's resource group, which is already per stack, so no hash is needed;
// the stem is shortened past 80 characters (cell ids keep it far below).
func azureName(stem string) string {
	if len(stem) > maxAzureName {
		stem = strings.TrimRight(stem[:maxAzureName], "-")
	}
	return stem
}

// tagger gives the tags or labels of the resources on one cell's side.
type tagger struct {
	cell, stack string
	cloud       fabric.Cloud
	extra       map[string]string
}

// tags are the standard cellfabric tags plus MeshArgs.Tags (the standard
// keys win).
func (t tagger) tags() map[string]string {
	out := maps.Clone(t.extra)
	if out == nil {
		out = map[string]string{}
	}
	out[cell.TagCell] = t.cell
	out[cell.TagCloud] = string(t.cloud)
	out[cell.TagStack] = t.stack
	return out
}

// aws are AWS tags with a Name tag, as the AWS cell tags its resources.
func (t tagger) aws(name string) pulumi.StringMap {
	m := t.tags()
	m["Name"] = name
	return pulumi.ToStringMap(m)
}

// azure are Azure tags.
func (t tagger) azure() pulumi.StringMap { return pulumi.ToStringMap(t.tags()) }

var labelBad = regexp.MustCompile(`[^a-z0-9_-]`)

// gcp are GCP labels: keys and values of lowercase letters, digits, '_' and
// '-', at most 63 characters, keys starting with a letter. Valid tags pass
// unchanged; others are lowercased with '_' for each refused character.
func (t tagger) gcp() pulumi.StringMap { return pulumi.ToStringMap(t.gcpLabels()) }

func (t tagger) gcpLabels() map[string]string {
	clean := func(s string) string {
		s = labelBad.ReplaceAllString(strings.ToLower(s), "_")
		if len(s) > 63 {
			s = s[:63]
		}
		return s
	}
	tags := t.tags()
	out := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		key := clean(k)
		if key == "" || key[0] < 'a' || key[0] > 'z' {
			key = clean("l_" + key)
		}
		out[key] = clean(tags[k])
	}
	return out
}
