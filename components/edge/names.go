package edge

import (
	"strings"

	"github.com/cellfabric/cellfabric/fabric"
)

// TenantPlaceholder is what TenantHost holds in place of the tenant id.
const TenantPlaceholder = "{tenant}"

// TenantHostFor returns the host a tenant is reached on.
func TenantHostFor(pattern, tenant string) string {
	return strings.Replace(pattern, TenantPlaceholder, tenant, 1)
}

// routePattern is the Worker route pattern that covers every path (and
// query) of host. Cloudflare matches the whole URL, query included, so the
// pattern must end in "*".
func routePattern(host string) string { return host + "/*" }

// wildcardSuffix returns <suffix> of a TenantHost "{tenant}.<suffix>", and
// false for any other shape: a route pattern may start with "*" but carries
// no wildcard in the middle of a host, so only a tenant id that is the whole
// first label can be covered by one route (and one wildcard record).
func wildcardSuffix(pattern string) (string, bool) {
	suffix, ok := strings.CutPrefix(pattern, TenantPlaceholder+".")
	if !ok || suffix == "" || strings.Contains(suffix, TenantPlaceholder) {
		return "", false
	}
	return suffix, true
}

// inZone reports whether host is domain or lies below it.
func inZone(host, domain string) bool {
	return host == domain || strings.HasSuffix(host, "."+domain)
}

// validHost reports whether s is a DNS host name: dot-separated labels of
// 1–63 lowercase letters, digits and hyphens, not starting or ending with a
// hyphen, at most 253 characters. Wildcards are not host names.
func validHost(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if !fabric.ValidDNSLabel(label) {
			return false
		}
	}
	return true
}

// validName reports whether s fits Args.Name.
func validName(s string) bool {
	// A DNS label that starts with a letter, at most maxNameLen long.
	return len(s) <= maxNameLen && fabric.ValidDNSLabel(s) && s[0] >= 'a' && s[0] <= 'z'
}

// Cloudflare-visible names, all derived from Args.Name and ids so that a
// re-run names everything the same.

func scriptName(name string) string     { return name + "-router" }
func kvTitle(name string) string        { return name + "-registry" }
func directoryTitle(name string) string { return name + "-directory" }
func poolName(name, cell string) string { return name + "-" + cell }

// DatasetName is the Workers Analytics Engine dataset of the edge named
// name (Args.Name): "<name>_edge" with "_" for every "-". Dataset names
// appear unquoted in the Analytics Engine SQL API's FROM clause, so they are
// kept to lowercase letters, digits and "_", starting with a letter (a
// valid name gives one: it starts with a letter and holds [a-z0-9-]), at
// most 45 characters.
func DatasetName(name string) string { return strings.ReplaceAll(name, "-", "_") + "_edge" }
