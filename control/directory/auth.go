package directory

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/cellfabric/cellfabric/router/edgeauth"
)

// The control API is authenticated with router/edgeauth unchanged, under a
// control key of its own: the client signs the request (method, host,
// path, query; no tenant) with an edgeauth.Signer of the control key and
// puts the SHA-256 of the body in the query as body=<lowercase hex>, so the
// signature covers the body too. The Worker reads its control key from the
// bindings CONTROL_KEY and CONTROL_KEY_ID.

// BodyParam is the query parameter carrying the body's SHA-256.
const BodyParam = "body"

// Reasons a control request is refused with 401 (AuthError.Reason).
const (
	AuthUnsigned     = "unsigned"            // no signature header
	AuthMalformed    = "malformed_signature" // the header does not parse
	AuthUnknownKey   = "unknown_key"         // signed with a key this API does not accept (the edge key is never one)
	AuthExpired      = "expired_signature"   // signed too long ago (or in the future)
	AuthBadSignature = "bad_signature"       // the signature does not match the request: altered, or the wrong secret
	AuthBodyMismatch = "body_mismatch"       // the body is not the one signed, or no body hash was signed
)

// AuthError is a control request that failed verification. Its message
// says what is wrong and never contains a secret.
type AuthError struct {
	Reason string
	Msg    string
}

func (e *AuthError) Error() string { return "control request refused (" + e.Reason + "): " + e.Msg }

// BodyHash is the body's SHA-256 as the body parameter carries it.
func BodyHash(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// SignControl signs a control request: it returns the value of
// edgeauth.SignatureHeader and the raw query to send, which is query
// (may be nil) with body=<SHA-256 of body> added. host is the host the
// request is sent to; path its escaped path.
func SignControl(s *edgeauth.Signer, method, host, path string, query url.Values, body []byte) (header, rawQuery string) {
	q := url.Values{}
	for k, v := range query {
		q[k] = append([]string(nil), v...)
	}
	q.Set(BodyParam, BodyHash(body))
	rawQuery = q.Encode()
	header = s.Sign(edgeauth.Message{Method: method, Host: host, Path: path, Query: rawQuery})
	return header, rawQuery
}

// VerifyControl checks a control request as received: the signature over
// method, host, path and the raw query (verifier holds the control keys),
// and that the query's body hash is the body's. It returns nil or an
// *AuthError. A nil verifier refuses every request.
func VerifyControl(v *edgeauth.Verifier, method, host, path, rawQuery, header string, body []byte) error {
	if v == nil {
		return &AuthError{Reason: AuthUnknownKey, Msg: "this directory has no control key configured, so it accepts no request; set its control key (CONTROL_KEY and CONTROL_KEY_ID)"}
	}
	err := v.Verify(header, edgeauth.Message{Method: method, Host: host, Path: path, Query: rawQuery})
	var ee *edgeauth.Error
	switch {
	case err == nil:
	case errors.As(err, &ee):
		return controlAuthError(ee)
	default:
		return &AuthError{Reason: AuthBadSignature, Msg: err.Error()}
	}
	q, perr := url.ParseQuery(rawQuery)
	got := q[BodyParam]
	switch {
	case perr != nil:
		return &AuthError{Reason: AuthBodyMismatch, Msg: "the query does not parse, so its body hash cannot be read; sign the request with SignControl"}
	case len(got) != 1:
		return &AuthError{Reason: AuthBodyMismatch, Msg: fmt.Sprintf("the query must carry the body's SHA-256 once as %s=<hex>, it carries it %d times; sign the request with SignControl", BodyParam, len(got))}
	}
	want := BodyHash(body)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(got[0])), []byte(want)) != 1 {
		return &AuthError{Reason: AuthBodyMismatch, Msg: "the body is not the one that was signed (its SHA-256 differs from the query's body hash): send the body as signed"}
	}
	return nil
}

func controlAuthError(e *edgeauth.Error) *AuthError {
	switch e.Reason {
	case edgeauth.ReasonMissing:
		return &AuthError{Reason: AuthUnsigned, Msg: "the request has no " + edgeauth.SignatureHeader + " header: control requests are signed with the control key (cellfabric tenants --key-file, or CELLFABRIC_CONTROL_KEY)"}
	case edgeauth.ReasonMalformed:
		return &AuthError{Reason: AuthMalformed, Msg: "the " + edgeauth.SignatureHeader + " header does not parse: want v1,kid=<id>,ts=<unix seconds>,sig=<base64url>"}
	case edgeauth.ReasonUnknownKey:
		return &AuthError{Reason: AuthUnknownKey, Msg: "the request is signed with a key id this directory does not accept as a control key (the edge key never is one): sign with the control key"}
	case edgeauth.ReasonStale:
		return &AuthError{Reason: AuthExpired, Msg: "the signature's time is too far from this directory's clock (more than the allowed skew, 60 s by default): check the client's clock, and sign each request when sending it"}
	default:
		return &AuthError{Reason: AuthBadSignature, Msg: "the signature does not match the request: it was altered after signing, or signed with another secret for this key id (the edge key is never a control key)"}
	}
}

// CheckKeysDiffer refuses control keys that share a secret with an edge
// key: a control key must be separate, so that whoever can sign requests
// to cells cannot write the directory, and the other way round. The error
// names the key ids, never a secret.
func CheckKeysDiffer(control, edge []edgeauth.Key) error {
	var errs []error
	for _, c := range control {
		for _, e := range edge {
			if subtle.ConstantTimeCompare(c.Secret, e.Secret) == 1 {
				errs = append(errs, fmt.Errorf("control key %s has the same secret as edge key %s: generate a separate control key (e.g. openssl rand -base64 32)", c.ID, e.ID))
			}
		}
	}
	return errors.Join(errs...)
}
