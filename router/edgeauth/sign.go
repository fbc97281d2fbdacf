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
)

// DefaultMaxSkew is how far a signature's time may be from the verifier's
// clock, either way.
const DefaultMaxSkew = 60 * time.Second

const (
	version       = "v1"
	canonicalHead = "cellfabric-edge-v1"
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
}

// canonical writes the string the HMAC is computed over (see the package
// documentation).
func canonical(kid string, ts int64, m Message) []byte {
	path := m.Path
	if path == "" {
		path = "/"
	}
	var b strings.Builder
	b.Grow(64 + len(kid) + len(m.Method) + len(m.Host) + len(path) + len(m.Query) + len(m.Tenant))
	for i, s := range []string{canonicalHead, kid, strconv.FormatInt(ts, 10), m.Method, normalHost(m.Host), path, m.Query, m.Tenant} {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(s)
	}
	return []byte(b.String())
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
	dst = append(dst, canonicalHead...)
	dst = append(append(dst, '\n'), kid...)
	dst = strconv.AppendInt(append(dst, '\n'), ts, 10)
	dst = append(append(dst, '\n'), m.Method...)
	dst = appendNormalHost(append(dst, '\n'), m.Host)
	dst = append(append(dst, '\n'), path...)
	dst = append(append(dst, '\n'), m.Query...)
	return append(append(dst, '\n'), m.Tenant...)
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
	dst = append(dst, version+",kid="...)
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
	KeyID string
	Time  int64
	MAC   []byte
}

// ErrMalformed is returned (wrapped) by ParseSignature.
var ErrMalformed = errors.New("malformed signature header")

// ParseSignature parses a SignatureHeader value:
// "v1,kid=<id>,ts=<unix seconds>,sig=<base64url>", fields in that order.
func ParseSignature(h string) (Signature, error) {
	var sig Signature
	if len(h) > MaxHeaderBytes {
		return sig, ErrMalformed
	}
	parts := strings.Split(h, ",")
	if len(parts) != 4 || parts[0] != version {
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
	return Signature{KeyID: kid, Time: t, MAC: m}, nil
}
