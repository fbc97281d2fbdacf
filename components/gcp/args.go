package gcp

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
)

// Tunables of the GCP cell, in one place.
const (
	// logRetentionDays is how long the cell's log bucket keeps entries.
	// 30 days is what Cloud Logging keeps without a retention charge.
	logRetentionDays = 30
	// backupRetention is how long each daily Firestore backup is kept;
	// 7 days is the longest a daily schedule allows.
	backupRetention = "604800s"
	// flowLogSampling is the share of subnet flows VPC Flow Logs records.
	flowLogSampling = 0.5
	// armorRangesPerRule is the most source ranges one Cloud Armor rule
	// matches (SecurityPolicyRuleMatchConfig.srcIpRanges: "Maximum number of
	// srcIpRanges allowed is 10").
	armorRangesPerRule = 10
	// armorFirstAllowPriority is the priority of the first allow rule; the
	// others follow in order. Lower numbers are evaluated first.
	armorFirstAllowPriority = 1000
	// armorDefaultPriority is the priority of the default rule every Cloud
	// Armor policy has, the one that matches "*".
	armorDefaultPriority = 2147483647
	// armorDeny is what the default rule does with everything else.
	armorDeny = "deny(403)"
	// Probe timings, in seconds. The startup probe gives the container a
	// minute (20 × 3 s) to answer on its health path; the liveness probe
	// restarts it after three failed checks 15 s apart.
	startupPeriod, startupTimeout, startupFailures    = 3, 2, 20
	livenessPeriod, livenessTimeout, livenessFailures = 15, 3, 3
	// secretVersion is the version of the edge key Cloud Run reads at
	// instance start: new instances pick up a rotated key.
	secretVersion = "latest"
)

// platformEnv are the variables cell.Args.Env may not set besides
// cell.ReservedEnv (cell.CheckEnv), with who sets them: the ones Cloud Run
// sets itself and refuses in a service spec, and what the cell sets other
// than in plain text.
var platformEnv = map[string]string{
	cell.EnvEdgeKey:   "set by the cell from Secret Manager",
	cell.EnvEdgeKeys:  "set by the cell from Secret Manager",
	cell.EnvPort:      "set by Cloud Run from the container port",
	"K_SERVICE":       "set by Cloud Run",
	"K_REVISION":      "set by Cloud Run",
	"K_CONFIGURATION": "set by Cloud Run",
}

// checkArgs checks what Normalize leaves to the cloud: the extra
// environment when the program gives it as a literal (an Output is checked
// when it resolves, by workloadEnv).
func checkArgs(a cell.Args) error {
	if m, ok := a.Env.(pulumi.StringMap); ok {
		if err := cell.CheckEnv(slices.Collect(maps.Keys(m)), platformEnv); err != nil {
			return fmt.Errorf("cell %q: Env: %w", a.ID, err)
		}
	}
	return nil
}

var labelBad = regexp.MustCompile(`[^a-z0-9_-]`)

// gcpLabels turns tags into GCP labels: keys and values of lowercase
// letters, digits, '_' and '-', at most 63 characters, keys starting with a
// letter. Valid tags (the cellfabric ones always are, for a stack name
// in lowercase) pass unchanged; others are lowercased, with '_' for each
// character GCP refuses, so a stack named "Prod.EU" is labelled "prod_eu".
func gcpLabels(tags map[string]string) map[string]string {
	clean := func(s string) string {
		s = labelBad.ReplaceAllString(strings.ToLower(s), "_")
		if len(s) > 63 {
			s = s[:63]
		}
		return s
	}
	out := make(map[string]string, len(tags))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		key := clean(k)
		if key == "" || key[0] < 'a' || key[0] > 'z' {
			key = clean("l_" + key)
		}
		out[key] = clean(tags[k])
	}
	return out
}
