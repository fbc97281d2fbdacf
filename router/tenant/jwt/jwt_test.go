package jwt

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router/tenant"
)

var (
	keysOnce sync.Once
	rsaKey   *rsa.PrivateKey
	rsaKey2  *rsa.PrivateKey
	ecKey    *ecdsa.PrivateKey
	hsSecret = []byte("0123456789abcdef0123456789abcdef-hs256")
	testNow  = time.Unix(1_800_000_000, 0)
)

func testKeys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if rsaKey2, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
	})
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// makeToken signs header and claims with key (a []byte, *rsa.PrivateKey or
// *ecdsa.PrivateKey), or leaves the signature empty for nil.
func makeToken(t testing.TB, header, claims map[string]any, key any) string {
	t.Helper()
	hb, _ := json.Marshal(header)
	cb, _ := json.Marshal(claims)
	signed := b64(hb) + "." + b64(cb)
	sum := sha256.Sum256([]byte(signed))
	var sig []byte
	switch k := key.(type) {
	case []byte:
		m := hmac.New(sha256.New, k)
		m.Write([]byte(signed))
		sig = m.Sum(nil)
	case *rsa.PrivateKey:
		var err error
		if sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:]); err != nil {
			t.Fatal(err)
		}
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, k, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		sig = make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	}
	return signed + "." + b64(sig)
}

func claims(extra ...any) map[string]any {
	c := map[string]any{"tenant": "acme", "exp": testNow.Add(time.Hour).Unix(), "iss": "https://issuer.example.com", "aud": "cellfabric"}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == nil {
			delete(c, extra[i].(string))
			continue
		}
		c[extra[i].(string)] = extra[i+1]
	}
	return c
}

