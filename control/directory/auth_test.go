package directory

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router/edgeauth"
)

var (
	controlKey = edgeauth.Key{ID: "ctl1", Secret: []byte("control-secret-0123456789")}
	edgeKey    = edgeauth.Key{ID: "k1", Secret: []byte("edge-secret-0123456789abc")}
)

func signer(t testing.TB, k edgeauth.Key, now func() time.Time) *edgeauth.Signer {
	t.Helper()
	s, err := edgeauth.NewSigner(k, now)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifyControl(t *testing.T) {
	t.Parallel()
	c := newClock()
	v, err := edgeauth.NewVerifier([]edgeauth.Key{controlKey}, edgeauth.VerifierOptions{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"cell":"aws-use1"}`)
	const host, path = "edge.example.com", BasePath + "/tenants/acme"
	sign := func(k edgeauth.Key, at time.Time, q url.Values) (string, string) {
		return SignControl(signer(t, k, func() time.Time { return at }), "PUT", host, path, q, body)
	}
	good, goodQuery := sign(controlKey, c.Now(), url.Values{"ifEpoch": {"3"}})
	if !strings.Contains(goodQuery, "body="+BodyHash(body)) || !strings.Contains(goodQuery, "ifEpoch=3") {
		t.Fatalf("query %q", goodQuery)
	}
	sameIDEdgeKey := edgeauth.Key{ID: controlKey.ID, Secret: edgeKey.Secret}
	tests := []struct {
		name           string
		header, query  string
		method, host   string
		body           []byte
		reason         string
		mustNotContain string
	}{
		{name: "signed", header: good, query: goodQuery},
		{name: "unsigned", header: "", query: goodQuery, reason: AuthUnsigned},
		{name: "malformed", header: "v1,kid=ctl1", query: goodQuery, reason: AuthMalformed},
		{name: "forged", header: good[:len(good)-4] + "AAAA", query: goodQuery, reason: AuthBadSignature},
		{name: "wrong key id", header: func() string {
			h, _ := sign(edgeauth.Key{ID: "other", Secret: controlKey.Secret}, c.Now(), nil)
			return h
		}(), query: goodQuery, reason: AuthUnknownKey},
		{name: "edge key with its own id", header: func() string { h, _ := sign(edgeKey, c.Now(), url.Values{"ifEpoch": {"3"}}); return h }(), query: goodQuery, reason: AuthUnknownKey, mustNotContain: string(edgeKey.Secret)},
		{name: "edge key under the control key's id", header: func() string { h, _ := sign(sameIDEdgeKey, c.Now(), url.Values{"ifEpoch": {"3"}}); return h }(), query: goodQuery, reason: AuthBadSignature, mustNotContain: string(controlKey.Secret)},
		{name: "body altered after signing", header: good, query: goodQuery, body: []byte(`{"cell":"gcp-usc1"}`), reason: AuthBodyMismatch},
		{name: "query altered", header: good, query: strings.Replace(goodQuery, "ifEpoch=3", "ifEpoch=4", 1), reason: AuthBadSignature},
		{name: "body hash removed", header: func() string {
			return signer(t, controlKey, c.Now).Sign(edgeauth.Message{Method: "PUT", Host: host, Path: path, Query: "ifEpoch=3"})
		}(), query: "ifEpoch=3", reason: AuthBodyMismatch},
		{name: "other method", header: good, query: goodQuery, method: "DELETE", reason: AuthBadSignature},
		{name: "other host", header: good, query: goodQuery, host: "evil.example.com", reason: AuthBadSignature},
		{name: "expired", header: func() string {
			h, _ := sign(controlKey, c.Now().Add(-5*time.Minute), url.Values{"ifEpoch": {"3"}})
			return h
		}(), query: goodQuery, reason: AuthExpired},
		{name: "from the future", header: func() string {
			h, _ := sign(controlKey, c.Now().Add(5*time.Minute), url.Values{"ifEpoch": {"3"}})
			return h
		}(), query: goodQuery, reason: AuthExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			method, h, b := "PUT", host, body
			if tt.method != "" {
				method = tt.method
			}
			if tt.host != "" {
				h = tt.host
			}
			if tt.body != nil {
				b = tt.body
			}
			err := VerifyControl(v, method, h, path, tt.query, tt.header, b)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("VerifyControl: %v", err)
				}
				return
			}
			var ae *AuthError
			if !errors.As(err, &ae) || ae.Reason != tt.reason {
				t.Fatalf("VerifyControl = %v, want reason %s", err, tt.reason)
			}
			for _, secret := range []string{string(controlKey.Secret), string(edgeKey.Secret)} {
				if strings.Contains(err.Error(), secret) {
					t.Fatal("the error shows a secret")
				}
			}
		})
	}
	if err := VerifyControl(nil, "GET", host, path, goodQuery, good, body); err == nil {
		t.Error("a nil verifier accepted a request")
	}
}

func TestCheckKeysDiffer(t *testing.T) {
	t.Parallel()
	if err := CheckKeysDiffer([]edgeauth.Key{controlKey}, []edgeauth.Key{edgeKey}); err != nil {
		t.Fatalf("different keys: %v", err)
	}
	same := edgeauth.Key{ID: "ctl2", Secret: edgeKey.Secret}
	err := CheckKeysDiffer([]edgeauth.Key{controlKey, same}, []edgeauth.Key{edgeKey})
	if err == nil || !strings.Contains(err.Error(), "control key ctl2 has the same secret as edge key k1") {
		t.Fatalf("CheckKeysDiffer = %v", err)
	}
	if strings.Contains(err.Error(), string(edgeKey.Secret)) {
		t.Fatal("the error shows the secret")
	}
}
