package edgeauth

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
)

// FuzzSignatureHeader: any signature and epoch header values parse or fail
// cleanly, and only the real signature with the epoch it was made for
// verifies: the v1 one with no epoch, the v2 one with epoch 7.
func FuzzSignatureHeader(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	s, _ := NewSigner(k1, clockAt(now))
	m := Message{Method: "GET", Host: "cell.example.com", Path: "/x", Query: "a=1", Tenant: "acme"}
	m7 := m
	m7.Epoch = 7
	good, good7 := s.Sign(m), s.Sign(m7)
	f.Add(good, "")
	f.Add(good7, "7")
	f.Add(good7, "")
	f.Add(good, "7")
	f.Add(good7, "07")
	f.Add("v1,kid=k1,ts=1800000000,sig=", "")
	f.Add("v2,kid=k1,ts=1,sig=AAAA", "1")
	f.Add("v1,kid=,ts=-1,sig=AA", "-1")
	f.Add(strings.Repeat("v1,", 100), "0")
	v, _ := NewVerifier([]Key{k1, k2}, VerifierOptions{Now: clockAt(now)})
	f.Fuzz(func(t *testing.T, h, epochHeader string) {
		sig, err := ParseSignature(h)
		if err == nil {
			if !fabric.ValidKeyID(sig.KeyID) || len(sig.MAC) != 32 {
				t.Fatalf("parsed bad signature %+v", sig)
			}
		}
		var epoch int64
		if epochHeader != "" {
			n, err := ParseEpoch(epochHeader)
			if err != nil {
				return // a cell refuses the request as malformed
			}
			if n <= 0 || strconv.FormatInt(n, 10) != epochHeader {
				t.Fatalf("ParseEpoch(%q) = %d: not the canonical positive form", epochHeader, n)
			}
			epoch = n
		}
		mm := m
		mm.Epoch = epoch
		err = v.Verify(h, mm)
		if err == nil && !(h == good && epoch == 0) && !(h == good7 && epoch == 7) {
			t.Fatalf("header %q with epoch %q verified but is not what was signed", h, epochHeader)
		}
		var e *Error
		if err != nil && !errors.As(err, &e) {
			t.Fatalf("error %T", err)
		}
	})
}
