package edgeauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
)

// Header names.
const (
	// SignatureHeader carries the signature.
	SignatureHeader = "X-Cellfabric-Signature"
	// TenantHeader carries the tenant the edge resolved.
	TenantHeader = "X-Tenant-ID"
	// EpochHeader carries the placement epoch of the decision the edge
	// forwarded, when it is not zero (signature v2 only).
	EpochHeader = "X-Tenant-Epoch"
)

// DefaultMaxSkew is how far a signature's time may be from the verifier's
// clock, either way.
const DefaultMaxSkew = 60 * time.Second

const (
	version         = "v1"
	versionEpoch    = "v2"
	canonicalHead   = "cellfabric-edge-v1"
	canonicalHeadV2 = "cellfabric-edge-v2"
	// MaxHeaderBytes bounds the signature header a verifier parses.
	MaxHeaderBytes = 256
)

// Message is what a signature covers.
type Message struct {
	// Method is the HTTP method as sent.
	Method string
	// Host is the host the request is sent to; it is lower-cased and its
	// port dropped.
	Host string
	// Path is the escaped request path (URL.EscapedPath()); "" means "/".
	Path string
	// Query is the raw query without "?".
	Query string
	// Tenant is the tenant id, "" for none.
	Tenant string
	// Epoch is the placement epoch of the tenant's entry the edge decided
	// on. Zero (a tenant of the registry, a shared route) signs v1, as
	// before epochs existed; a positive epoch signs v2, which covers it.
	// A negative epoch is no epoch (signed as zero).
	Epoch int64
}

// v2 reports whether m is signed with the epoch (v2).
func (m *Message) v2() bool { return m.Epoch > 0 }

// canonical writes the string the HMAC is computed over (see the package
// documentation).
func canonical(kid string, ts int64, m Message) []byte {
	path := m.Path
	if path == "" {
		path = "/"
	}
	lines := []string{canonicalHead, kid, strconv.FormatInt(ts, 10), m.Method, normalHost(m.Host), path, m.Query, m.Tenant}
	if m.v2() {
		lines[0] = canonicalHeadV2
		lines = append(lines, strconv.FormatInt(m.Epoch, 10))
	}
	return []byte(strings.Join(lines, "\n"))
}

// normalHost lower-cases host and drops its port.
func normalHost(h string) string {
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.Contains(h[i:], "]") {
		h = h[:i]
	}
	return strings.ToLower(h)
}

func mac(secret []byte, kid string, ts int64, m Message) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write(canonical(kid, ts, m))
	return h.Sum(nil)
}

// appendCanonical appends what canonical returns to dst, without the
// intermediate string.
func appendCanonical(dst []byte, kid string, ts int64, m Message) []byte {
	path := m.Path
	if path == "" {
		path = "/"
	}
	if m.v2() {
		dst = append(dst, canonicalHeadV2...)
	} else {
		dst = append(dst, canonicalHead...)
	}
	dst = append(append(dst, '\n'), kid...)
	dst = strconv.AppendInt(append(dst, '\n'), ts, 10)
	dst = append(append(dst, '\n'), m.Method...)
	dst = appendNormalHost(append(dst, '\n'), m.Host)
	dst = append(append(dst, '\n'), path...)
	dst = append(append(dst, '\n'), m.Query...)
	dst = append(append(dst, '\n'), m.Tenant...)
	if m.v2() {
		dst = strconv.AppendInt(append(dst, '\n'), m.Epoch, 10)
	}
	return dst
}

