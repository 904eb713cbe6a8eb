package dns

import (
	"net"
	"testing"
	"time"
)

// TestSourceLimiter checks the token bucket of each source: a burst of
// rate, then one query per 1/rate seconds, sources apart from each other.
func TestSourceLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	l := newSourceLimiter(3, func() time.Time { return now })
	a := &net.UDPAddr{IP: net.ParseIP("10.0.0.1"), Port: 1000}
	aTCP := &net.TCPAddr{IP: net.ParseIP("::ffff:10.0.0.1"), Port: 2000} // the same IP
	b := &net.UDPAddr{IP: net.ParseIP("10.0.0.2"), Port: 1000}

	steps := []struct {
		name    string
		advance time.Duration
		addr    net.Addr
		want    bool
	}{
		{"burst 1", 0, a, true},
		{"burst 2", 0, aTCP, true},
		{"burst 3", 0, a, true},
		{"past the burst", 0, a, false},
		{"past the burst over TCP", 0, aTCP, false},
		{"another source", 0, b, true},
		{"a third of a second later", 340 * time.Millisecond, a, true},
		{"no more yet", 0, a, false},
		{"a long pause fills the bucket, no more", time.Hour, a, true},
		{"full bucket 2", 0, a, true},
		{"full bucket 3", 0, a, true},
		{"full bucket used up", 0, a, false},
	}
	for _, st := range steps {
		now = now.Add(st.advance)
		if got := l.allow(st.addr); got != st.want {
			t.Errorf("%s: allow(%v) = %v, want %v", st.name, st.addr, got, st.want)
		}
	}
}

// TestSourceLimiterBounded checks that the table of sources stays bounded
// under many sources.
func TestSourceLimiterBounded(t *testing.T) {
	now := time.Unix(1000, 0)
	l := newSourceLimiter(1, func() time.Time { return now })
	for i := range maxSources + 10 {
		ip := net.IPv4(10, byte(i>>16), byte(i>>8), byte(i))
		if !l.allow(&net.UDPAddr{IP: ip}) {
			t.Fatalf("new source %v refused", ip)
		}
	}
	if n := len(l.buckets); n > maxSources {
		t.Errorf("%d sources tracked, want at most %d", n, maxSources)
	}
}
