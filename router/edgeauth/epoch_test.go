package edgeauth

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// epochCell is a real loopback server behind the verifier that echoes
// what the request was signed for.
func epochCell(t *testing.T, now time.Time) *httptest.Server {
	t.Helper()
	v, err := NewVerifier([]Key{k1}, VerifierOptions{Now: clockAt(now)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := VerifiedFromContext(r.Context())
		epoch, eok := EpochFromContext(r.Context())
		tenant, tok := TenantFromContext(r.Context())
		if !ok || !eok || !tok || epoch != got.Epoch || tenant != got.Tenant {
			http.Error(w, "context accessors disagree", 500)
			return
		}
		fmt.Fprintf(w, "tenant=%s epoch=%d", got.Tenant, got.Epoch)
	}), nil))
	t.Cleanup(srv.Close)
	return srv
}

// TestEpochOverHTTP: v1 (no epoch) still verifies, v2 verifies and hands
// the epoch to the handler, and every way of adding, removing or changing
// an epoch after signing is refused.
func TestEpochOverHTTP(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	srv := epochCell(t, now)
	s, err := NewSigner(k1, clockAt(now))
	if err != nil {
		t.Fatal(err)
	}
	v1Header := func(r *http.Request) { r.Header.Set(SignatureHeader, s.Sign(MessageOf(r, "acme"))) }
	tests := []struct {
		name       string
		epoch      int64
		alter      func(r *http.Request)
		wantStatus int
		wantReason string
		wantBody   string
	}{
		{name: "v1 without epoch", epoch: 0, wantStatus: 200, wantBody: "tenant=acme epoch=0"},
		{name: "v2 with epoch", epoch: 7, wantStatus: 200, wantBody: "tenant=acme epoch=7"},
		{name: "v2 with the largest epoch", epoch: 1<<63 - 1, wantStatus: 200, wantBody: fmt.Sprintf("tenant=acme epoch=%d", int64(1<<63-1))},
		{name: "negative epoch signs as none", epoch: -3, wantStatus: 200, wantBody: "tenant=acme epoch=0"},
		{name: "epoch tampered", epoch: 7, alter: func(r *http.Request) { r.Header.Set(EpochHeader, "8") }, wantStatus: 401, wantReason: ReasonBadSignature},
		{name: "epoch lowered", epoch: 7, alter: func(r *http.Request) { r.Header.Set(EpochHeader, "6") }, wantStatus: 401, wantReason: ReasonBadSignature},
		{name: "v2 without the header", epoch: 7, alter: func(r *http.Request) { r.Header.Del(EpochHeader) }, wantStatus: 401, wantReason: ReasonBadSignature},
		{name: "header added to a v1 request", epoch: 0, alter: func(r *http.Request) { r.Header.Set(EpochHeader, "7") }, wantStatus: 401, wantReason: ReasonBadSignature},
		{name: "v2 relabelled v1 and the header removed", epoch: 7, alter: func(r *http.Request) {
			r.Header.Del(EpochHeader)
			r.Header.Set(SignatureHeader, "v1"+r.Header.Get(SignatureHeader)[2:])
		}, wantStatus: 401, wantReason: ReasonBadSignature},
		{name: "v1 relabelled v2 and a header added", epoch: 0, alter: func(r *http.Request) {
			r.Header.Set(EpochHeader, "7")
			r.Header.Set(SignatureHeader, "v2"+r.Header.Get(SignatureHeader)[2:])
		}, wantStatus: 401, wantReason: ReasonBadSignature},
		{name: "header with a v1 signature over the same request", epoch: 0, alter: func(r *http.Request) { v1Header(r); r.Header.Set(EpochHeader, "7") }, wantStatus: 401, wantReason: ReasonBadSignature},
		{name: "zero header", epoch: 7, alter: func(r *http.Request) { r.Header.Set(EpochHeader, "0") }, wantStatus: 401, wantReason: ReasonMalformed},
		{name: "leading zero", epoch: 7, alter: func(r *http.Request) { r.Header.Set(EpochHeader, "07") }, wantStatus: 401, wantReason: ReasonMalformed},
		{name: "signed header", epoch: 7, alter: func(r *http.Request) { r.Header.Set(EpochHeader, "+7") }, wantStatus: 401, wantReason: ReasonMalformed},
		{name: "not a number", epoch: 7, alter: func(r *http.Request) { r.Header.Set(EpochHeader, "seven") }, wantStatus: 401, wantReason: ReasonMalformed},
		{name: "overflow", epoch: 7, alter: func(r *http.Request) { r.Header.Set(EpochHeader, "9223372036854775808") }, wantStatus: 401, wantReason: ReasonMalformed},
		{name: "repeated", epoch: 7, alter: func(r *http.Request) { r.Header.Add(EpochHeader, "7") }, wantStatus: 401, wantReason: ReasonMalformed},
		{name: "v2 signature relabelled v1", epoch: 7, alter: func(r *http.Request) {
			r.Header.Set(SignatureHeader, "v1"+r.Header.Get(SignatureHeader)[2:])
		}, wantStatus: 401, wantReason: ReasonBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequest(http.MethodPut, srv.URL+"/kv/a?x=1", nil)
			if err != nil {
				t.Fatal(err)
			}
			// What a client sent is replaced, or removed when the edge
			// sends no epoch.
			req.Header.Set(EpochHeader, "999")
			req.Header.Set(TenantHeader, "spoofed")
			s.SignRequestEpoch(req, "acme", tt.epoch)
			if tt.epoch <= 0 && req.Header.Get(EpochHeader) != "" {
				t.Fatalf("client epoch header kept without an epoch: %q", req.Header.Get(EpochHeader))
			}
			if tt.alter != nil {
				tt.alter(req)
			}
			checkAnswer(t, srv, req, tt.wantStatus, tt.wantReason, tt.wantBody)
		})
	}
}

