package edgeauth

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
)

// FuzzSignatureHeader: any header value parses or fails cleanly, a parsed
// one re-encodes to itself, and only the real signature verifies.
func FuzzSignatureHeader(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	s, _ := NewSigner(k1, clockAt(now))
	m := Message{Method: "GET", Host: "cell.example.com", Path: "/x", Query: "a=1", Tenant: "acme"}
	good := s.Sign(m)
	f.Add(good)
	f.Add("v1,kid=k1,ts=1800000000,sig=")
	f.Add("v2,kid=k1,ts=1,sig=AAAA")
	f.Add("v1,kid=,ts=-1,sig=AA")
	f.Add(strings.Repeat("v1,", 100))
	v, _ := NewVerifier([]Key{k1, k2}, VerifierOptions{Now: clockAt(now)})
	f.Fuzz(func(t *testing.T, h string) {
		sig, err := ParseSignature(h)
		if err == nil {
			if !fabric.ValidKeyID(sig.KeyID) || len(sig.MAC) != 32 {
				t.Fatalf("parsed bad signature %+v", sig)
			}
		}
		err = v.Verify(h, m)
		if err == nil && h != good {
			t.Fatalf("header %q verified but is not the signed one", h)
		}
		var e *Error
		if err != nil && !errors.As(err, &e) {
			t.Fatalf("error %T", err)
		}
	})
}
