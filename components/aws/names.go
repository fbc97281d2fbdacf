package aws

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

// Limits on the physical names the cell sets (CLOUD-FACTS part 2 and each
// service's API reference).
const (
	maxLoadBalancerName = 32  // ELBv2 CreateLoadBalancer
	maxTargetGroupName  = 32  // ELBv2 CreateTargetGroup
	maxRoleName         = 64  // IAM CreateRole
	maxECSName          = 255 // ECS cluster, service and task family
	maxTableName        = 255 // DynamoDB CreateTable
	maxSecretName       = 512 // Secrets Manager CreateSecret
	maxLogGroupName     = 512 // CloudWatch Logs CreateLogGroup
	// maxStackToken bounds the stack's share of a name so that the longest
	// IAM role name ("cellfabric-<stack>-<20-char cell>-exec") fits in 64.
	maxStackToken = 24
)

// names are the physical names of one cell's resources. Every name carries
// the stack and the cell id, so two stacks in one account (dev and prod, say)
// never collide.
type names struct {
	LoadBalancer  string // cf-<cell>-<hash>: 32 chars at most
	TargetGroup   string // cf-<cell>-<hash of stack, cell and port>
	Cluster       string
	Service       string
	Family        string // task definition family
	TaskRole      string
	ExecutionRole string
	Table         string
	Secret        string // cellfabric/<stack>/<cell>/edge-key
	ExtraSecret   string // cellfabric/<stack>/<cell>/edge-key-extra, only with an extra edge key
	LogGroup      string // /cellfabric/<stack>/<cell>
}

// newNames derives every physical name from the stack name, the cell id
// (already valid: 3–20 of [a-z0-9-]) and the container port.
//
// Load balancer and target group names have 32 characters, too few for a
// readable stack name, so they are "cf-<cell>-<6 hex>", the hex digits
// hashing the stack (and, for the target group, the port: changing the port
// replaces the target group, and a fresh name lets Pulumi create the new one
// before deleting the old). The "cf-" prefix also keeps a cell called
// "internal-…" from producing a name ELB rejects.
func newNames(stack, cellID string, port int) names {
	st := stackToken(stack)
	base := "cellfabric-" + st + "-" + cellID
	return names{
		LoadBalancer:  "cf-" + cellID + "-" + shortHash(stack, cellID, "alb"),
		TargetGroup:   "cf-" + cellID + "-" + shortHash(stack, cellID, "tg", fmt.Sprint(port)),
		Cluster:       base,
		Service:       base,
		Family:        base,
		TaskRole:      base + "-task",
		ExecutionRole: base + "-exec",
		Table:         base,
		Secret:        "cellfabric/" + st + "/" + cellID + "/edge-key",
		ExtraSecret:   "cellfabric/" + st + "/" + cellID + "/edge-key-extra",
		LogGroup:      "/cellfabric/" + st + "/" + cellID,
	}
}

var cleanStackRe = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$`)
var notNameChar = regexp.MustCompile(`[^A-Za-z0-9-]+`)

// stackToken returns the stack name as it appears in physical names: the
// name itself when it is short and uses only letters, digits and hyphens
// (valid in every name above), otherwise a cleaned, shortened prefix plus a
// hash of the full name, so distinct stacks stay distinct.
func stackToken(stack string) string {
	if len(stack) <= maxStackToken && cleanStackRe.MatchString(stack) {
		return stack
	}
	h := shortHash(stack)
	prefix := strings.Trim(notNameChar.ReplaceAllString(stack, "-"), "-")
	if room := maxStackToken - len(h) - 1; len(prefix) > room {
		prefix = strings.TrimRight(prefix[:room], "-")
	}
	if prefix == "" {
		return h
	}
	return prefix + "-" + h
}

// shortHash returns 6 hex characters hashing parts.
func shortHash(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:3])
}