func jwtResolver(t testing.TB, cfg Config) *tenant.Resolver {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return testNow }
	}
	if cfg.Issuer == "" {
		cfg.Issuer = "https://issuer.example.com"
	}
	if cfg.Audience == "" {
		cfg.Audience = "cellfabric"
	}
	v, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := tenant.New(tenant.Config{Order: []tenant.Mode{tenant.ModeJWT, tenant.ModeHeader}, Verifier: v})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func bearer(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

func TestJWT(t *testing.T) {
	t.Parallel()
	testKeys(t)
	static := Config{Keys: []Key{
		{ID: "hs", Alg: HS256, Key: hsSecret},
		{ID: "rs", Alg: RS256, Key: &rsaKey.PublicKey},
		{ID: "es", Alg: ES256, Key: &ecKey.PublicKey},
	}}
	rsaPubDER, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	rsaPubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: rsaPubDER})
	hs := map[string]any{"alg": "HS256", "kid": "hs", "typ": "JWT"}
	rs := map[string]any{"alg": "RS256", "kid": "rs"}
	es := map[string]any{"alg": "ES256", "kid": "es"}
	tests := []struct {
		name       string
		header     http.Header
		wantTenant string
		wantStatus int
		wantReason string
	}{
		{name: "HS256", header: bearer(makeToken(t, hs, claims(), hsSecret)), wantTenant: "acme"},
		{name: "RS256", header: bearer(makeToken(t, rs, claims("tenant", "globex"), rsaKey)), wantTenant: "globex"},
		{name: "ES256", header: bearer(makeToken(t, es, claims("tenant", "initech"), ecKey)), wantTenant: "initech"},
		{name: "no kid tries keys of the alg", header: bearer(makeToken(t, map[string]any{"alg": "RS256"}, claims(), rsaKey)), wantTenant: "acme"},
		{name: "lower-case bearer", header: http.Header{"Authorization": {"bearer " + makeToken(t, hs, claims(), hsSecret)}}, wantTenant: "acme"},
		{name: "aud array", header: bearer(makeToken(t, hs, claims("aud", []string{"other", "cellfabric"}), hsSecret)), wantTenant: "acme"},
		{name: "within leeway after exp", header: bearer(makeToken(t, hs, claims("exp", testNow.Add(-10*time.Second).Unix()), hsSecret)), wantTenant: "acme"},
		{name: "within leeway before nbf", header: bearer(makeToken(t, hs, claims("nbf", testNow.Add(10*time.Second).Unix()), hsSecret)), wantTenant: "acme"},
		{name: "no token falls through to header", header: http.Header{"X-Tenant-Id": {"hooli"}}, wantTenant: "hooli"},
		{name: "basic auth is not a token", header: http.Header{"Authorization": {"Basic dXNlcjpwYXNz"}, "X-Tenant-Id": {"hooli"}}, wantTenant: "hooli"},
		{name: "bad token does not fall through", header: http.Header{"Authorization": {"Bearer x.y.z"}, "X-Tenant-Id": {"hooli"}}, wantStatus: 400, wantReason: "bad_token"},
		{name: "alg none", header: bearer(makeToken(t, map[string]any{"alg": "none"}, claims(), nil)), wantStatus: 401, wantReason: "token_rejected"},
		{name: "alg None spelled differently", header: bearer(makeToken(t, map[string]any{"alg": "None"}, claims(), nil)), wantStatus: 401, wantReason: "token_rejected"},
		{name: "alg HS512", header: bearer(makeToken(t, map[string]any{"alg": "HS512"}, claims(), hsSecret)), wantStatus: 401, wantReason: "token_rejected"},
		// Algorithm confusion: an HS256 token whose secret is the RSA public
		// key (what a naive verifier would use) must fail.
		{name: "alg confusion HS256 with RSA public key", header: bearer(makeToken(t, map[string]any{"alg": "HS256", "kid": "rs"}, claims(), rsaPubPEM)), wantStatus: 401, wantReason: "token_rejected"},
		{name: "RS256 header on ES key", header: bearer(makeToken(t, map[string]any{"alg": "RS256", "kid": "es"}, claims(), rsaKey)), wantStatus: 401, wantReason: "token_rejected"},
		{name: "wrong HMAC secret", header: bearer(makeToken(t, hs, claims(), []byte("another-secret-another-secret-xx!"))), wantStatus: 401, wantReason: "token_rejected"},
		{name: "other RSA key", header: bearer(makeToken(t, rs, claims(), rsaKey2)), wantStatus: 401, wantReason: "token_rejected"},
		{name: "unknown kid", header: bearer(makeToken(t, map[string]any{"alg": "HS256", "kid": "zz"}, claims(), hsSecret)), wantStatus: 401, wantReason: "token_rejected"},
		{name: "tampered payload", header: bearer(tamper(makeToken(t, hs, claims(), hsSecret))), wantStatus: 401, wantReason: "token_rejected"},
		{name: "empty signature", header: bearer(strings.TrimRight(makeToken(t, hs, claims(), hsSecret), "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")), wantStatus: 401, wantReason: "token_rejected"},
		{name: "expired", header: bearer(makeToken(t, hs, claims("exp", testNow.Add(-time.Minute).Unix()), hsSecret)), wantStatus: 401, wantReason: "token_rejected"},
		{name: "no exp", header: bearer(makeToken(t, hs, claims("exp", nil), hsSecret)), wantStatus: 401, wantReason: "token_rejected"},
		{name: "exp not a number", header: bearer(makeToken(t, hs, claims("exp", "tomorrow"), hsSecret)), wantStatus: 401, wantReason: "token_rejected"},
		// NumericDates outside 1970..5138 are refused, as before the move to
		// golang-jwt, which would take this exp as "never expires".
		{name: "exp beyond year 5138", header: bearer(makeToken(t, hs, claims("exp", int64(9e18)), hsSecret)), wantStatus: 401, wantReason: "token_rejected"},
		{name: "nbf before 1970", header: bearer(makeToken(t, hs, claims("nbf", -1), hsSecret)), wantStatus: 401, wantReason: "token_rejected"},
		{name: "not yet valid", header: bearer(makeToken(t, hs, claims("nbf", testNow.Add(time.Minute).Unix()), hsSecret)), wantStatus: 401, wantReason: "token_rejected"},
		{name: "wrong issuer", header: bearer(makeToken(t, hs, claims("iss", "https://evil.example.com"), hsSecret)), wantStatus: 401, wantReason: "token_rejected"},
		{name: "wrong audience", header: bearer(makeToken(t, hs, claims("aud", "someone-else"), hsSecret)), wantStatus: 401, wantReason: "token_rejected"},
		{name: "no audience", header: bearer(makeToken(t, hs, claims("aud", nil), hsSecret)), wantStatus: 401, wantReason: "token_rejected"},
		{name: "crit header", header: bearer(makeToken(t, map[string]any{"alg": "HS256", "crit": []string{"b64"}, "b64": false}, claims(), hsSecret)), wantStatus: 401, wantReason: "token_rejected"},
		{name: "no tenant claim", header: bearer(makeToken(t, hs, claims("tenant", nil), hsSecret)), wantStatus: 403, wantReason: "token_no_tenant"},
		{name: "tenant claim not an id", header: bearer(makeToken(t, hs, claims("tenant", "ACME/../x"), hsSecret)), wantStatus: 403, wantReason: "token_no_tenant"},
		{name: "tenant claim not a string", header: bearer(makeToken(t, hs, claims("tenant", 42), hsSecret)), wantStatus: 403, wantReason: "token_no_tenant"},
		{name: "two parts", header: bearer("abc.def"), wantStatus: 400, wantReason: "bad_token"},
		{name: "four parts", header: bearer("a.b.c.d"), wantStatus: 400, wantReason: "bad_token"},
		{name: "padded base64", header: bearer("eyJhbGciOiJIUzI1NiJ9==.e30.e30"), wantStatus: 400, wantReason: "bad_token"},
		{name: "header not json", header: bearer(b64([]byte("nope")) + ".e30.e30"), wantStatus: 400, wantReason: "bad_token"},
		{name: "huge token", header: bearer(strings.Repeat("a", MaxTokenBytes+1)), wantStatus: 400, wantReason: "bad_token"},
	}
	r := jwtResolver(t, static)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := r.Resolve(context.Background(), tenant.Facts{Path: "/", Header: tt.header})
			if tt.wantStatus != 0 {
				var te *tenant.Error
				if !errors.As(err, &te) || te.Status != tt.wantStatus || te.Reason != tt.wantReason {
					t.Fatalf("err = %v, want %d %s", err, tt.wantStatus, tt.wantReason)
				}
				if auth := tt.header.Get("Authorization"); len(auth) > 20 && strings.Contains(te.Error(), auth[7:]) {
					t.Errorf("error message contains the token")
				}
				return
			}
			if err != nil || res.Tenant != tt.wantTenant {
				t.Fatalf("tenant %q err %v, want %q", res.Tenant, err, tt.wantTenant)
			}
		})
	}
	// PEM keys load and verify.
	k, err := ParsePublicKeyPEM("rs", rsaPubPEM)
	if err != nil {
		t.Fatal(err)
	}
	r2 := jwtResolver(t, Config{Keys: []Key{k}})
	if res, err := r2.Resolve(context.Background(), tenant.Facts{Header: bearer(makeToken(t, rs, claims(), rsaKey))}); err != nil || res.Tenant != "acme" {
		t.Errorf("PEM key: %q %v", res.Tenant, err)
	}
	if _, err := ParsePublicKeyPEM("x", []byte("not pem")); err == nil {
		t.Error("ParsePublicKeyPEM accepted garbage")
	}
}

