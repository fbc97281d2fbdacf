//go:build !cellfabric_nonethttp

// The cellfabric_nonethttp build tag leaves out these net/http helpers
// (SignRequest, MessageOf, VerifyRequest, Middleware), so that the Cloudflare
// Worker (cmd/edgeworker) builds without net/http; it signs with Sign.

package edgeauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/textproto"
)

// The header names as http.Header keys them, worked out once:
// http.Header.Set would canonicalise (and so allocate) "X-Tenant-ID" on
// every request.
var (
	tenantKey    = textproto.CanonicalMIMEHeaderKey(TenantHeader)
	signatureKey = textproto.CanonicalMIMEHeaderKey(SignatureHeader)
)

// SignRequest sets TenantHeader (or removes it when tenant is "") and
// SignatureHeader on an outgoing request, replacing any values a client
// sent. Call it after the request's URL and Host are final.
func (s *Signer) SignRequest(r *http.Request, tenant string) {
	if tenant == "" {
		delete(r.Header, tenantKey)
	} else {
		r.Header[tenantKey] = []string{tenant}
	}
	r.Header[signatureKey] = []string{s.Sign(MessageOf(r, tenant))}
}

// MessageOf returns what a signature over r covers: the host is r.Host, or
// r.URL.Host when r.Host is empty (as an http.Client sends it).
func MessageOf(r *http.Request, tenant string) Message {
	host := r.Host
	if host == "" && r.URL != nil {
		host = r.URL.Host
	}
	return Message{Method: r.Method, Host: host, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery, Tenant: tenant}
}

// VerifyRequest verifies an incoming request and returns the tenant it was
// signed for ("" for shared routes).
func (v *Verifier) VerifyRequest(r *http.Request) (string, error) {
	vals := r.Header.Values(SignatureHeader)
	if len(vals) > 1 || len(r.Header.Values(TenantHeader)) > 1 {
		return "", &Error{Reason: ReasonMalformed, Msg: "signature or tenant header repeated"}
	}
	tenant := r.Header.Get(TenantHeader)
	if err := v.Verify(r.Header.Get(SignatureHeader), MessageOf(r, tenant)); err != nil {
		return "", err
	}
	return tenant, nil
}

type ctxKey struct{}

// TenantFromContext returns the tenant a verified request was signed for.
// ok is false when the request did not pass through Middleware.
func TenantFromContext(ctx context.Context) (tenant string, ok bool) {
	tenant, ok = ctx.Value(ctxKey{}).(string)
	return tenant, ok
}

// Middleware lets through only requests with a valid signature, and puts the
// signed tenant in the request context (TenantFromContext). Refused requests
// get 401 with a JSON body {"error": ..., "reason": ...}. onReject, if not
// nil, is called with each refusal (for logs and metrics).
func (v *Verifier) Middleware(next http.Handler, onReject func(r *http.Request, err *Error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tenant, err := v.VerifyRequest(r)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				e = &Error{Reason: ReasonMalformed, Msg: err.Error()}
			}
			if onReject != nil {
				onReject(r, e)
			}
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": e.Error(), "reason": e.Reason})
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, tenant)))
	})
}
