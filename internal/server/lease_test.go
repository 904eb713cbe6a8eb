package server

import (
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// TestLeaseRoundsAreShared checks the batching of confirmations: reads that
// arrive while roundsInFlight rounds run all wait for the next round, which
// serves them together, and none is served by a round that started before
// it.
func TestLeaseRoundsAreShared(t *testing.T) {
	var l readLease
	l.init(&Server{shutdownCh: make(chan struct{})}, 400*time.Millisecond)
	started := make(chan int, 10)
	release := make(chan struct{})
	var rounds atomic.Int32
	l.roundFn = func() error {
		n := int(rounds.Add(1))
		started <- n
		if n <= roundsInFlight {
			<-release // the first rounds run until the test lets them end
		}
		return nil
	}

	var busy []*leaseRound
	for i := range roundsInFlight {
		busy = append(busy, l.join())
		if n := <-started; n != i+1 {
			t.Fatalf("round %d started as %d", i+1, n)
		}
	}
	const waiting = 50
	var joined []*leaseRound
	for range waiting {
		joined = append(joined, l.join())
	}
	for i, r := range joined {
		if slices.Contains(busy, r) {
			t.Fatalf("read %d joined a round already running; it must wait for the next", i)
		}
		if r != joined[0] {
			t.Fatalf("read %d joined another round than read 0; all must share one", i)
		}
	}
	close(release)
	for i, r := range append(joined, busy...) {
		select {
		case <-r.done:
			if r.err != nil {
				t.Fatalf("round of read %d: %v", i, r.err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("read %d still waits for its round", i)
		}
	}
	if n := rounds.Load(); n != roundsInFlight+1 {
		t.Fatalf("%d rounds for %d reads that arrived while %d ran, want %d", n, waiting, roundsInFlight, roundsInFlight+1)
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