// appendNormalHost appends normalHost(h) to dst.
func appendNormalHost(dst []byte, h string) []byte {
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.Contains(h[i:], "]") {
		h = h[:i]
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if c >= 0x80 { // rare: let strings.ToLower handle Unicode
			return append(dst, strings.ToLower(h)...)
		}
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// macState is one HMAC in use: keyed once, reset for each message (HMAC's
// Reset restores the keyed state without hashing the key again), with
// room for the canonical string and the sum.
type macState struct {
	h   hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

// Signer signs requests with one key. It is safe for concurrent use.
type Signer struct {
	key  Key
	now  func() time.Time
	macs sync.Pool // *macState keyed with key.Secret
}

// NewSigner returns a signer using key. now may be nil (time.Now).
func NewSigner(key Key, now func() time.Time) (*Signer, error) {
	if err := key.Check(); err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	s := &Signer{key: Key{ID: key.ID, Secret: append([]byte(nil), key.Secret...)}, now: now}
	s.macs.New = func() any { return &macState{h: hmac.New(sha256.New, s.key.Secret), buf: make([]byte, 0, 256)} }
	return s, nil
}

// KeyID returns the id of the signing key.
func (s *Signer) KeyID() string { return s.key.ID }

// Sign returns the value of SignatureHeader for m, stamped now.
func (s *Signer) Sign(m Message) string {
	var b [128]byte
	return string(s.AppendSign(b[:0], m))
}

// AppendSign appends what Sign returns to dst: the same header value,
// computed with a keyed HMAC from a pool and no allocation of its own
// once dst has room (about 100 bytes with a short key id).
func (s *Signer) AppendSign(dst []byte, m Message) []byte {
	ts := s.now().Unix()
	st := s.macs.Get().(*macState)
	st.buf = appendCanonical(st.buf[:0], s.key.ID, ts, m)
	st.h.Reset()
	st.h.Write(st.buf)
	sum := st.h.Sum(st.sum[:0])
	if m.v2() {
		dst = append(dst, versionEpoch+",kid="...)
	} else {
		dst = append(dst, version+",kid="...)
	}
	dst = append(dst, s.key.ID...)
	dst = strconv.AppendInt(append(dst, ",ts="...), ts, 10)
	dst = base64.RawURLEncoding.AppendEncode(append(dst, ",sig="...), sum)
	if cap(st.buf) <= 4<<10 { // a huge path is not kept in the pool
		s.macs.Put(st)
	}
	return dst
}

// Signature is a parsed SignatureHeader.
type Signature struct {
	// Epoch is true for a v2 signature, which covers a placement epoch
	// (EpochHeader); false for v1, which covers none.
	Epoch bool
	KeyID string
	Time  int64
	MAC   []byte
}

// ErrMalformed is returned (wrapped) by ParseSignature.
var ErrMalformed = errors.New("malformed signature header")

// ParseSignature parses a SignatureHeader value:
// "v1,kid=<id>,ts=<unix seconds>,sig=<base64url>", fields in that order,
// or the same starting "v2".
func ParseSignature(h string) (Signature, error) {
	var sig Signature
	// base64's decoder skips line breaks: refuse them here, so that only
	// the exact header a signer wrote parses.
	if len(h) > MaxHeaderBytes || strings.ContainsAny(h, "\r\n") {
		return sig, ErrMalformed
	}
	parts := strings.Split(h, ",")
	if len(parts) != 4 || (parts[0] != version && parts[0] != versionEpoch) {
		return sig, ErrMalformed
	}
	kid, ok1 := strings.CutPrefix(parts[1], "kid=")
	ts, ok2 := strings.CutPrefix(parts[2], "ts=")
	mac64, ok3 := strings.CutPrefix(parts[3], "sig=")
	if !ok1 || !ok2 || !ok3 || !fabric.ValidKeyID(kid) {
		return sig, ErrMalformed
	}
	if len(ts) == 0 || len(ts) > 12 || ts[0] == '+' || ts[0] == '-' {
		return sig, ErrMalformed
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return sig, ErrMalformed
	}
	m, err := base64.RawURLEncoding.Strict().DecodeString(mac64)
	if err != nil || len(m) != sha256.Size {
		return sig, ErrMalformed
	}
	return Signature{Epoch: parts[0] == versionEpoch, KeyID: kid, Time: t, MAC: m}, nil
}

// ErrBadEpoch is returned by ParseEpoch.
var ErrBadEpoch = errors.New("malformed " + EpochHeader + " header: want a positive decimal integer without sign or leading zeros")

// ParseEpoch parses an EpochHeader value: a positive decimal integer as
// strconv.FormatInt writes it (no sign, no leading zeros, no spaces), the
// only form a signer sends. Anything else is ErrBadEpoch; so is "0",
// which a signer never sends (no epoch means no header).
func ParseEpoch(s string) (int64, error) {
	if s == "" || len(s) > 19 || s[0] < '1' || s[0] > '9' {
		return 0, ErrBadEpoch
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, ErrBadEpoch
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, ErrBadEpoch
	}
	return n, nil
}
