package dns

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// maxSources bounds how many sources the rate limiter tracks: past it,
// those whose bucket has filled up again are forgotten (they would start
// full anyway), and if that is not enough, all are, so that spoofed UDP
// sources cannot grow the table for ever.
const maxSources = 1 << 16

// sourceLimiter gives each source IP a token bucket of rate queries per
// second that holds at most rate tokens, so a source may send a second's
// worth at once, then rate a second.
type sourceLimiter struct {
	rate float64          // tokens added per second; positive
	now  func() time.Time // the clock

	mu      sync.Mutex
	buckets map[netip.Addr]*bucket // guarded by mu
}

type bucket struct {
	tokens float64   // as of last
	last   time.Time // when tokens was computed
}

func newSourceLimiter(rate int, now func() time.Time) *sourceLimiter {
	return &sourceLimiter{rate: float64(rate), now: now, buckets: make(map[netip.Addr]*bucket)}
}

// allow takes a token from the bucket of addr's IP and reports whether
// there was one.
func (l *sourceLimiter) allow(addr net.Addr) bool {
	ip := sourceIP(addr)
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[ip]
	if b == nil {
		if len(l.buckets) >= maxSources {
			l.forgetFullLocked(now)
		}
		if len(l.buckets) >= maxSources {
			clear(l.buckets)
		}
		b = &bucket{tokens: l.rate, last: now}
		l.buckets[ip] = b
	}
	b.tokens = min(l.rate, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// forgetFullLocked drops the buckets that are full again by now.
func (l *sourceLimiter) forgetFullLocked(now time.Time) {
	for ip, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.rate {
			delete(l.buckets, ip)
		}
	}
}

// sourceIP is the IP of a query's source address, IPv4 unmapped.
func sourceIP(addr net.Addr) netip.Addr {
	var ip net.IP
	switch a := addr.(type) {
	case *net.UDPAddr:
		ip = a.IP
	case *net.TCPAddr:
		ip = a.IP
	}
	parsed, _ := netip.AddrFromSlice(ip)
	return parsed.Unmap()
}