// tamper changes the payload's tenant claim and keeps the signature.
func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	p, _ := base64.RawURLEncoding.DecodeString(parts[1])
	p = []byte(strings.Replace(string(p), `"acme"`, `"evil"`, 1))
	return parts[0] + "." + b64(p) + "." + parts[2]
}

func jwksDoc(keys ...any) []byte {
	var out []map[string]any
	for i, k := range keys {
		switch p := k.(type) {
		case *rsa.PublicKey:
			e := []byte{1, 0, 1}
			out = append(out, map[string]any{"kty": "RSA", "kid": "rsa-" + itoa(i), "use": "sig", "alg": "RS256", "n": b64(p.N.Bytes()), "e": b64(e)})
		case *ecdsa.PublicKey:
			raw, _ := p.Bytes()
			out = append(out, map[string]any{"kty": "EC", "kid": "ec-" + itoa(i), "crv": "P-256", "x": b64(raw[1:33]), "y": b64(raw[33:])})
		case []byte:
			out = append(out, map[string]any{"kty": "oct", "kid": "oct-" + itoa(i), "k": b64(p)})
		}
	}
	b, _ := json.Marshal(map[string]any{"keys": out})
	return b
}

func itoa(i int) string { return string(rune('0' + i)) }

// jwksServer serves a JWKS document on loopback, or 503 while failing is
// set, and counts the fetches.
type jwksServer struct {
	*httptest.Server
	doc     atomic.Value // []byte
	failing atomic.Bool
	fetches atomic.Int32
	fetched chan struct{} // a signal per fetch, dropped when full
}

