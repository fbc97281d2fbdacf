package edgeconf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cellfabric/cellfabric/router/jsonkeys"
)

// Tenant resolution modes the Worker supports (the router/tenant modes of the
// same names). The jwt mode is not available in the Worker.
const (
	ModeHeader = "header"
	ModeHost   = "host"
	ModePath   = "path"
)

// Defaults, in one place. A zero field of Config means its default.
const (
	// DefaultTenantHeader is the header the header mode reads.
	DefaultTenantHeader = "X-Tenant-ID"
	// DefaultPathPrefix precedes the tenant in the path mode: /t/{tenant}/...
	DefaultPathPrefix = "/t/"
	// DefaultCacheSeconds is how long the Worker uses the registry and the
	// health document it read from KV before reading them again.
	DefaultCacheSeconds = 30
	// DefaultHealthMaxAgeSeconds is the age beyond which a health document
	// is ignored: ten missed runs of a once-a-minute cron.
	DefaultHealthMaxAgeSeconds = 600
	// DefaultProbeTimeoutMillis bounds one health probe.
	DefaultProbeTimeoutMillis = 5000
	// DefaultUpstreamTimeoutMillis bounds the wait for a cell's response
	// headers.
	DefaultUpstreamTimeoutMillis = 30_000
	// DefaultMaxAttempts is the most cells one request tries.
	DefaultMaxAttempts = 3
	// DefaultDirectoryCacheEntries is how many tenants' directory entries
	// (found or absent) an isolate keeps: at most MaxDirectoryEntryMemory
	// bytes each, so the cache stays under 10 MB.
	DefaultDirectoryCacheEntries = 16_000
	// DefaultDirectoryNegativeSeconds is how long an isolate remembers
	// that the directory holds no entry for a tenant.
	DefaultDirectoryNegativeSeconds = 10
)

// MaxDirectoryEntryMemory bounds the memory one cached directory entry
// holds in the Worker's isolate, in bytes, for the largest entry the Worker
// accepts (a 63-character id, seven failover cells, a 32-character
// residency): cmd/edgeworker measures it (TestDirectoryEntryMemory).
const MaxDirectoryEntryMemory = 650

// Limits Validate enforces.
const (
	MaxCacheSeconds          = 3600
	MinHealthMaxAgeSeconds   = 60
	MaxHealthMaxAgeSeconds   = 86_400
	MinTimeoutMillis         = 100
	MaxProbeTimeoutMillis    = 30_000 // a cron run under an hour's interval gets 30 s of CPU; stay well inside
	MaxUpstreamTimeoutMillis = 300_000
	// MaxAttemptsLimit is the most candidates a routing decision lists
	// (router.MaxCandidates).
	MaxAttemptsLimit = 8
	// MaxConfigBytes bounds the CONFIG document.
	MaxConfigBytes = 64 << 10
	// MaxDirectoryCacheEntries bounds DirectoryCacheEntries: about 30 MB
	// of the isolate's 128 MB at MaxDirectoryEntryMemory each.
	MaxDirectoryCacheEntries = 50_000
)

// DefaultTenantModes is the resolution order when Config.TenantModes is
// empty: the same default as the router server's.
var DefaultTenantModes = []string{ModeHeader}

