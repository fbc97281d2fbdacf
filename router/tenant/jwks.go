//go:build !cellfabric_nonethttp

// The cellfabric_nonethttp build tag leaves out the JWKS fetcher, JWK and PEM
// parsing, so that the Cloudflare Worker (cmd/edgeworker) builds without
// net/http; the Worker has no jwt mode.

package tenant

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sync"
	"time"
)

// JWKS defaults.
const (
	// DefaultJWKSTTL is how long fetched keys are used before a refetch.
	DefaultJWKSTTL = 10 * time.Minute
	// DefaultJWKSMinRefresh is the least time between two fetches, so that
	// tokens with unknown kids cannot make the router hammer the issuer.
	DefaultJWKSMinRefresh = 30 * time.Second
	// MaxJWKSBytes is the largest JWKS document accepted.
	MaxJWKSBytes = 1 << 20
)

// JWKS fetches RS256 and ES256 public keys from a JWKS URL and caches them.
// Keys are refetched after TTL, and early (at most every MinRefresh) when a
// token names a kid the cache does not hold, so that key rotation at the
// issuer is picked up. When a refetch fails the keys already held keep being
// used. Symmetric ("oct") keys in the document are ignored: a JWKS is public.
type JWKS struct {
	// URL is the JWKS document's URL. Required.
	URL string
	// Client fetches it. Default: a client with a 5 second timeout.
	Client *http.Client
	// TTL: default DefaultJWKSTTL.
	TTL time.Duration
	// MinRefresh: default DefaultJWKSMinRefresh.
	MinRefresh time.Duration
	// Now: default time.Now.
	Now func() time.Time

	mu      sync.Mutex
	keys    []Key
	fetched time.Time // last successful fetch
	tried   time.Time // last attempt
	lastErr error
}

var _ KeySource = (*JWKS)(nil)

// Keys implements KeySource.
func (j *JWKS) Keys(ctx context.Context, kid string) ([]Key, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	now := j.now()
	ttl, minRefresh := j.TTL, j.MinRefresh
	if ttl <= 0 {
		ttl = DefaultJWKSTTL
	}
	if minRefresh <= 0 {
		minRefresh = DefaultJWKSMinRefresh
	}
	stale := j.fetched.IsZero() || now.Sub(j.fetched) >= ttl
	missing := kid != "" && !hasKid(j.keys, kid)
	if (stale || missing) && (j.tried.IsZero() || now.Sub(j.tried) >= minRefresh) {
		j.tried = now
		keys, err := j.fetch(ctx)
		if err != nil {
			j.lastErr = err
		} else {
			j.keys, j.fetched, j.lastErr = keys, now, nil
		}
	}
	if j.fetched.IsZero() {
		if j.lastErr == nil {
			j.lastErr = errors.New("keys not fetched yet")
		}
		return nil, fmt.Errorf("jwks %s: %w", j.URL, j.lastErr)
	}
	var out []Key
	for _, k := range j.keys {
		if kid == "" || k.ID == "" || k.ID == kid {
			out = append(out, k)
		}
	}
	return out, nil
}

func (j *JWKS) now() time.Time {
	if j.Now != nil {
		return j.Now()
	}
	return time.Now()
}

func hasKid(keys []Key, kid string) bool {
	for _, k := range keys {
		if k.ID == kid {
			return true
		}
	}
	return false
}

func (j *JWKS) fetch(ctx context.Context) ([]Key, error) {
	client := j.Client
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.URL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxJWKSBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > MaxJWKSBytes {
		return nil, fmt.Errorf("document over %d bytes", MaxJWKSBytes)
	}
	return ParseJWKS(body)
}

type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// ParseJWKS reads the RS256 and ES256 signing keys of a JWKS document. Keys
// of other types, for other uses or algorithms, are skipped; a malformed key
// of a supported type is an error.
func ParseJWKS(data []byte) ([]Key, error) {
	var doc struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	var keys []Key
	for i, k := range doc.Keys {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		switch {
		case k.Kty == "RSA" && (k.Alg == "" || k.Alg == RS256):
			n, err1 := base64.RawURLEncoding.DecodeString(k.N)
			e, err2 := base64.RawURLEncoding.DecodeString(k.E)
			if err1 != nil || err2 != nil || len(e) == 0 || len(e) > 4 {
				return nil, fmt.Errorf("jwks: keys[%d]: bad RSA modulus or exponent", i)
			}
			pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
			key := Key{ID: k.Kid, Alg: RS256, Key: pub}
			if err := checkKey(key); err != nil {
				return nil, fmt.Errorf("jwks: keys[%d]: %w", i, err)
			}
			keys = append(keys, key)
		case k.Kty == "EC" && k.Crv == "P-256" && (k.Alg == "" || k.Alg == ES256):
			x, err1 := base64.RawURLEncoding.DecodeString(k.X)
			y, err2 := base64.RawURLEncoding.DecodeString(k.Y)
			if err1 != nil || err2 != nil || len(x) != 32 || len(y) != 32 {
				return nil, fmt.Errorf("jwks: keys[%d]: bad EC point", i)
			}
			pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
			if err != nil {
				return nil, fmt.Errorf("jwks: keys[%d]: %w", i, err)
			}
			keys = append(keys, Key{ID: k.Kid, Alg: ES256, Key: pub})
		}
	}
	return keys, nil
}

// ParsePublicKeyPEM reads one PEM "PUBLIC KEY" (PKIX) block holding an RSA
// or P-256 key and returns it as an RS256 or ES256 Key with the given id.
func ParsePublicKeyPEM(id string, data []byte) (Key, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PUBLIC KEY" {
		return Key{}, errors.New("no PEM \"PUBLIC KEY\" block")
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return Key{}, fmt.Errorf("parsing public key: %w", err)
	}
	var k Key
	switch p := pub.(type) {
	case *rsa.PublicKey:
		k = Key{ID: id, Alg: RS256, Key: p}
	case *ecdsa.PublicKey:
		k = Key{ID: id, Alg: ES256, Key: p}
	default:
		return Key{}, fmt.Errorf("unsupported public key type %T; want RSA or P-256", pub)
	}
	if err := checkKey(k); err != nil {
		return Key{}, err
	}
	return k, nil
}