func newJWKSServer(t *testing.T, doc []byte) *jwksServer {
	s := &jwksServer{fetched: make(chan struct{}, 64)}
	s.doc.Store(doc)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		select {
		case s.fetched <- struct{}{}:
		default:
		}
		if s.failing.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Write(s.doc.Load().([]byte))
	}))
	t.Cleanup(s.Close)
	return s
}

// waitFetches waits until the server has answered n fetches in all. The
// background refresh fetches one at a time, so once fetch n+1 has begun,
// fetch n's keys are in the cache. The deadline only stops a broken
// refresh from hanging the test.
func (s *jwksServer) waitFetches(t *testing.T, n int32) {
	t.Helper()
	deadline := time.After(time.Minute)
	for s.fetches.Load() < n {
		select {
		case <-s.fetched:
		case <-deadline:
			t.Fatalf("the JWKS was fetched %d times, want %d: no background refresh", s.fetches.Load(), n)
		}
	}
}

func newTestJWKS(t *testing.T, cfg JWKSConfig) *JWKS {
	t.Helper()
	j, err := NewJWKS(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestJWKS(t *testing.T) {
	t.Parallel()
	testKeys(t)
	srv := newJWKSServer(t, jwksDoc(&rsaKey.PublicKey, &ecKey.PublicKey, hsSecret))
	// No background refresh during the test: what changes the cache here is
	// the refetch on an unknown kid.
	jwks := newTestJWKS(t, JWKSConfig{URL: srv.URL, Client: srv.Client(), RefreshInterval: time.Hour, MinRefresh: time.Minute})
	r := jwtResolver(t, Config{JWKS: jwks})
	resolve := func(r *tenant.Resolver, tok string) (string, error) {
		res, err := r.Resolve(context.Background(), tenant.Facts{Header: bearer(tok)})
		return res.Tenant, err
	}
	if got, err := resolve(r, makeToken(t, map[string]any{"alg": "RS256", "kid": "rsa-0"}, claims(), rsaKey)); err != nil || got != "acme" {
		t.Fatalf("RS256 via JWKS: %q %v", got, err)
	}
	if got, err := resolve(r, makeToken(t, map[string]any{"alg": "ES256", "kid": "ec-1"}, claims(), ecKey)); err != nil || got != "acme" {
		t.Fatalf("ES256 via JWKS: %q %v", got, err)
	}
	if got, err := resolve(r, makeToken(t, map[string]any{"alg": "ES256"}, claims(), ecKey)); err != nil || got != "acme" {
		t.Fatalf("ES256 without kid via JWKS: %q %v", got, err)
	}
	if fetches := srv.fetches.Load(); fetches != 1 {
		t.Errorf("%d fetches, want 1 (cached)", fetches)
	}
	// A symmetric key published in the JWKS must never verify anything.
	if _, err := resolve(r, makeToken(t, map[string]any{"alg": "HS256", "kid": "oct-2"}, claims(), hsSecret)); err == nil {
		t.Error("HS256 token accepted with a key from a JWKS")
	}
	if _, err := resolve(r, makeToken(t, map[string]any{"alg": "HS256"}, claims(), hsSecret)); err == nil {
		t.Error("HS256 token without kid accepted with a key from a JWKS")
	}
	// Rotation: same kid, new key: only picked up when the cache is
	// refetched.
	srv.doc.Store(jwksDoc(&rsaKey2.PublicKey))
	tok2 := makeToken(t, map[string]any{"alg": "RS256", "kid": "rsa-0"}, claims("exp", testNow.Add(24*time.Hour).Unix()), rsaKey2)
	if _, err := resolve(r, tok2); err == nil {
		t.Error("token signed by the rotated key accepted before the cache was refetched")
	}
	// An unknown kid refetches, but not more often than MinRefresh; the
	// refetch picks up the rotated key.
	n := srv.fetches.Load()
	unknown := makeToken(t, map[string]any{"alg": "RS256", "kid": "never"}, claims(), rsaKey2)
	resolve(r, unknown)
	resolve(r, unknown)
	if got := srv.fetches.Load() - n; got != 1 {
		t.Errorf("two unknown kids within MinRefresh caused %d fetches, want 1", got)
	}
	if got, err := resolve(r, tok2); err != nil || got != "acme" {
		t.Fatalf("after the refetch: %q %v", got, err)
	}

	t.Run("background refresh", func(t *testing.T) {
		t.Parallel()
		srv := newJWKSServer(t, jwksDoc(&rsaKey.PublicKey))
		r := jwtResolver(t, Config{JWKS: newTestJWKS(t, JWKSConfig{URL: srv.URL, Client: srv.Client(), RefreshInterval: 10 * time.Millisecond, MinRefresh: time.Hour})})
		tok1 := makeToken(t, map[string]any{"alg": "RS256", "kid": "rsa-0"}, claims(), rsaKey)
		if got, err := resolve(r, tok1); err != nil || got != "acme" {
			t.Fatalf("before rotation: %q %v", got, err)
		}
		// Same kid, new key: picked up by the periodic refetch, and the
		// old key is gone.
		srv.doc.Store(jwksDoc(&rsaKey2.PublicKey))
		srv.waitFetches(t, srv.fetches.Load()+2)
		if got, err := resolve(r, tok2); err != nil || got != "acme" {
			t.Fatalf("after a refresh: %q %v", got, err)
		}
		if _, err := resolve(r, tok1); err == nil {
			t.Error("token signed by the replaced key still accepted after a refresh")
		}
		// The issuer goes down: the keys held keep working.
		srv.failing.Store(true)
		srv.waitFetches(t, srv.fetches.Load()+2)
		if got, err := resolve(r, tok2); err != nil || got != "acme" {
			t.Fatalf("JWKS down with cached keys: %q %v", got, err)
		}
	})

	t.Run("never fetched", func(t *testing.T) {
		t.Parallel()
		srv := newJWKSServer(t, jwksDoc(&rsaKey2.PublicKey))
		srv.failing.Store(true)
		cold := jwtResolver(t, Config{JWKS: newTestJWKS(t, JWKSConfig{URL: srv.URL, Client: srv.Client(), MinRefresh: time.Millisecond})})
		noKid := makeToken(t, map[string]any{"alg": "RS256"}, claims(), rsaKey2)
		// Never fetched and down: 503, token not trusted.
		for _, tok := range []string{tok2, noKid} {
			_, err := resolve(cold, tok)
			var te *tenant.Error
			if !errors.As(err, &te) || te.Status != 503 || te.Reason != "keys_unavailable" || !errors.Is(err, errKeysUnavailable) {
				t.Fatalf("cold JWKS down: %v", err)
			}
		}
		// The issuer answers again: the next token fills the cache, even
		// one without kid.
		srv.failing.Store(false)
		if got, err := resolve(cold, noKid); err != nil || got != "acme" {
			t.Fatalf("cold JWKS back up: %q %v", got, err)
		}
	})

	t.Run("keys not for signing or for another alg", func(t *testing.T) {
		t.Parallel()
		n, e := b64(rsaKey2.PublicKey.N.Bytes()), b64([]byte{1, 0, 1})
		doc, _ := json.Marshal(map[string]any{"keys": []map[string]any{
			{"kty": "RSA", "kid": "enc", "use": "enc", "n": n, "e": e},
			{"kty": "RSA", "kid": "rs512", "alg": "RS512", "n": n, "e": e},
			{"kty": "RSA", "kid": "sig", "use": "sig", "alg": "RS256", "n": n, "e": e},
		}})
		srv := newJWKSServer(t, doc)
		r := jwtResolver(t, Config{JWKS: newTestJWKS(t, JWKSConfig{URL: srv.URL, Client: srv.Client()})})
		for _, kid := range []string{"enc", "rs512"} {
			if _, err := resolve(r, makeToken(t, map[string]any{"alg": "RS256", "kid": kid}, claims(), rsaKey2)); err == nil {
				t.Errorf("token accepted with the JWKS key %q", kid)
			}
		}
		if got, err := resolve(r, makeToken(t, map[string]any{"alg": "RS256", "kid": "sig"}, claims(), rsaKey2)); err != nil || got != "acme" {
			t.Errorf("signing key: %q %v", got, err)
		}
	})

	t.Run("document too large", func(t *testing.T) {
		t.Parallel()
		big := jwksDoc(&rsaKey2.PublicKey)
		big = append(big[:len(big)-1], []byte(`,"pad":"`+strings.Repeat("x", MaxJWKSBytes)+`"}`)...)
		srv := newJWKSServer(t, big)
		cold := jwtResolver(t, Config{JWKS: newTestJWKS(t, JWKSConfig{URL: srv.URL, Client: srv.Client()})})
		_, err := resolve(cold, tok2)
		var te *tenant.Error
		if !errors.As(err, &te) || te.Status != 503 || te.Reason != "keys_unavailable" {
			t.Fatalf("JWKS over %d bytes: %v, want 503 keys_unavailable", MaxJWKSBytes, err)
		}
	})
}

func TestNewJWKSRejectsBadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  JWKSConfig
		want string
	}{
		{name: "no url", cfg: JWKSConfig{}, want: "url: \"\" is not an http(s) URL"},
		{name: "not http", cfg: JWKSConfig{URL: "ftp://issuer.example.com/jwks"}, want: "is not an http(s) URL"},
		{name: "no host", cfg: JWKSConfig{URL: "https:///jwks"}, want: "is not an http(s) URL"},
		{name: "negative timeout", cfg: JWKSConfig{URL: "http://127.0.0.1:1/", Timeout: -time.Second}, want: "timeout: -1s is negative"},
		{name: "negative refresh", cfg: JWKSConfig{URL: "http://127.0.0.1:1/", RefreshInterval: -time.Second}, want: "refreshInterval: -1s is negative"},
		{name: "negative min refresh", cfg: JWKSConfig{URL: "http://127.0.0.1:1/", MinRefresh: -time.Second}, want: "minRefresh: -1s is negative"},
		{name: "every problem", cfg: JWKSConfig{MinRefresh: -time.Second}, want: "minRefresh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewJWKS(t.Context(), tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewJWKS = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	testKeys(t)
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{name: "no keys", cfg: Config{}, want: "no keys"},
		{name: "short hmac secret", cfg: Config{Keys: []Key{{Alg: HS256, Key: []byte("short")}}}, want: "at least 32"},
		{name: "wrong key type", cfg: Config{Keys: []Key{{Alg: RS256, Key: []byte("x")}}}, want: "*rsa.PublicKey"},
		{name: "EC key for RS256", cfg: Config{Keys: []Key{{Alg: RS256, Key: &ecKey.PublicKey}}}, want: "*rsa.PublicKey"},
		{name: "RSA key for ES256", cfg: Config{Keys: []Key{{Alg: ES256, Key: &rsaKey.PublicKey}}}, want: "P-256"},
		{name: "unsupported algorithm", cfg: Config{Keys: []Key{{Alg: "none", Key: hsSecret}}}, want: `unsupported algorithm "none"`},
		{name: "every problem", cfg: Config{Keys: []Key{{Alg: HS256, Key: []byte("short")}, {Alg: "RS512"}}}, want: "keys[1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestParseJWKS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		doc     string
		want    int
		wantErr bool
	}{
		{name: "empty", doc: `{"keys":[]}`, want: 0},
		{name: "skips enc keys", doc: `{"keys":[{"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB"}]}`, want: 0},
		{name: "skips other algs", doc: `{"keys":[{"kty":"RSA","alg":"RS512","n":"AQAB","e":"AQAB"}]}`, want: 0},
		{name: "small RSA refused", doc: `{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}`, wantErr: true},
		{name: "bad EC point", doc: `{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}`, wantErr: true},
		{name: "not json", doc: `[`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			keys, err := ParseJWKS([]byte(tt.doc))
			if (err != nil) != tt.wantErr || (!tt.wantErr && len(keys) != tt.want) {
				t.Fatalf("ParseJWKS = %d keys, %v", len(keys), err)
			}
		})
	}
}
