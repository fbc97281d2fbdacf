package edgeauth

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cellfabric/cellfabric/fabric"
)

// MinSecretBytes is the shortest secret accepted.
const MinSecretBytes = 16

// Environment variables a cell reads its keys from (the same names as
// components/cell's EnvEdgeKey and EnvEdgeKeyID).
const (
	EnvKey   = "CELLFABRIC_EDGE_KEY"    // the secret of the current key
	EnvKeyID = "CELLFABRIC_EDGE_KEY_ID" // its id; default DefaultKeyID
	EnvKeys  = "CELLFABRIC_EDGE_KEYS"   // more keys ("id=secret,..."), e.g. during a rotation
)

// DefaultKeyID is the key id used when none is given (fabric's).
const DefaultKeyID = fabric.DefaultKeyID

// Key is one signing key.
type Key struct {
	// ID names the key in signatures (fabric.ValidKeyID: 1–32 letters,
	// digits, '.', '_' or '-').
	ID string
	// Secret is the HMAC secret, at least MinSecretBytes bytes.
	Secret []byte
}

// String redacts the secret.
func (k Key) String() string { return "edgeauth.Key{" + k.ID + ", secret redacted}" }

// GoString redacts the secret in %#v too.
func (k Key) GoString() string { return k.String() }

// Check reports what is wrong with the key, without mentioning the secret.
func (k Key) Check() error {
	if !fabric.ValidKeyID(k.ID) {
		return fmt.Errorf("key id %q: use %s", k.ID, fabric.KeyIDRule)
	}
	if len(k.Secret) < MinSecretBytes {
		return fmt.Errorf("key %s: secret is %d bytes; use at least %d random bytes", k.ID, len(k.Secret), MinSecretBytes)
	}
	return nil
}

// ParseKeys reads keys written "id=secret", separated by commas or newlines;
// blank lines and lines starting with "#" are skipped. A line without "=" is
// a secret for DefaultKeyID. Errors never contain a secret.
func ParseKeys(s string) ([]Key, error) {
	var keys []Key
	var errs []error
	seen := map[string]bool{}
	for i, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' }) {
		part = strings.TrimSpace(part)
		if part == "" || strings.HasPrefix(part, "#") {
			continue
		}
		id, secret, ok := strings.Cut(part, "=")
		if !ok {
			id, secret = DefaultKeyID, part
		}
		k := Key{ID: strings.TrimSpace(id), Secret: []byte(strings.TrimSpace(secret))}
		if err := k.Check(); err != nil {
			errs = append(errs, fmt.Errorf("key %d: %w", i+1, err))
			continue
		}
		if seen[k.ID] {
			errs = append(errs, fmt.Errorf("key %d: id %s appears twice", i+1, k.ID))
			continue
		}
		seen[k.ID] = true
		keys = append(keys, k)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("edge keys: %w", err)
	}
	if len(keys) == 0 {
		return nil, errors.New("edge keys: none given; write them as id=secret")
	}
	return keys, nil
}

// KeysFromEnv reads a cell's keys: EnvKey (with EnvKeyID, default
// DefaultKeyID) first, then any in EnvKeys. getenv is os.Getenv in a
// program.
func KeysFromEnv(getenv func(string) string) ([]Key, error) {
	var spec []string
	if secret := getenv(EnvKey); secret != "" {
		id := getenv(EnvKeyID)
		if id == "" {
			id = DefaultKeyID
		}
		spec = append(spec, id+"="+secret)
	}
	if more := getenv(EnvKeys); more != "" {
		spec = append(spec, more)
	}
	if len(spec) == 0 {
		return nil, fmt.Errorf("edge keys: set %s (and %s) or %s", EnvKey, EnvKeyID, EnvKeys)
	}
	return ParseKeys(strings.Join(spec, "\n"))
}
