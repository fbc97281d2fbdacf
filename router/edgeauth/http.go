//go:build !cellfabric_nonethttp

// The cellfabric_nonethttp build tag leaves out these net/http helpers
// (SignRequest, SignRequestEpoch, MessageOf, VerifyRequest, Check,
// Middleware and the context accessors), so that the Cloudflare
// Worker (cmd/edgeworker) builds without net/http; it signs with Sign.

package edgeauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/textproto"
	"strconv"
)

// The header names as http.Header keys them, worked out once:
// http.Header.Set would canonicalise (and so allocate) "X-Tenant-ID" on
// every request.
var (
	tenantKey    = textproto.CanonicalMIMEHeaderKey(TenantHeader)
	signatureKey = textproto.CanonicalMIMEHeaderKey(SignatureHeader)
	epochKey     = textproto.CanonicalMIMEHeaderKey(EpochHeader)
)

// SignRequest signs an outgoing request without a placement epoch (v1): it
// is SignRequestEpoch with epoch 0.
func (s *Signer) SignRequest(r *http.Request, tenant string) {
	s.SignRequestEpoch(r, tenant, 0)
}

// SignRequestEpoch sets TenantHeader (or removes it when tenant is ""),
// EpochHeader (or removes it when epoch is not positive) and
// SignatureHeader (v2 with an epoch, v1 without) on an outgoing request,
// replacing any values a client sent. Call it after the request's URL and
// Host are final.
func (s *Signer) SignRequestEpoch(r *http.Request, tenant string, epoch int64) {
	if tenant == "" {
		delete(r.Header, tenantKey)
	} else {
		r.Header[tenantKey] = []string{tenant}
	}
	m := MessageOf(r, tenant)
	if epoch > 0 {
		m.Epoch = epoch
		r.Header[epochKey] = []string{strconv.FormatInt(epoch, 10)}
	} else {
		delete(r.Header, epochKey)
	}
	r.Header[signatureKey] = []string{s.Sign(m)}
}

// MessageOf returns what a signature over r covers, but for the epoch
// (Epoch is 0; VerifyRequest reads it from EpochHeader): the host is
// r.Host, or r.URL.Host when r.Host is empty (as an http.Client sends it).
func MessageOf(r *http.Request, tenant string) Message {
	host := r.Host
	if host == "" && r.URL != nil {
		host = r.URL.Host
	}
	return Message{Method: r.Method, Host: host, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery, Tenant: tenant}
}

// Verified is what a verified request was signed for.
type Verified struct {
	// Tenant is the tenant the edge resolved, "" for shared routes.
	Tenant string
	// Epoch is the placement epoch the edge decided on (EpochHeader,
	// covered by a v2 signature), 0 when the request carries none (v1: a
	// tenant of the registry, a shared route, or an edge that predates
	// epochs).
	Epoch int64
}

// VerifyRequest verifies an incoming request and returns the tenant it was
// signed for ("" for shared routes). Check returns the epoch as well.
func (v *Verifier) VerifyRequest(r *http.Request) (string, error) {
	got, err := v.Check(r)
	return got.Tenant, err
}

// Check verifies an incoming request and returns what it was signed for.
// A repeated signature, tenant or epoch header, or an epoch header that
// ParseEpoch refuses, is ReasonMalformed; an epoch header with a v1
// signature, or a v2 signature without one, is ReasonBadSignature.
func (v *Verifier) Check(r *http.Request) (Verified, error) {
	if len(r.Header.Values(SignatureHeader)) > 1 || len(r.Header.Values(TenantHeader)) > 1 || len(r.Header.Values(EpochHeader)) > 1 {
		return Verified{}, &Error{Reason: ReasonMalformed, Msg: "signature, tenant or epoch header repeated"}
	}
	got := Verified{Tenant: r.Header.Get(TenantHeader)}
	if e := r.Header.Values(EpochHeader); len(e) == 1 {
		n, err := ParseEpoch(e[0])
		if err != nil {
			return Verified{}, &Error{Reason: ReasonMalformed, Msg: err.Error()}
		}
		got.Epoch = n
	}
	m := MessageOf(r, got.Tenant)
	m.Epoch = got.Epoch
	if err := v.Verify(r.Header.Get(SignatureHeader), m); err != nil {
		return Verified{}, err
	}
	return got, nil
}

type ctxKey struct{}

// TenantFromContext returns the tenant a verified request was signed for.
// ok is false when the request did not pass through Middleware.
func TenantFromContext(ctx context.Context) (tenant string, ok bool) {
	got, ok := VerifiedFromContext(ctx)
	return got.Tenant, ok
}

// EpochFromContext returns the placement epoch a verified request was
// signed with (0: none). ok is false when the request did not pass through
// Middleware.
func EpochFromContext(ctx context.Context) (epoch int64, ok bool) {
	got, ok := VerifiedFromContext(ctx)
	return got.Epoch, ok
}

// VerifiedFromContext returns what a verified request was signed for. ok
// is false when the request did not pass through Middleware.
func VerifiedFromContext(ctx context.Context) (Verified, bool) {
	got, ok := ctx.Value(ctxKey{}).(Verified)
	return got, ok
}

// Middleware lets through only requests with a valid signature, and puts
// what they were signed for in the request context (VerifiedFromContext,
// TenantFromContext, EpochFromContext). Refused requests get 401 with a
// JSON body {"error": ..., "reason": ...}. onReject, if not nil, is called
// with each refusal (for logs and metrics).
func (v *Verifier) Middleware(next http.Handler, onReject func(r *http.Request, err *Error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, err := v.Check(r)
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
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, got)))
	})
}
