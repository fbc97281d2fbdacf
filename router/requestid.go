package router

import (
	"crypto/rand"
	"encoding/hex"
)

// MaxRequestIDLen is the longest client X-Request-ID kept as it is.
const MaxRequestIDLen = 128

// RequestID returns the id a request is logged and forwarded with: the
// client's X-Request-ID when it is 1–128 plain characters (letters, digits,
// '-', '_', '.', ':'), so ids can be followed across systems, and otherwise
// 32 random hex digits, so a client cannot inject text into logs. The router
// server and the edge Worker both use it.
func RequestID(in string) string {
	if n := len(in); n > 0 && n <= MaxRequestIDLen {
		ok := true
		for i := 0; i < n && ok; i++ {
			c := in[i]
			ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':'
		}
		if ok {
			return in
		}
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	var s [32]byte
	hex.Encode(s[:], b[:])
	return string(s[:]) // one allocation, where hex.EncodeToString makes two
}
