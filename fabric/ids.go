package fabric

// Lengths of the ids, in one place.
const (
	// MinCellIDLen and MaxCellIDLen bound a cell id. 20 is what the
	// tightest cloud name that carries the whole id leaves room for: an AWS
	// load balancer or target group name, 32 characters, is "cf-<id>-"
	// plus an 8-character hash (components/aws/names.go).
	MinCellIDLen = 3
	MaxCellIDLen = 20
	// MaxTenantIDLen is the longest tenant id: one DNS label.
	MaxTenantIDLen = 63
	// MaxKeyIDLen is the longest edge key id. Key ids travel in every
	// signature header and name cloud secret entries, so they stay short.
	MaxKeyIDLen = 32
)

// DefaultKeyID is the id of the edge signing key when none is configured.
const DefaultKeyID = "k1"

// CellIDRule says in words what ValidCellID accepts, for error messages.
const CellIDRule = "3–20 lowercase letters, digits and hyphens, starting with a letter and ending with a letter or digit"

// TenantIDRule says in words what ValidTenantID accepts.
const TenantIDRule = "1–63 lowercase letters, digits and hyphens, starting and ending with a letter or digit (a DNS label)"

// KeyIDRule says in words what ValidKeyID accepts.
const KeyIDRule = "1–32 letters, digits, '.', '_' or '-'"

// ValidCellID reports whether s is a valid cell id: CellIDRule. A cell id
// names cloud resources, tags and DNS labels and the registry entry, so it
// must fit every cloud's naming rules.
func ValidCellID(s string) bool {
	return len(s) >= MinCellIDLen && len(s) <= MaxCellIDLen && s[0] >= 'a' && s[0] <= 'z' && ValidDNSLabel(s)
}

// ValidTenantID reports whether s is a valid tenant id: TenantIDRule, so a
// tenant id fits a host name.
func ValidTenantID(s string) bool { return ValidDNSLabel(s) }

// ValidDNSLabel reports whether s is a lowercase DNS label: 1–63 letters
// a–z, digits and hyphens, not starting or ending with a hyphen.
func ValidDNSLabel(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// ValidKeyID reports whether id can name an edge signing key: KeyIDRule.
// None can break the "id=secret,..." lists the cells read extra keys from,
// or the signature header.
func ValidKeyID(id string) bool {
	if id == "" || len(id) > MaxKeyIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
