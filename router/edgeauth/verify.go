package edgeauth

import (
	"crypto/hmac"
	"errors"
	"fmt"
	"time"
)

// Reasons a signature is refused; stable, for logs and metric labels.
const (
	ReasonMissing      = "missing"       // no signature header
	ReasonMalformed    = "malformed"     // the header does not parse
	ReasonUnknownKey   = "unknown_key"   // kid not among the verifier's keys
	ReasonStale        = "stale"         // timestamp outside MaxSkew
	ReasonBadSignature = "bad_signature" // altered request or wrong secret
)

// Error is a refused signature.
type Error struct {
	// Reason is one of the Reason* values.
	Reason string
	// Msg explains it (never with secrets).
	Msg string
}

func (e *Error) Error() string { return "edge signature " + e.Reason + ": " + e.Msg }

// Verifier checks signatures against a set of keys. It is safe for
// concurrent use.
type Verifier struct {
	keys    map[string][]byte
	maxSkew time.Duration
	now     func() time.Time
}

// VerifierOptions tune a Verifier.
type VerifierOptions struct {
	// MaxSkew is how far a signature's time may be from now, either way.
	// Default DefaultMaxSkew.
	MaxSkew time.Duration
	// Now returns the time. Default time.Now.
	Now func() time.Time
}

// NewVerifier returns a verifier accepting any of keys.
func NewVerifier(keys []Key, opts VerifierOptions) (*Verifier, error) {
	if len(keys) == 0 {
		return nil, errors.New("edge verifier: no keys")
	}
	v := &Verifier{keys: map[string][]byte{}, maxSkew: opts.MaxSkew, now: opts.Now}
	if v.maxSkew <= 0 {
		v.maxSkew = DefaultMaxSkew
	}
	if v.now == nil {
		v.now = time.Now
	}
	var errs []error
	for _, k := range keys {
		if err := k.Check(); err != nil {
			errs = append(errs, err)
			continue
		}
		if _, dup := v.keys[k.ID]; dup {
			errs = append(errs, fmt.Errorf("key id %s appears twice", k.ID))
			continue
		}
		v.keys[k.ID] = append([]byte(nil), k.Secret...)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("edge verifier: %w", err)
	}
	return v, nil
}

// Verify checks header (the SignatureHeader value) against m. It returns nil
// or an *Error. m.Epoch is the epoch the request carries (EpochHeader, 0
// when absent): a v1 signature verifies only with epoch 0 and a v2 one only
// with the epoch it covers, so an epoch added to, removed from or changed
// in a signed request is refused (ReasonBadSignature).
func (v *Verifier) Verify(header string, m Message) error {
	if header == "" {
		return &Error{Reason: ReasonMissing, Msg: "no " + SignatureHeader + " header: requests must come through the edge"}
	}
	sig, err := ParseSignature(header)
	if err != nil {
		return &Error{Reason: ReasonMalformed, Msg: "want v1 or v2,kid=<id>,ts=<unix seconds>,sig=<base64url>"}
	}
	secret, ok := v.keys[sig.KeyID]
	if !ok {
		return &Error{Reason: ReasonUnknownKey, Msg: "key " + sig.KeyID + " is not accepted by this cell"}
	}
	now := v.now()
	at := time.Unix(sig.Time, 0)
	if d := now.Sub(at); d > v.maxSkew || d < -v.maxSkew {
		return &Error{Reason: ReasonStale, Msg: fmt.Sprintf("signed at %s, more than %s from this cell's clock", at.UTC().Format(time.RFC3339), v.maxSkew)}
	}
	switch {
	case sig.Epoch && m.Epoch <= 0:
		return &Error{Reason: ReasonBadSignature, Msg: "a v2 signature covers a placement epoch but the request has no " + EpochHeader + " header"}
	case !sig.Epoch && m.Epoch > 0:
		return &Error{Reason: ReasonBadSignature, Msg: "the request has an " + EpochHeader + " header but a v1 signature, which covers no epoch"}
	}
	if !hmac.Equal(sig.MAC, mac(secret, sig.KeyID, sig.Time, m)) {
		return &Error{Reason: ReasonBadSignature, Msg: "the signature does not match the request"}
	}
	return nil
}
