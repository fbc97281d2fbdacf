package tenant

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/cellfabric/cellfabric/router"
)

// JWT defaults and limits.
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
// key of its own algorithm.
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

// KeySource supplies verification keys, e.g. a JWKS cache.
type KeySource interface {
	// Keys returns the keys that may have signed a token with this kid
	// ("" when the token has none). An error means the keys cannot be known
	// now (the token is refused with 503).
	Keys(ctx context.Context, kid string) ([]Key, error)
}

// JWTConfig configures the jwt mode. At least one of Keys and Source is
// required.
type JWTConfig struct {
	// Claim is the claim holding the tenant id. Default DefaultClaim.
	Claim string
	// Issuer, when set, must equal the token's "iss". Zero: not checked.
	Issuer string
	// Audience, when set, must be the token's "aud" or one of its entries.
	// Zero: not checked.
	Audience string
	// Leeway is the clock skew allowed on exp and nbf. Default
	// DefaultLeeway; negative means none.
	Leeway time.Duration
	// Keys are static keys (an HS256 secret, RS256/ES256 public keys).
	Keys []Key
	// Source supplies more keys, typically a *JWKS. Zero: none.
	Source KeySource
	// Now returns the time; default time.Now (tests set it).
	Now func() time.Time
}

type jwtVerifier struct {
	cfg JWTConfig
}