// TestSignRequestKeepsV1: SignRequest (no epoch) sends exactly what it sent
// before epochs existed, and removes a client's epoch header.
func TestSignRequestKeepsV1(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	s, _ := NewSigner(Key{ID: "k1", Secret: []byte("0123456789abcdef")}, clockAt(now))
	req := httptest.NewRequest("POST", "http://cell-a.example.com/a%2Fb?x=1&y=2", nil)
	req.Header.Set(EpochHeader, "5")
	s.SignRequest(req, "acme")
	if got := req.Header.Get(SignatureHeader); got != "v1,kid=k1,ts=1700000000,sig="+wantSig {
		t.Errorf("signature %q, want the v1 golden", got)
	}
	if _, ok := req.Header[EpochHeader]; ok {
		t.Errorf("client epoch header kept: %v", req.Header)
	}
}

// TestCanonicalStringV2 pins the v2 wire format.
func TestCanonicalStringV2(t *testing.T) {
	t.Parallel()
	m := Message{Method: "POST", Host: "Cell-A.Example.com:8443", Path: "/a%2Fb", Query: "x=1&y=2", Tenant: "acme", Epoch: 42}
	want := "cellfabric-edge-v2\nk1\n1700000000\nPOST\ncell-a.example.com\n/a%2Fb\nx=1&y=2\nacme\n42"
	if got := string(canonical("k1", 1700000000, m)); got != want {
		t.Errorf("canonical = %q, want %q", got, want)
	}
	if got := string(appendCanonical(nil, "k1", 1700000000, m)); got != want {
		t.Errorf("appendCanonical = %q, want %q", got, want)
	}
	s, _ := NewSigner(Key{ID: "k1", Secret: []byte("0123456789abcdef")}, clockAt(time.Unix(1700000000, 0)))
	// printf '%s' "$want" | openssl dgst -sha256 -hmac 0123456789abcdef -binary | basenc --base64url
	const wantHeader = "v2,kid=k1,ts=1700000000,sig=zw_G28oGS6Vs1i_VWnEiNqz6aJt0FAYy4SPgZnBlkGM"
	if h := s.Sign(m); h != wantHeader {
		t.Errorf("Sign = %q, want %q", h, wantHeader)
	}
}

// TestVerifyEpoch: the string-level Verify ties the signature's version to
// the epoch the caller read.
func TestVerifyEpoch(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	v, _ := NewVerifier([]Key{k1}, VerifierOptions{Now: clockAt(now)})
	s, _ := NewSigner(k1, clockAt(now))
	m := Message{Method: "PUT", Host: "h", Path: "/kv/a", Tenant: "acme"}
	m7 := m
	m7.Epoch = 7
	tests := []struct {
		name   string
		header string
		m      Message
		want   string
	}{
		{name: "v1", header: s.Sign(m), m: m},
		{name: "v2", header: s.Sign(m7), m: m7},
		{name: "v2 read without epoch", header: s.Sign(m7), m: m, want: ReasonBadSignature},
		{name: "v1 read with an epoch", header: s.Sign(m), m: m7, want: ReasonBadSignature},
		{name: "other epoch", header: s.Sign(m7), m: Message{Method: "PUT", Host: "h", Path: "/kv/a", Tenant: "acme", Epoch: 70}, want: ReasonBadSignature},
		{name: "unknown version", header: "v3" + s.Sign(m7)[2:], m: m7, want: ReasonMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := v.Verify(tt.header, tt.m)
			var e *Error
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Verify: %v", err)
			case tt.want != "" && (!errors.As(err, &e) || e.Reason != tt.want):
				t.Errorf("Verify = %v, want reason %s", err, tt.want)
			}
		})
	}
}

func TestParseEpoch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1", 1, true}, {"42", 42, true}, {"9223372036854775807", 1<<63 - 1, true},
		{"", 0, false}, {"0", 0, false}, {"00", 0, false}, {"01", 0, false}, {"-1", 0, false}, {"+1", 0, false},
		{" 1", 0, false}, {"1 ", 0, false}, {"1e3", 0, false}, {"0x10", 0, false}, {"9223372036854775808", 0, false}, {"99999999999999999999", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseEpoch(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("ParseEpoch(%q) = %d, %v; want %d, ok %v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}
