package jwt

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"time"
)

// Defaults and limits.
const (
	// DefaultClaim is the claim holding the tenant id.
	DefaultClaim = "tenant"
	// DefaultLeeway is the clock skew allowed on exp and nbf.
	DefaultLeeway = 30 * time.Second
	// MaxTokenBytes is the longest token accepted.
	MaxTokenBytes = 8 << 10
	// MinHMACKeyBytes is the shortest HS256 secret accepted.
	MinHMACKeyBytes = 32
	// MinRSABits is the smallest RSA modulus accepted.
	MinRSABits = 2048
)

// Algorithms. The key decides the algorithm: a token is only checked with a
// key of its own algorithm, and no other algorithm is accepted.
const (
	HS256 = "HS256"
	RS256 = "RS256"
	ES256 = "ES256"
)

// Key is one verification key.
type Key struct {
	// ID is the key id matched against the token's "kid". Empty: the key
	// is tried for tokens of its algorithm whatever their kid.
	ID string
	// Alg is HS256, RS256 or ES256.
	Alg string
	// Key is a []byte secret (HS256), an *rsa.PublicKey (RS256) or an
	// *ecdsa.PublicKey on P-256 (ES256).
	Key any
}

// Config configures a Verifier. At least one of Keys and JWKS is required.
type Config struct {
	// Claim is the claim holding the tenant id. Default DefaultClaim.
	Claim string
	// Issuer, when set, must equal the token's "iss". Zero: not checked.
	Issuer string
	// Audience, when set, must be the token's "aud" or one of its entries.
	// Zero: not checked.
	Audience string
	// Leeway is the clock skew allowed on exp and nbf. Zero: DefaultLeeway;
	// negative: none.
	Leeway time.Duration
	// Keys are static keys (an HS256 secret, RS256/ES256 public keys).
	// Zero: none.
	Keys []Key
	// JWKS supplies RS256/ES256 keys fetched from a JWKS URL (NewJWKS),
	// tried after the static keys. Nil: none.
	JWKS *JWKS
	// Now returns the time exp and nbf are checked against. Default
	// time.Now (tests set it).
	Now func() time.Time
}

// withDefaults fills the zero fields of cfg.
func (cfg Config) withDefaults() Config {
	if cfg.Claim == "" {
		cfg.Claim = DefaultClaim
	}
	switch {
	case cfg.Leeway == 0:
		cfg.Leeway = DefaultLeeway
	case cfg.Leeway < 0:
		cfg.Leeway = 0
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg
}

// validate reports every problem of cfg at once; it does no I/O.
func (cfg Config) validate() error {
	if len(cfg.Keys) == 0 && cfg.JWKS == nil {
		return errors.New("no keys: give an HS256 secret, RS256/ES256 public keys or a JWKS URL")
	}
	var errs []error
	for i, k := range cfg.Keys {
		if err := checkKey(k); err != nil {
			errs = append(errs, fmt.Errorf("keys[%d]: %w", i, err))
		}
	}
	return errors.Join(errs...)
}

// checkKey refuses keys that do not fit their algorithm or are too weak.
// It is the one rule for static keys, PEM files and JWKS documents.
func checkKey(k Key) error {
	switch k.Alg {
	case HS256:
		b, ok := k.Key.([]byte)
		if !ok {
			return fmt.Errorf("HS256 key must be a []byte secret, got %T", k.Key)
		}
		if len(b) < MinHMACKeyBytes {
			return fmt.Errorf("HS256 secret is %d bytes; use at least %d random bytes", len(b), MinHMACKeyBytes)
		}
	case RS256:
		pk, ok := k.Key.(*rsa.PublicKey)
		if !ok || pk == nil || pk.N == nil {
			return fmt.Errorf("RS256 key must be an *rsa.PublicKey, got %T", k.Key)
		}
		if pk.N.BitLen() < MinRSABits {
			return fmt.Errorf("RS256 key has %d bits; use at least %d", pk.N.BitLen(), MinRSABits)
		}
	case ES256:
		pk, ok := k.Key.(*ecdsa.PublicKey)
		if !ok || pk == nil || pk.Curve != elliptic.P256() {
			return fmt.Errorf("ES256 key must be an *ecdsa.PublicKey on P-256, got %T", k.Key)
		}
	default:
		return fmt.Errorf("unsupported algorithm %q; want HS256, RS256 or ES256", k.Alg)
	}
	return nil
}
