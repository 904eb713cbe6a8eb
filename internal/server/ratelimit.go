package server

import (
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/armon/go-metrics"
	"github.com/concordhq/concord/internal/call"
)

// Request rate limits (Consul's limits.request_limits). A server takes
// reads and writes at a rate each, counted by two token buckets, at the
// one place every call arrives: endpoint.Call, for calls from its own
// agent's HTTP API, DNS and anti-entropy as for calls from client agents
// and other servers over RPC. As in Consul, the limits are each server's
// own: a call a follower forwards to the leader counts at both. Local
// calls (status, the leader's address, the peers) are never limited.
//
// A call past its rate is counted in rpc.rate_limit.exceeded (labels
// limit_type global/read or global/write, op the call's name, mode) and
// logged at debug; in enforcing mode it is also refused with
// call.RateLimitError, which the HTTP API answers 429 with Retry-After.

// Request limit modes (RequestLimits.Mode).
const (
	RateLimitDisabled   = "disabled"
	RateLimitPermissive = "permissive"
	RateLimitEnforcing  = "enforcing"
)

// RequestLimits are a server's request rate limits.
type RequestLimits struct {
	// Mode is RateLimitDisabled ("" too), RateLimitPermissive or
	// RateLimitEnforcing.
	Mode string
	// ReadRate and WriteRate are calls a second; 0 or negative for no
	// limit. A bucket holds ten seconds of its rate, as Consul's, and at
	// least one call.
	ReadRate, WriteRate float64
}

// burstSeconds is how many seconds of its rate a bucket holds: Consul's
// burst multiplier.
const burstSeconds = 10

// rateLimiter applies RequestLimits. Safe for concurrent use.
type rateLimiter struct {
	cur atomic.Pointer[limiterState] // nil: disabled
}

// limiterState is one configuration and its buckets.
type limiterState struct {
	limits      RequestLimits
	read, write *bucket // nil: no limit
}

// set applies limits from now on. Buckets whose rate is unchanged keep
// their tokens, so a reload does not hand out a fresh burst.
func (l *rateLimiter) set(limits RequestLimits) {
	if limits.Mode == "" || limits.Mode == RateLimitDisabled {
		l.cur.Store(nil)
		return
	}
	old := l.cur.Load()
	st := &limiterState{limits: limits}
	st.read = newBucket(limits.ReadRate, func(s *limiterState) *bucket { return s.read }, old)
	st.write = newBucket(limits.WriteRate, func(s *limiterState) *bucket { return s.write }, old)
	l.cur.Store(st)
}

func newBucket(rate float64, same func(*limiterState) *bucket, old *limiterState) *bucket {
	if rate <= 0 || math.IsInf(rate, 1) {
		return nil
	}
	if old != nil {
		if b := same(old); b != nil && b.rate == rate {
			return b
		}
	}
	burst := max(1, math.Floor(rate)*burstSeconds)
	return &bucket{rate: rate, burst: burst, tokens: burst, last: time.Now()}
}

// allow counts the call d with args against its bucket. It returns a
// call.RateLimitError when the call is past its rate and the mode is
// enforcing; leader tells which of Consul's texts the error carries.
func (l *rateLimiter) allow(d *call.Desc, args any, leader func() bool, logger *slog.Logger) error {
	st := l.cur.Load()
	if st == nil || d.Kind == call.Local {
		return nil
	}
	read := d.IsRead(args)
	b, limitType := st.write, "global/write"
	if read {
		b, limitType = st.read, "global/read"
	}
	if b == nil {
		return nil
	}
	ok, wait := b.take(time.Now())
	if ok {
		return nil
	}
	enforced := st.limits.Mode == RateLimitEnforcing
	metrics.IncrCounterWithLabels([]string{"rpc", "rate_limit", "exceeded"}, 1, []metrics.Label{
		{Name: "limit_type", Value: limitType}, {Name: "op", Value: d.Name}, {Name: "mode", Value: st.limits.Mode}})
	logger.Debug("call exceeded the request rate limit", "call", d.Name, "limit_type", limitType, "limit_enforced", enforced)
	if !enforced {
		return nil
	}
	reason := call.RateLimitedText
	if !read && leader() {
		reason = call.RateLimitedLeaderText
	}
	return call.RateLimitError{Reason: reason, RetryAfter: wait}
}

// bucket is a token bucket: rate tokens a second, up to burst.
type bucket struct {
	rate, burst float64

	mu     sync.Mutex
	tokens float64   // guarded by mu
	last   time.Time // when tokens was last brought up to date; guarded by mu
}

// take takes a token if there is one; otherwise it says how long until
// there is.
func (b *bucket) take(now time.Time) (bool, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if now.After(b.last) {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}

// SetRequestLimits changes the server's request rate limits, at start and
// on reload (SIGHUP, `concord reload`).
func (s *Server) SetRequestLimits(limits RequestLimits) {
	s.limiter.set(limits)
	s.logger.Debug("request limits set", "mode", limits.Mode, "read_rate", limits.ReadRate, "write_rate", limits.WriteRate)
}