func newJWTVerifier(cfg JWTConfig) (*jwtVerifier, error) {
	if cfg.Claim == "" {
		cfg.Claim = DefaultClaim
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = DefaultLeeway
	} else if cfg.Leeway < 0 {
		cfg.Leeway = 0
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if len(cfg.Keys) == 0 && cfg.Source == nil {
		return nil, errors.New("no keys: give an HS256 secret, RS256/ES256 public keys or a JWKS URL")
	}
	var errs []error
	for i, k := range cfg.Keys {
		if err := checkKey(k); err != nil {
			errs = append(errs, fmt.Errorf("keys[%d]: %w", i, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &jwtVerifier{cfg: cfg}, nil
}

// checkKey refuses keys that do not fit their algorithm.
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
		if !ok {
			return fmt.Errorf("RS256 key must be an *rsa.PublicKey, got %T", k.Key)
		}
		if pk.N.BitLen() < MinRSABits {
			return fmt.Errorf("RS256 key has %d bits; use at least %d", pk.N.BitLen(), MinRSABits)
		}
	case ES256:
		pk, ok := k.Key.(*ecdsa.PublicKey)
		if !ok || pk.Curve != elliptic.P256() {
			return fmt.Errorf("ES256 key must be an *ecdsa.PublicKey on P-256, got %T", k.Key)
		}
	default:
		return fmt.Errorf("unsupported algorithm %q; want HS256, RS256 or ES256", k.Alg)
	}
	return nil
}

type jwtHeader struct {
	Alg  string          `json:"alg"`
	Kid  string          `json:"kid"`
	Crit json.RawMessage `json:"crit"`
}

// audience is a string or an array of strings.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("aud must be a string or an array of strings")
	}
	*a = many
	return nil
}

type jwtClaims struct {
	Exp *json.Number `json:"exp"`
	Nbf *json.Number `json:"nbf"`
	Iss string       `json:"iss"`
	Aud audience     `json:"aud"`
}

func malformed(msg string) *Error {
	return &Error{Status: 400, Reason: "bad_token", Mode: ModeJWT, Msg: "malformed bearer token: " + msg}
}

func rejected(msg string) *Error {
	return &Error{Status: 401, Reason: "token_rejected", Mode: ModeJWT, Msg: "bearer token rejected: " + msg}
}

// tenant verifies the token and returns its tenant claim.
func (v *jwtVerifier) tenant(ctx context.Context, token string) (string, *Error) {
	claims, e := v.verify(ctx, token)
	if e != nil {
		return "", e
	}
	raw, ok := claims[v.cfg.Claim]
	if !ok {
		return "", &Error{Status: 403, Reason: "token_no_tenant", Mode: ModeJWT, Msg: "the token is valid but has no " + v.cfg.Claim + " claim"}
	}
	var id string
	if json.Unmarshal(raw, &id) != nil || !router.ValidTenantID(id) {
		return "", &Error{Status: 403, Reason: "token_no_tenant", Mode: ModeJWT, Msg: "the token's " + v.cfg.Claim + " claim is not a valid tenant id"}
	}
	return id, nil
}

// verify checks the token's form, signature and registered claims, and
// returns its claims.
func (v *jwtVerifier) verify(ctx context.Context, token string) (map[string]json.RawMessage, *Error) {
	if len(token) > MaxTokenBytes {
		return nil, malformed("longer than 8 KiB")
	}
	h64, rest, ok1 := strings.Cut(token, ".")
	p64, s64, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(s64, ".") {
		return nil, malformed("want three dot-separated parts (JWS compact form)")
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(h64)
	pb, err2 := base64.RawURLEncoding.DecodeString(p64)
	sig, err3 := base64.RawURLEncoding.DecodeString(s64)
	if err1 != nil || err2 != nil || err3 != nil {
		return nil, malformed("a part is not unpadded base64url")
	}
	var hdr jwtHeader
	if err := json.Unmarshal(hb, &hdr); err != nil {
		return nil, malformed("header is not a JSON object")
	}
	if len(hdr.Crit) > 0 {
		return nil, rejected("critical header extensions are not supported")
	}
	switch hdr.Alg {
	case HS256, RS256, ES256:
	default:
		// "none" and every other algorithm: never trusted.
		return nil, rejected(fmt.Sprintf("algorithm %q is not accepted", hdr.Alg))
	}
	keys := make([]Key, 0, len(v.cfg.Keys))
	for _, k := range v.cfg.Keys {
		if k.ID == "" || hdr.Kid == "" || k.ID == hdr.Kid {
			keys = append(keys, k)
		}
	}
	if v.cfg.Source != nil {
		more, err := v.cfg.Source.Keys(ctx, hdr.Kid)
		if err != nil && len(keys) == 0 {
			return nil, &Error{Status: 503, Reason: "keys_unavailable", Mode: ModeJWT, Msg: "the keys to verify the token cannot be fetched now; retry later", Err: err}
		}
		keys = append(keys, more...)
	}
	signed := token[:len(h64)+1+len(p64)]
	verified := false
	for _, k := range keys {
		if k.Alg == hdr.Alg && verifySig(k, signed, sig) {
			verified = true
			break
		}
	}
	if !verified {
		return nil, rejected("signature does not verify with any accepted key")
	}
	var claims map[string]json.RawMessage
	if err := json.Unmarshal(pb, &claims); err != nil {
		return nil, malformed("payload is not a JSON object")
	}
	var std jwtClaims
	dec := json.NewDecoder(strings.NewReader(string(pb)))
	dec.UseNumber()
	if err := dec.Decode(&std); err != nil {
		return nil, rejected("registered claims have the wrong types")
	}
	now := v.cfg.Now()
	if std.Exp == nil {
		return nil, rejected("no exp claim: tokens must expire")
	}
	exp, err := numericDate(*std.Exp)
	if err != nil {
		return nil, rejected("exp is not a number")
	}
	if !now.Before(exp.Add(v.cfg.Leeway)) {
		return nil, rejected("expired")
	}
	if std.Nbf != nil {
		nbf, err := numericDate(*std.Nbf)
		if err != nil {
			return nil, rejected("nbf is not a number")
		}
		if now.Add(v.cfg.Leeway).Before(nbf) {
			return nil, rejected("not valid yet (nbf)")
		}
	}
	if v.cfg.Issuer != "" && std.Iss != v.cfg.Issuer {
		return nil, rejected("wrong issuer")
	}
	if v.cfg.Audience != "" {
		found := false
		for _, a := range std.Aud {
			found = found || a == v.cfg.Audience
		}
		if !found {
			return nil, rejected("wrong audience")
		}
	}
	return claims, nil
}

func numericDate(n json.Number) (time.Time, error) {
	f, err := n.Float64()
	if err != nil || f < 0 || f > 1e11 {
		return time.Time{}, errors.New("bad NumericDate")
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)), nil
}

// verifySig checks sig over signed with k (whose Alg equals the token's).
func verifySig(k Key, signed string, sig []byte) bool {
	sum := sha256.Sum256([]byte(signed))
	switch key := k.Key.(type) {
	case []byte:
		if k.Alg != HS256 {
			return false
		}
		m := hmac.New(sha256.New, key)
		m.Write([]byte(signed))
		return hmac.Equal(m.Sum(nil), sig)
	case *rsa.PublicKey:
		return k.Alg == RS256 && rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig) == nil
	case *ecdsa.PublicKey:
		if k.Alg != ES256 || len(sig) != 64 {
			return false
		}
		r := new(big.Int).SetBytes(sig[:32])
		s := new(big.Int).SetBytes(sig[32:])
		return ecdsa.Verify(key, sum[:], r, s)
	}
	return false
}
