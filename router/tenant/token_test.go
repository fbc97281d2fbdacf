package tenant

import (
	"context"
	"errors"
	"net/http"
	"testing"
)

// fakeVerifier answers every token with its fields and records the token.
type fakeVerifier struct {
	id   string
	err  *Error
	seen *string
}

func (f fakeVerifier) Tenant(_ context.Context, token string) (string, *Error) {
	*f.seen = token
	return f.id, f.err
}

// TestTokenVerifier: the jwt mode hands the bearer token to the verifier and
// trusts only a valid id back; a refusal never falls through to the header.
func TestTokenVerifier(t *testing.T) {
	t.Parallel()
	refused := &Error{Status: 401, Reason: "token_rejected", Mode: ModeJWT, Msg: "bearer token rejected: expired"}
	tests := []struct {
		name       string
		verifier   fakeVerifier
		auth       string
		wantToken  string
		wantTenant string
		wantMode   Mode
		wantStatus int
		wantReason string
	}{
		{name: "verified", verifier: fakeVerifier{id: "acme"}, auth: "Bearer tok", wantToken: "tok", wantTenant: "acme", wantMode: ModeJWT},
		{name: "scheme any case, spaces trimmed", verifier: fakeVerifier{id: "acme"}, auth: "BEARER  tok ", wantToken: "tok", wantTenant: "acme", wantMode: ModeJWT},
		{name: "no bearer falls through", verifier: fakeVerifier{id: "acme"}, auth: "Basic dXNlcjpwYXNz", wantTenant: "hooli", wantMode: ModeHeader},
		{name: "refusal passed on", verifier: fakeVerifier{err: refused}, auth: "Bearer tok", wantToken: "tok", wantStatus: 401, wantReason: "token_rejected"},
		{name: "invalid id refused", verifier: fakeVerifier{id: "ACME/../x"}, auth: "Bearer tok", wantToken: "tok", wantStatus: 403, wantReason: "token_no_tenant"},
		{name: "empty id refused", verifier: fakeVerifier{}, auth: "Bearer tok", wantToken: "tok", wantStatus: 403, wantReason: "token_no_tenant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var seen string
			tt.verifier.seen = &seen
			r, err := New(Config{Order: []Mode{ModeJWT, ModeHeader}, Verifier: tt.verifier})
			if err != nil {
				t.Fatal(err)
			}
			res, err := r.Resolve(context.Background(), Facts{Path: "/", Header: http.Header{"Authorization": {tt.auth}, "X-Tenant-Id": {"hooli"}}})
			if seen != tt.wantToken {
				t.Errorf("verifier got token %q, want %q", seen, tt.wantToken)
			}
			if tt.wantStatus != 0 {
				var te *Error
				if !errors.As(err, &te) || te.Status != tt.wantStatus || te.Reason != tt.wantReason || te.Mode != ModeJWT {
					t.Fatalf("err = %v, want %d %s", err, tt.wantStatus, tt.wantReason)
				}
				return
			}
			if err != nil || res.Tenant != tt.wantTenant || res.Mode != tt.wantMode {
				t.Fatalf("tenant %q via %q (err %v), want %q via %q", res.Tenant, res.Mode, err, tt.wantTenant, tt.wantMode)
			}
		})
	}
}
