package server

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// TestLeaseRoundsAreShared checks the batching of confirmations: reads that
// arrive while a round runs all wait for the next round, which serves
// them together, and none is served by a round that started before it.
func TestLeaseRoundsAreShared(t *testing.T) {
	var l readLease
	l.init(&Server{shutdownCh: make(chan struct{})}, 400*time.Millisecond)
	started := make(chan int, 10)
	release := make(chan struct{})
	var rounds atomic.Int32
	l.roundFn = func() error {
		n := int(rounds.Add(1))
		started <- n
		if n == 1 {
			<-release // the first round runs until the test lets it end
		}
		return nil
	}

	first := l.join()
	if n := <-started; n != 1 {
		t.Fatalf("first round = %d, want 1", n)
	}
	const waiting = 50
	var joined []*leaseRound
	for range waiting {
		joined = append(joined, l.join())
	}
	for i, r := range joined {
		if r == first {
			t.Fatalf("read %d joined the round already running; it must wait for the next", i)
		}
		if r != joined[0] {
			t.Fatalf("read %d joined another round than read 0; all must share one", i)
		}
	}
	close(release)
	for i, r := range append(joined, first) {
		select {
		case <-r.done:
			if r.err != nil {
				t.Fatalf("round of read %d: %v", i, r.err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("read %d still waits for its round", i)
		}
	}
	if n := rounds.Load(); n != 2 {
		t.Fatalf("%d rounds for %d reads that arrived during the first, want 2", n, waiting)
	}
}

// TestLeaseRoundErrorReachesEveryWaiter checks that a failed round fails
// every read that waited for it, and that the next read starts a new one.
func TestLeaseRoundErrorReachesEveryWaiter(t *testing.T) {
	var l readLease
	l.init(&Server{shutdownCh: make(chan struct{})}, 400*time.Millisecond)
	fail := errors.New("quorum said no")
	var rounds atomic.Int32
	l.roundFn = func() error {
		if rounds.Add(1) == 1 {
			return fail
		}
		return nil
	}
	r := l.join()
	<-r.done
	if !errors.Is(r.err, fail) {
		t.Fatalf("first round: %v, want %v", r.err, fail)
	}
	r = l.join()
	<-r.done
	if r.err != nil || rounds.Load() != 2 {
		t.Fatalf("second round: err %v after %d rounds, want nil after 2", r.err, rounds.Load())
	}
}
