package server

import (
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/call"
)

// TestRateLimiter checks the request limits' buckets: a burst of ten
// seconds of the rate (at least one call), refill at the rate, the
// Retry-After a refused call carries, reads and writes apart, local calls
// never limited, permissive mode never refusing, and a reload that keeps
// an unchanged bucket's tokens.
func TestRateLimiter(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	leader := func() bool { return true }
	write := func(l *rateLimiter) error { return l.allow(call.KVApply.Desc, &call.KVApplyArgs{}, leader, logger) }
	read := func(l *rateLimiter) error { return l.allow(call.KVGet.Desc, &call.KVGetArgs{}, leader, logger) }
	status := func(l *rateLimiter) error { return l.allow(call.Leader.Desc, &call.StatusArgs{}, leader, logger) }

	var l rateLimiter
	l.set(RequestLimits{Mode: RateLimitEnforcing, ReadRate: -1, WriteRate: 0.1})
	if err := write(&l); err != nil {
		t.Fatalf("first write = %v, want the burst's one call", err)
	}
	var rl call.RateLimitError
	if err := write(&l); !errors.As(err, &rl) || rl.Reason != call.RateLimitedLeaderText ||
		rl.RetryAfter < 9*time.Second || rl.RetryAfter > 10*time.Second {
		t.Errorf("second write = %v (%+v), want a RateLimitError with the leader's text and Retry-After about 10s", err, rl)
	}
	for i := range 100 {
		if err := read(&l); err != nil {
			t.Fatalf("read %d = %v, want no limit on reads", i, err)
		}
		if err := status(&l); err != nil {
			t.Fatalf("status call %d = %v, want local calls never limited", i, err)
		}
	}

	// A reload that leaves write_rate alone keeps the empty bucket; one
	// to permissive mode answers past the rate.
	l.set(RequestLimits{Mode: RateLimitEnforcing, ReadRate: 5, WriteRate: 0.1})
	if err := write(&l); err == nil {
		t.Error("write after a reload with the same write_rate = nil, want still refused (no fresh burst)")
	}
	l.set(RequestLimits{Mode: RateLimitPermissive, ReadRate: 5, WriteRate: 0.1})
	if err := write(&l); err != nil {
		t.Errorf("write in permissive mode = %v, want answered", err)
	}
	l.set(RequestLimits{Mode: RateLimitDisabled, ReadRate: 5, WriteRate: 0.1})
	for i := range 100 {
		if err := write(&l); err != nil {
			t.Fatalf("write %d with limits disabled = %v", i, err)
		}
	}

	// A follower refusing a write says to try elsewhere.
	l.set(RequestLimits{Mode: RateLimitEnforcing, WriteRate: 0.1})
	_ = write(&l)
	err := l.allow(call.KVApply.Desc, &call.KVApplyArgs{}, func() bool { return false }, logger)
	if !errors.As(err, &rl) || rl.Reason != call.RateLimitedText {
		t.Errorf("write refused by a follower = %v, want %q", err, call.RateLimitedText)
	}
}

// TestBucket checks the token bucket's arithmetic with a fixed clock.
func TestBucket(t *testing.T) {
	now := time.Unix(1000, 0)
	b := newBucket(0.5, nil, nil)
	b.last = now
	if b.burst != 1 {
		t.Fatalf("burst of rate 0.5 = %v, want 1 (at least one call)", b.burst)
	}
	if ok, _ := b.take(now); !ok {
		t.Fatal("first take refused, want the burst's token")
	}
	ok, wait := b.take(now)
	if ok || wait != 2*time.Second {
		t.Errorf("second take = %v, wait %v; want refused, wait 2s at 0.5/s", ok, wait)
	}
	if ok, _ := b.take(now.Add(2 * time.Second)); !ok {
		t.Error("take 2s later refused, want the refilled token")
	}
	b = newBucket(3, nil, nil)
	b.last = now
	for i := range 30 {
		if ok, _ := b.take(now); !ok {
			t.Fatalf("take %d of a burst of 30 (3/s × 10 s) refused", i+1)
		}
	}
	if ok, wait := b.take(now); ok || wait.Round(time.Millisecond) != 333*time.Millisecond {
		t.Errorf("take 31 = %v, wait %v; want refused, wait 1/3 s", ok, wait)
	}
}
