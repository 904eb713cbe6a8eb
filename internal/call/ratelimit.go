package call

import "time"

// Consul's texts for a call refused by a server's request rate limit.
const (
	// RateLimitedText: the call may succeed on another server, or later.
	RateLimitedText = "rate limit exceeded, try again later or against a different server"
	// RateLimitedLeaderText: a write refused by the leader, which alone
	// takes writes.
	RateLimitedLeaderText = "rate limit exceeded for operation that can only be performed by the leader, try again later"
)

// RateLimitError refuses a call past a server's request rate
// (limits.request_limits in enforcing mode). It crosses the wire with its
// fields, so the agent the client called answers 429 Too Many Requests
// with a Retry-After header, whichever server refused the call.
type RateLimitError struct {
	Reason     string        // RateLimitedText or RateLimitedLeaderText
	RetryAfter time.Duration // until the server expects to take such a call again
}

func (e RateLimitError) Error() string { return e.Reason }
