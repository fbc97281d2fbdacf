package jwt

import (
	"context"
	"encoding/json"
	"errors"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router/tenant"
)

// Verifier checks bearer tokens for the jwt mode of a tenant.Resolver and
// names their tenant. It is safe for concurrent use.
type Verifier struct {
	cfg    Config
	parser *gojwt.Parser
}

var _ tenant.TokenVerifier = (*Verifier)(nil)

// New validates cfg (every problem at once) and returns a Verifier.
func New(cfg Config) (*Verifier, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	opts := []gojwt.ParserOption{
		gojwt.WithValidMethods([]string{HS256, RS256, ES256}),
		gojwt.WithJSONNumber(),
		gojwt.WithExpirationRequired(),
		gojwt.WithLeeway(cfg.Leeway),
		gojwt.WithTimeFunc(cfg.Now),
	}
	if cfg.Issuer != "" {
		opts = append(opts, gojwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" {
		opts = append(opts, gojwt.WithAudience(cfg.Audience))
	}
	return &Verifier{cfg: cfg, parser: gojwt.NewParser(opts...)}, nil
}

// Tenant implements tenant.TokenVerifier: it verifies token (form,
// algorithm, signature, exp, nbf, iss, aud) and returns its tenant claim.
func (v *Verifier) Tenant(ctx context.Context, token string) (string, *tenant.Error) {
	if len(token) > MaxTokenBytes {
		return "", malformed("longer than 8 KiB", nil)
	}
	claims := gojwt.MapClaims{}
	if t, err := v.parser.ParseWithClaims(token, claims, v.keyfunc(ctx)); err != nil {
		return "", refusal(err, t, claims)
	}
	if e := checkDates(claims); e != nil {
		return "", e
	}
	raw, ok := claims[v.cfg.Claim]
	if !ok {
		return "", &tenant.Error{Status: 403, Reason: "token_no_tenant", Mode: tenant.ModeJWT, Msg: "the token is valid but has no " + v.cfg.Claim + " claim"}
	}
	id, ok := raw.(string)
	if !ok || !fabric.ValidTenantID(id) {
		return "", &tenant.Error{Status: 403, Reason: "token_no_tenant", Mode: tenant.ModeJWT, Msg: "the token's " + v.cfg.Claim + " claim is not a valid tenant id"}
	}
	return id, nil
}

// Reasons the key function refuses a token for; refusal maps them.
var (
	errCrit      = errors.New("critical header extensions are not supported")
	errKidType   = errors.New("kid is not a string")
	errNoKey     = errors.New("no key of the token's algorithm and kid")
	acceptedAlgs = map[string]bool{HS256: true, RS256: true, ES256: true}
)

// keyfunc hands golang-jwt the keys that may verify t: the static keys and
// JWKS keys of t's algorithm (the key decides the algorithm, so an HS256
// token is never checked with a public key, nor an RS256 token with an EC
// key) whose id is t's kid, or any when either has none.
func (v *Verifier) keyfunc(ctx context.Context) gojwt.Keyfunc {
	return func(t *gojwt.Token) (any, error) {
		if _, ok := t.Header["crit"]; ok {
			return nil, errCrit
		}
		var kid string
		if raw, ok := t.Header["kid"]; ok {
			if kid, ok = raw.(string); !ok {
				return nil, errKidType
			}
		}
		alg := t.Method.Alg()
		var set gojwt.VerificationKeySet
		for _, k := range v.cfg.Keys {
			if k.Alg == alg && (k.ID == "" || kid == "" || k.ID == kid) {
				set.Keys = append(set.Keys, k.Key)
			}
		}
		if v.cfg.JWKS != nil {
			more, err := v.cfg.JWKS.keys(ctx, t)
			if err != nil && len(set.Keys) == 0 {
				return nil, err
			}
			for _, k := range more {
				if k.Alg == alg {
					set.Keys = append(set.Keys, k.Key)
				}
			}
		}
		if len(set.Keys) == 0 {
			return nil, errNoKey
		}
		return set, nil
	}
}

func malformed(msg string, err error) *tenant.Error {
	return &tenant.Error{Status: 400, Reason: "bad_token", Mode: tenant.ModeJWT, Msg: "malformed bearer token: " + msg, Err: err}
}

func rejected(msg string, err error) *tenant.Error {
	return &tenant.Error{Status: 401, Reason: "token_rejected", Mode: tenant.ModeJWT, Msg: "bearer token rejected: " + msg, Err: err}
}

// refusal turns a golang-jwt error into the package's statuses and stable
// messages. Neither contains the token: golang-jwt's errors say which step
// failed, not what the token held.
func refusal(err error, t *gojwt.Token, claims gojwt.MapClaims) *tenant.Error {
	algOK := t != nil && t.Method != nil && acceptedAlgs[t.Method.Alg()]
	switch {
	case errors.Is(err, errKeysUnavailable):
		return &tenant.Error{Status: 503, Reason: "keys_unavailable", Mode: tenant.ModeJWT, Msg: "the keys to verify the token cannot be fetched now; retry later", Err: err}
	case errors.Is(err, errKidType):
		return malformed("the header's kid is not a string", err)
	case errors.Is(err, gojwt.ErrTokenMalformed):
		return malformed("want three dot-separated parts of unpadded base64url, header and payload JSON objects (JWS compact form)", err)
	case errors.Is(err, errCrit):
		return rejected("critical header extensions are not supported", err)
	case (errors.Is(err, gojwt.ErrTokenSignatureInvalid) || errors.Is(err, gojwt.ErrTokenUnverifiable)) && !algOK:
		// golang-jwt refuses alg none, unknown algorithms and those not in
		// WithValidMethods before it looks for a key.
		return rejected("the token's algorithm is not accepted; want HS256, RS256 or ES256", err)
	case errors.Is(err, errNoKey), errors.Is(err, gojwt.ErrTokenSignatureInvalid), errors.Is(err, gojwt.ErrTokenUnverifiable):
		return rejected("signature does not verify with any accepted key", err)
	case errors.Is(err, gojwt.ErrTokenRequiredClaimMissing):
		if _, ok := claims["exp"]; !ok {
			return rejected("no exp claim: tokens must expire", err)
		}
		return rejected("a required iss or aud claim is missing", err)
	case errors.Is(err, gojwt.ErrInvalidType):
		return rejected("registered claims (exp, nbf, iss, aud) have the wrong types", err)
	case errors.Is(err, gojwt.ErrTokenExpired):
		return rejected("expired", err)
	case errors.Is(err, gojwt.ErrTokenNotValidYet):
		return rejected("not valid yet (nbf)", err)
	case errors.Is(err, gojwt.ErrTokenInvalidIssuer):
		return rejected("wrong issuer", err)
	case errors.Is(err, gojwt.ErrTokenInvalidAudience):
		return rejected("wrong audience", err)
	}
	return rejected("not valid", err)
}

// checkDates keeps the NumericDate rule golang-jwt leaves open: exp and nbf
// must lie between 1970 and year 5138, so that a huge value cannot wrap
// around in the conversion to a time.
func checkDates(claims gojwt.MapClaims) *tenant.Error {
	for _, name := range []string{"exp", "nbf"} {
		raw, ok := claims[name]
		if !ok {
			continue
		}
		n, ok := raw.(json.Number)
		if !ok {
			return rejected(name+" is not a number", nil)
		}
		if f, err := n.Float64(); err != nil || f < 0 || f > 1e11 {
			return rejected(name+" is out of range", nil)
		}
	}
	return nil
}
