package signedhttp

import (
	"math/rand/v2"
	"time"
)

// Backoff is the wait before retry number attempt: the server's
// Retry-After, or a random time between half and all of
// minWait·2^(attempt-1); at most maxWait.
func Backoff(minWait, maxWait time.Duration, attempt int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, maxWait)
	}
	ceiling := minWait << min(attempt-1, 20)
	if ceiling <= 0 || ceiling > maxWait {
		ceiling = maxWait
	}
	return jitter(ceiling)
}

// jitter returns a random duration in [ceiling/2, ceiling]: spread, but
// never so short that retries pile up.
func jitter(ceiling time.Duration) time.Duration {
	half := ceiling / 2
	return half + rand.N(ceiling-half+1)
}
