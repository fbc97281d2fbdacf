package edge

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router/edgeconf"
	"github.com/cellfabric/cellfabric/stacks"
)

// Defaults, in one place. The topology's own defaults (steering, cron, key
// id) are the stacks package's, so a value means the same in config and here.
const (
	// DefaultSteering is the load balancer's steering when none is given.
	DefaultSteering = stacks.DefaultSteering
	// DefaultHealthCron probes the cells every minute, the finest schedule
	// Cloudflare runs.
	DefaultHealthCron = stacks.DefaultHealthCron
	// DefaultKeyID is the edge key's id when none is given.
	DefaultKeyID = fabric.DefaultKeyID
	// DefaultControlKeyID is the control key's id when none is given.
	DefaultControlKeyID = "c1"
	// MinControlKeyBytes is the shortest control key the deployment takes
	// (router/edgeauth's minimum).
	MinControlKeyBytes = 16
	// DefaultCompatibilityDate is the Worker's compatibility date: the one
	// the Worker is built and tested for.
	DefaultCompatibilityDate = edgeconf.CompatibilityDate
	// DefaultExpectedCodes are the status codes a health monitor accepts.
	DefaultExpectedCodes = "200"
	// DefaultMonitorInterval is the seconds between two probes of one
	// monitor (Cloudflare's default).
	DefaultMonitorInterval = 60
	// DefaultMonitorTimeout is the seconds a probe may take.
	DefaultMonitorTimeout = 5
	// DefaultMonitorRetries is how many times a timed-out probe is retried
	// at once before the origin counts as unhealthy.
	DefaultMonitorRetries = 2
	// PlaceholderAAAA is the content of the proxied records of hosts only
	// the Worker serves: 100:: is the IPv6 discard prefix (RFC 6666), so
	// nothing is ever reached at it; Cloudflare answers the name with its
	// own addresses and runs the Worker route.
	PlaceholderAAAA = "100::"
	// MaxKVValueBytes is the largest value Workers KV stores (25 MiB).
	MaxKVValueBytes = 25 << 20
	// maxNameLen bounds Name so that "<name>-<suffix>" stays within the 63
	// characters Cloudflare allows in a script name.
	maxNameLen = 40
)

// defaultCheckRegions are the monitor check regions of a cell without a
// Region. An empty list means every data center, which needs an Enterprise
// plan, so a list is always sent.
var defaultCheckRegions = []string{"WEU", "ENAM"}

// withDefaults returns a copy of args with every unset field filled.
func (a Args) withDefaults(ctx *pulumi.Context) Args {
	if a.Name == "" {
		a.Name = defaultName(ctx.Project(), ctx.Stack())
	}
	if a.Steering == "" {
		a.Steering = DefaultSteering
	}
	if a.HealthCron == "" {
		a.HealthCron = DefaultHealthCron
	}
	if a.EdgeKeyID == "" {
		a.EdgeKeyID = DefaultKeyID
	}
	if a.ControlKeyID == "" {
		a.ControlKeyID = DefaultControlKeyID
	}
	if a.CompatibilityDate == "" {
		a.CompatibilityDate = DefaultCompatibilityDate
	}
	return a
}

// defaultName is "<project>-<stack>" reduced to [a-z0-9-], starting with a
// letter and at most maxNameLen long.
func defaultName(project, stack string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(project + "-" + stack) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	s := b.String()
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		s = "cf-" + s
	}
	if len(s) > maxNameLen {
		s = s[:maxNameLen]
	}
	return strings.TrimRight(s, "-")
}