// Config is the Worker's configuration, read as JSON from ConfigBinding.
// Every field is optional; a zero value means the default named in its
// comment.
type Config struct {
	// TenantModes are the ways of finding a request's tenant, tried in
	// order until one finds it: "host" (HostPattern), "header"
	// (TenantHeader) and "path" (PathPrefix). No repeats. Zero:
	// DefaultTenantModes (header only). A header can be set by any client:
	// put host first when tenants have their own host names.
	TenantModes []string `json:"tenantModes,omitempty"`
	// TenantHeader is the header the header mode reads. Zero:
	// DefaultTenantHeader.
	TenantHeader string `json:"tenantHeader,omitempty"`
	// HostPattern is the request host the host mode matches, with
	// "{tenant}" standing for one whole DNS label, e.g.
	// "{tenant}.example.com". Required with the host mode; ignored
	// without it.
	HostPattern string `json:"hostPattern,omitempty"`
	// PathPrefix precedes the tenant segment in the path mode; it starts
	// and ends with "/", and it and the tenant segment are stripped before
	// forwarding. Zero: DefaultPathPrefix.
	PathPrefix string `json:"pathPrefix,omitempty"`
	// CacheSeconds is how long the Worker's isolate keeps using the
	// registry, the health document, each tenant-directory entry and the
	// cells' placement flags (drained cells) it read from KV before it
	// reads them again, 1..MaxCacheSeconds. Changes
	// written to KV reach the Worker after at most this long, plus KV's own
	// propagation delay (up to a minute at the edge). Zero:
	// DefaultCacheSeconds.
	CacheSeconds int `json:"cacheSeconds,omitempty"`
	// HealthMaxAgeSeconds is how old a health document may be before the
	// Worker ignores it and treats every cell as healthy again, so that a
	// cron that stopped cannot keep a cell out for ever,
	// MinHealthMaxAgeSeconds..MaxHealthMaxAgeSeconds. Zero:
	// DefaultHealthMaxAgeSeconds.
	HealthMaxAgeSeconds int `json:"healthMaxAgeSeconds,omitempty"`
	// ProbeTimeoutMillis bounds each health probe of the cron run,
	// MinTimeoutMillis..MaxProbeTimeoutMillis. A probe that takes longer
	// marks the cell unhealthy. Zero: DefaultProbeTimeoutMillis.
	ProbeTimeoutMillis int `json:"probeTimeoutMs,omitempty"`
	// UpstreamTimeoutMillis bounds the wait for a cell's response headers,
	// MinTimeoutMillis..MaxUpstreamTimeoutMillis. A request that times
	// out is answered 504 and not retried (the cell may still be working
	// on it). Zero: DefaultUpstreamTimeoutMillis.
	UpstreamTimeoutMillis int `json:"upstreamTimeoutMs,omitempty"`
	// MaxAttempts is the most cells one request tries, 1..MaxAttemptsLimit.
	// A retry goes to the decision's next healthy cell when the fetch
	// failed or the cell answered 502, 503 or 504, and only for idempotent
	// methods without a body. 1 disables retries. Zero: DefaultMaxAttempts.
	MaxAttempts int `json:"maxAttempts,omitempty"`
	// DirectoryCacheEntries is how many tenants' tenant-directory lookups
	// an isolate keeps, 1..MaxDirectoryCacheEntries, the least recently
	// used going first: entries found (kept CacheSeconds) and tenants the
	// directory does not hold (kept DirectoryNegativeSeconds). An expired
	// entry stays until it is evicted, to serve while the directory cannot
	// be read. Each costs at most MaxDirectoryEntryMemory bytes. Zero:
	// DefaultDirectoryCacheEntries (under 10 MB).
	DirectoryCacheEntries int `json:"directoryCacheEntries,omitempty"`
	// DirectoryNegativeSeconds is how long an isolate remembers that the
	// tenant directory holds no entry for a tenant before it looks again,
	// 1..MaxCacheSeconds: a tenant added to the directory routes after at
	// most this long (plus KV's propagation). Zero:
	// DefaultDirectoryNegativeSeconds.
	DirectoryNegativeSeconds int `json:"directoryNegativeSeconds,omitempty"`
	// TraceSample is the share of requests whose trace the Worker marks
	// sampled, 0..1. Whatever it is, the Worker starts a new W3C trace
	// for every request and sends its traceparent to the cell in place of
	// the client's; the cells (and anything below them) record the trace
	// when the sampled flag is set. Zero (the default): never sampled.
	TraceSample float64 `json:"traceSample,omitempty"`
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if len(c.TenantModes) == 0 {
		c.TenantModes = append([]string(nil), DefaultTenantModes...)
	}
	if c.TenantHeader == "" {
		c.TenantHeader = DefaultTenantHeader
	}
	if c.PathPrefix == "" {
		c.PathPrefix = DefaultPathPrefix
	}
	setDefault(&c.CacheSeconds, DefaultCacheSeconds)
	setDefault(&c.HealthMaxAgeSeconds, DefaultHealthMaxAgeSeconds)
	setDefault(&c.ProbeTimeoutMillis, DefaultProbeTimeoutMillis)
	setDefault(&c.UpstreamTimeoutMillis, DefaultUpstreamTimeoutMillis)
	setDefault(&c.MaxAttempts, DefaultMaxAttempts)
	setDefault(&c.DirectoryCacheEntries, DefaultDirectoryCacheEntries)
	setDefault(&c.DirectoryNegativeSeconds, DefaultDirectoryNegativeSeconds)
	return c
}

func setDefault(v *int, def int) {
	if *v == 0 {
		*v = def
	}
}

