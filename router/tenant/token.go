package tenant

import (
	"context"
	"strings"

	"github.com/cellfabric/cellfabric/fabric"
)

// TokenVerifier checks a bearer token and names its tenant. The jwt mode
// hands it the token of an "Authorization: Bearer" header; router/tenant/jwt
// implements it. Keeping verification behind this interface keeps the
// token libraries (and net/http, for JWKS) out of programs that resolve
// tenants by header, host or path only, such as the edge Worker.
type TokenVerifier interface {
	// Tenant verifies token and returns the tenant id it names, or an
	// *Error (Mode ModeJWT) saying why the token is not trusted: 400
	// bad_token (malformed), 401 token_rejected (does not verify), 403
	// token_no_tenant (valid but names no valid tenant), 503
	// keys_unavailable (the keys cannot be known now). It is called
	// concurrently, and must not put the token in the error.
	Tenant(ctx context.Context, token string) (string, *Error)
}

// fromJWT passes the bearer token, if any, to the verifier. A verifier's
// answer is checked again with fabric.ValidTenantID: an id it returns
// empty or malformed is refused, never passed on to the next mode.
func (r *Resolver) fromJWT(ctx context.Context, h Headers) (string, *Error) {
	if h == nil {
		return "", nil
	}
	auth := h.Get("Authorization")
	if len(auth) < 7 || !strings.EqualFold(auth[:7], "bearer ") {
		return "", nil
	}
	id, err := r.verifier.Tenant(ctx, strings.TrimSpace(auth[7:]))
	if err != nil {
		return "", err
	}
	if !fabric.ValidTenantID(id) {
		return "", &Error{Status: 403, Reason: "token_no_tenant", Mode: ModeJWT, Msg: "the token names no valid tenant id"}
	}
	return id, nil
}
