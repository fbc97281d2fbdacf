package edgeauth

import (
	"encoding/base64"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// referenceSign is the signature as the package computed it before the
// pooled HMAC: canonical as a fresh string, a fresh HMAC, string
// concatenation. Verify still checks against canonical and mac.
func referenceSign(key Key, ts int64, m Message) string {
	sig := base64.RawURLEncoding.EncodeToString(mac(key.Secret, key.ID, ts, m))
	v := version
	if m.Epoch > 0 {
		v = versionEpoch
	}
	return v + ",kid=" + key.ID + ",ts=" + strconv.FormatInt(ts, 10) + ",sig=" + sig
}

// TestSignMatchesReference: the pooled signer writes byte for byte the
// header the reference computation does, for every kind of message, from
// many goroutines at once (so that pooled states are reused across keys'
// messages), and what it signs verifies.
func TestSignMatchesReference(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	messages := []struct {
		name string
		m    Message
	}{
		{name: "plain", m: Message{Method: "GET", Host: "cell-a.example.com", Path: "/x", Tenant: "acme"}},
		{name: "empty path and no tenant", m: Message{Method: "GET", Host: "cell-a.example.com"}},
		{name: "port and upper case host", m: Message{Method: "PUT", Host: "Cell-A.Example.COM:8443", Path: "/kv/a", Query: "x=1&y=2", Tenant: "acme"}},
		{name: "IPv6 literal with port", m: Message{Method: "GET", Host: "[::1]:8080", Path: "/", Tenant: "t1"}},
		{name: "IPv6 literal without port", m: Message{Method: "GET", Host: "[FE80::1]", Path: "/"}},
		{name: "non-ASCII host", m: Message{Method: "GET", Host: "ÜNÏ.Example:80", Path: "/é"}},
		{name: "escaped path and query", m: Message{Method: "DELETE", Host: "h", Path: "/a%2Fb/%20c", Query: "q=%2F&r", Tenant: "globex"}},
		{name: "path longer than the pooled buffer", m: Message{Method: "POST", Host: "h", Path: "/" + strings.Repeat("p", 10<<10), Tenant: "acme"}},
		{name: "epoch (v2)", m: Message{Method: "PUT", Host: "cell-a.example.com:443", Path: "/kv/a", Tenant: "acme", Epoch: 12}},
		{name: "largest epoch (v2)", m: Message{Method: "PUT", Host: "h", Path: "/kv/a", Tenant: "acme", Epoch: 1<<63 - 1}},
		{name: "negative epoch signs v1", m: Message{Method: "PUT", Host: "h", Path: "/kv/a", Tenant: "acme", Epoch: -1}},
	}
	keys := []Key{k1, k2, {ID: "a-much-longer-key-id.2026_12", Secret: []byte("another-secret-that-is-long-enough")}}
	for _, key := range keys {
		s, err := NewSigner(key, clockAt(now))
		if err != nil {
			t.Fatal(err)
		}
		v, err := NewVerifier([]Key{key}, VerifierOptions{Now: clockAt(now)})
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range messages {
			t.Run(key.ID+"/"+tt.name, func(t *testing.T) {
				want := referenceSign(key, now.Unix(), tt.m)
				var wg sync.WaitGroup
				errs := make(chan string, 64)
				for range 8 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for range 20 {
							if got := s.Sign(tt.m); got != want {
								errs <- got
								return
							}
							if got := string(s.AppendSign([]byte("prefix:"), tt.m)); got != "prefix:"+want {
								errs <- got
								return
							}
						}
					}()
				}
				wg.Wait()
				close(errs)
				for got := range errs {
					t.Fatalf("Sign = %q, want %q", got, want)
				}
				if err := v.Verify(s.Sign(tt.m), tt.m); err != nil {
					t.Errorf("Verify(Sign(m)): %v", err)
				}
			})
		}
	}
}

// BenchmarkSign is what the router pays to sign one request; AppendSign
// into a buffer with room must not allocate.
func BenchmarkSign(b *testing.B) {
	s, _ := NewSigner(k1, nil)
	m := Message{Method: "GET", Host: "127.0.0.1:19101", Path: "/", Tenant: "bench"}
	b.Run("Sign", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = s.Sign(m)
		}
	})
	b.Run("AppendSign", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 256)
		for b.Loop() {
			buf = s.AppendSign(buf[:0], m)
		}
	})
	b.Run("AppendSign/epoch", func(b *testing.B) {
		b.ReportAllocs()
		me := m
		me.Epoch = 1_234_567
		buf := make([]byte, 0, 256)
		for b.Loop() {
			buf = s.AppendSign(buf[:0], me)
		}
	})
	b.Run("reference", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = referenceSign(k1, 1_800_000_000, m)
		}
	})
}