// Validate reports every problem with c at once, each with its JSON field
// name. Zero fields are valid (they mean the defaults). It does no I/O.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	seen := map[string]int{}
	host := false
	for i, m := range c.TenantModes {
		switch m {
		case ModeHeader, ModePath:
		case ModeHost:
			host = true
		case "jwt":
			add("tenantModes[%d]: the jwt mode is not available in the edge Worker; use host, header or path, or run the router server for tokens", i)
		default:
			add("tenantModes[%d]: unknown mode %q; want host, header or path", i, m)
		}
		if j, dup := seen[m]; dup {
			add("tenantModes[%d]: %q already listed at tenantModes[%d]", i, m, j)
		} else {
			seen[m] = i
		}
	}
	if c.TenantHeader != "" && !validHeaderName(c.TenantHeader) {
		add("tenantHeader: %q is not a header name: use letters, digits and hyphens", c.TenantHeader)
	}
	if c.TraceSample < 0 || c.TraceSample > 1 || c.TraceSample != c.TraceSample {
		add("traceSample: %v is not a ratio: use 0 (never sampled) to 1 (every request)", c.TraceSample)
	}
	if host {
		if msg := checkHostPattern(c.HostPattern); msg != "" {
			add("hostPattern: %s", msg)
		}
	}
	if p := c.PathPrefix; p != "" && (!strings.HasPrefix(p, "/") || !strings.HasSuffix(p, "/") || strings.ContainsAny(p, "?#% ")) {
		add("pathPrefix: %q must start and end with \"/\" and hold no ?, #, %% or spaces", p)
	}
	checkRange(add, "cacheSeconds", c.CacheSeconds, 1, MaxCacheSeconds)
	checkRange(add, "healthMaxAgeSeconds", c.HealthMaxAgeSeconds, MinHealthMaxAgeSeconds, MaxHealthMaxAgeSeconds)
	checkRange(add, "probeTimeoutMs", c.ProbeTimeoutMillis, MinTimeoutMillis, MaxProbeTimeoutMillis)
	checkRange(add, "upstreamTimeoutMs", c.UpstreamTimeoutMillis, MinTimeoutMillis, MaxUpstreamTimeoutMillis)
	checkRange(add, "maxAttempts", c.MaxAttempts, 1, MaxAttemptsLimit)
	checkRange(add, "directoryCacheEntries", c.DirectoryCacheEntries, 1, MaxDirectoryCacheEntries)
	checkRange(add, "directoryNegativeSeconds", c.DirectoryNegativeSeconds, 1, MaxCacheSeconds)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("edge worker config: %w", err)
	}
	return nil
}

// checkRange accepts zero (the default) or a value within [lo, hi].
func checkRange(add func(string, ...any), name string, v, lo, hi int) {
	if v != 0 && (v < lo || v > hi) {
		add("%s: %d is out of range; want %d to %d, or leave it out for the default", name, v, lo, hi)
	}
}

// checkHostPattern returns what is wrong with a host pattern, or "".
func checkHostPattern(p string) string {
	pre, suf, ok := strings.Cut(strings.ToLower(p), "{tenant}")
	switch {
	case p == "":
		return "required with the host mode, e.g. {tenant}.example.com"
	case !ok || strings.Contains(suf, "{tenant}"):
		return fmt.Sprintf("%q must contain {tenant} exactly once", p)
	case (pre != "" && !strings.HasSuffix(pre, ".")) || (suf != "" && !strings.HasPrefix(suf, ".")) || strings.ContainsAny(pre+suf, ":/ {}"):
		return fmt.Sprintf("%q: {tenant} must be a whole DNS label and the pattern a bare host name (no scheme, port or path)", p)
	}
	return ""
}

func validHeaderName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Parse reads a Config from its JSON, refusing unknown fields, keys written
// twice, trailing data and documents over MaxConfigBytes, validates it and applies the
// defaults. Empty input (only white space) is the default Config.
func Parse(data []byte) (Config, error) {
	if len(data) > MaxConfigBytes {
		return Config{}, fmt.Errorf("edge worker config: %d bytes, over the %d byte limit", len(data), MaxConfigBytes)
	}
	var c Config
	if len(bytes.TrimSpace(data)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return Config{}, fmt.Errorf("edge worker config: not a config document: %w", err)
		}
		if _, err := dec.Token(); err != io.EOF {
			return Config{}, errors.New("edge worker config: trailing data after the JSON object")
		}
		if err := jsonkeys.Check(data); err != nil {
			return Config{}, fmt.Errorf("edge worker config: %w", err)
		}
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c.WithDefaults(), nil
}

// Marshal returns c as the JSON to bind as ConfigBinding, after checking
// it. Zero fields are left out, so the Worker applies its own defaults.
func (c Config) Marshal() ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal(c)
}

// Cache returns CacheSeconds as a duration, default applied.
func (c Config) Cache() time.Duration {
	return time.Duration(c.WithDefaults().CacheSeconds) * time.Second
}

// DirectoryNegative returns DirectoryNegativeSeconds as a duration, default
// applied.
func (c Config) DirectoryNegative() time.Duration {
	return time.Duration(c.WithDefaults().DirectoryNegativeSeconds) * time.Second
}

// HealthMaxAge returns HealthMaxAgeSeconds as a duration, default applied.
func (c Config) HealthMaxAge() time.Duration {
	return time.Duration(c.WithDefaults().HealthMaxAgeSeconds) * time.Second
}

// ProbeTimeout returns ProbeTimeoutMillis as a duration, default applied.
func (c Config) ProbeTimeout() time.Duration {
	return time.Duration(c.WithDefaults().ProbeTimeoutMillis) * time.Millisecond
}

// UpstreamTimeout returns UpstreamTimeoutMillis as a duration, default
// applied.
func (c Config) UpstreamTimeout() time.Duration {
	return time.Duration(c.WithDefaults().UpstreamTimeoutMillis) * time.Millisecond
}
