package server

// The leader answers default-mode reads from its own store. That is
// linearizable only while no other server can have become leader, so the
// leader holds a read lease and, outside it, confirms its leadership with
// a quorum before it answers.
//
// A round: at time T on its own clock the leader asks every other voter
// (a probe on the server port, rpc.Prober) whether it still follows this
// leader in this term and how long ago (age) it last heard from it. A follower that says
// yes answered at some time after T, so its last contact was no earlier
// than T − age. hashicorp/raft's follower neither stands for election nor
// grants a vote while it knows a leader, and forgets the leader only when
// a heartbeat timeout HT has passed without contact. A new leader needs a
// quorum, which shares a server with the quorum that said yes; so no
// other leader can exist before min(T − age) + HT over that quorum. The
// lease ends a tenth of HT sooner, for the drift between the servers'
// clock rates: 360 ms at the default raft_multiplier of 1.
//
// Time is measured twice, on the monotonic and on the wall clock, and the
// lease ends when either says so: the monotonic clock stands still while
// the machine is suspended, but the wall clock is moved on at resume, so a
// leader whose machine slept finds its lease run out. A wall clock stepped
// back cannot lengthen the lease; one stepped forward only shortens it.
//
// Replies are matched to their requests, so an answer sent before this
// server stalled (SIGSTOP, a long GC pause, a frozen VM) can never count
// for a round started after it. After such a stall the lease has run out
// on the clock, the next read starts a round, and the followers that have
// moved on to a newer term say no.

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/hashicorp/raft"
)

// errUnconfirmed is a read's answer from a server that still thinks it
// leads but could not confirm it with a quorum: the caller should let
// leadership settle and send the read to whoever leads.
var errUnconfirmed = fmt.Errorf("%w: leadership could not be confirmed", api.ErrNoLeader)

// leaseGrant is a lease: valid in term for the lease's duration after
// from (a lower bound on the quorum's last contact with this leader).
type leaseGrant struct {
	term uint64
	from time.Time // with its monotonic reading
}

// leaseRound is one quorum round that reads wait on.
type leaseRound struct {
	done chan struct{} // closed when err is set
	err  error
}

// readLease keeps the leader's read lease and runs confirmation rounds,
// at most roundsInFlight at once: every read waits for the next round to
// start after it arrived, which serves all the reads waiting for it.
type readLease struct {
	s        *Server
	duration time.Duration // how long after a follower's contact the lease lasts
	roundFn  func() error  // runs one round: round, or a test's stand-in

	grant     atomic.Pointer[leaseGrant] // nil when no lease is held
	suspended atomic.Bool                // set while leadership is being handed over

	fastMu sync.Mutex
	fast   map[raft.ServerID]bool // who said yes first in the last round; guarded by fastMu

	mu      sync.Mutex
	next    *leaseRound // the round reads join; nil when none waits; guarded by mu
	running int         // goroutines running rounds, at most roundsInFlight; guarded by mu
}

// roundsInFlight is how many rounds may run at once. With two, a read that
// arrives while a round runs starts the next at once instead of waiting
// for the first to end; more only multiply the work.
const roundsInFlight = 2

func (l *readLease) init(s *Server, heartbeatTimeout time.Duration) {
	l.s = s
	l.duration = heartbeatTimeout - heartbeatTimeout/10
	l.roundFn = l.round
}

// valid reports whether the lease covers now: held in the current term,
// not run out, and this server still the Raft leader.
func (l *readLease) valid() bool {
	g := l.grant.Load()
	return g != nil && l.covers(g, time.Now()) && g.term == l.s.raft.CurrentTerm() &&
		l.s.raft.State() == raft.Leader && !l.suspended.Load()
}

// covers reports whether g has not run out at now, by both clocks.
func (l *readLease) covers(g *leaseGrant, now time.Time) bool {
	return now.Sub(g.from) < l.duration && now.Round(0).Sub(g.from.Round(0)) < l.duration
}

// reset drops the lease, on any change of leadership.
func (l *readLease) reset() {
	l.grant.Store(nil)
	l.suspended.Store(false)
}

// suspend drops the lease and refuses new ones until leadership changes:
// a hand-over tells a follower to stand for election at once, which
// breaks the lease's reasoning.
func (l *readLease) suspend() {
	l.suspended.Store(true)
	l.grant.Store(nil)
}

// resumeAfter lets rounds grant leases again after d, if this server
// still leads in the same term then: a hand-over that failed.
func (l *readLease) resumeAfter(d time.Duration) {
	term := l.s.raft.CurrentTerm()
	time.AfterFunc(d, func() {
		if l.s.raft.CurrentTerm() == term && l.s.raft.State() == raft.Leader {
			l.suspended.Store(false)
		}
	})
}

// confirm returns nil once this server is known to lead: at once while the
// lease holds (unless fresh), else after a quorum round that started after
// the call. fresh forces a round, for ?consistent reads.
func (l *readLease) confirm(ctx context.Context, fresh bool) error {
	if !fresh && l.valid() {
		return nil
	}
	r := l.join()
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return ctx.Err()
	case <-l.s.shutdownCh:
		return api.ErrShuttingDown
	}
}

// join returns the next round not yet started, starting the goroutine
// that runs rounds if none runs.
func (l *readLease) join() *leaseRound {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.next == nil {
		l.next = &leaseRound{done: make(chan struct{})}
	}
	r := l.next
	if l.running < roundsInFlight {
		l.running++
		go l.runRounds()
	}
	return r
}

// runRounds runs rounds back to back while reads wait for one.
func (l *readLease) runRounds() {
	for {
		l.mu.Lock()
		r := l.next
		l.next = nil
		if r == nil {
			l.running--
			l.mu.Unlock()
			return
		}
		l.mu.Unlock()
		r.err = l.roundFn()
		close(r.done)
	}
}

// round asks the other voters whether they follow this server, and
// extends the lease when a quorum does.
func (l *readLease) round() error {
	s := l.s
	if s.raft.State() != raft.Leader || l.suspended.Load() {
		return errUnconfirmed
	}
	term := s.raft.CurrentTerm()
	start := time.Now()
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return errUnconfirmed
	}
	me := raft.ServerID(s.cfg.NodeID)
	var others []raft.Server
	voters, need := 0, 0
	for _, srv := range f.Configuration().Servers {
		if srv.Suffrage != raft.Voter {
			continue
		}
		voters++
		if srv.ID == me {
			need-- // this server's own vote
		} else {
			others = append(others, srv)
		}
	}
	need += voters/2 + 1
	contacts := l.ask(others, term, start, need)
	if len(contacts) < need {
		return errUnconfirmed
	}
	oldest := start
	for _, c := range contacts {
		if c.Before(oldest) {
			oldest = c
		}
	}
	if s.raft.CurrentTerm() != term || s.raft.State() != raft.Leader || l.suspended.Load() {
		return errUnconfirmed
	}
	l.extend(leaseGrant{term: term, from: oldest})
	return nil
}

// ask sends a leader check to others and returns, as soon as need of
// them say they follow (or too many fail for that), each yes's lower
// bound on when that follower last heard from this leader. It asks the
// need followers that said yes first last time, and the rest only when
// one of those fails or has not answered within hedgeAfter: in a
// three-server cluster one follower answers each round, halving the work.
func (l *readLease) ask(others []raft.Server, term uint64, start time.Time, need int) []time.Time {
	if need <= 0 {
		return nil
	}
	// No reply can extend the lease past the point where it would already
	// have run out, so a round never waits longer than the lease itself.
	ctx, cancel := context.WithTimeout(context.Background(), l.duration)
	defer cancel()
	type reply struct {
		id      raft.ServerID
		contact time.Time // zero for no
	}
	replies := make(chan reply, len(others))
	send := func(srv raft.Server) {
		go func() {
			follows, since, err := l.s.prober.Probe(ctx, string(srv.Address), term, l.s.cfg.NodeID)
			if err != nil || !follows {
				replies <- reply{id: srv.ID}
				return
			}
			replies <- reply{id: srv.ID, contact: start.Add(-since)}
		}()
	}
	// The followers that answered first last round go first.
	l.fastMu.Lock()
	last := l.fast
	l.fastMu.Unlock()
	slices.SortStableFunc(others, func(a, b raft.Server) int {
		return cmpBool(last[b.ID], last[a.ID])
	})
	sent := min(need, len(others))
	for _, srv := range others[:sent] {
		send(srv)
	}
	hedge := time.NewTimer(hedgeAfter)
	defer hedge.Stop()
	fast := map[raft.ServerID]bool{}
	var contacts []time.Time
	for failed := 0; len(contacts) < need && failed <= len(others)-need; {
		select {
		case r := <-replies:
			if r.contact.IsZero() {
				failed++
			} else {
				contacts = append(contacts, r.contact)
				fast[r.id] = true
			}
			if !r.contact.IsZero() {
				continue
			}
		case <-hedge.C:
		}
		for _, srv := range others[sent:] { // ask the rest too
			send(srv)
		}
		sent = len(others)
	}
	l.fastMu.Lock()
	l.fast = fast
	l.fastMu.Unlock()
	return contacts
}

// hedgeAfter is how long a round waits for the followers it asked first
// before it asks the others too.
const hedgeAfter = 5 * time.Millisecond

// cmpBool orders false before true.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// extend stores g unless a later lease of the same term is already held.
func (l *readLease) extend(g leaseGrant) {
	for {
		old := l.grant.Load()
		if old != nil && old.term == g.term && !old.from.Before(g.from) {
			return
		}
		if l.grant.CompareAndSwap(old, &g) {
			return
		}
	}
}

// keep renews the lease in the background while this server leads, so
// that reads seldom wait for a round. It returns when stopCh closes.
func (l *readLease) keep(stopCh <-chan struct{}) {
	tick := time.NewTicker(max(l.duration/4, time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-stopCh:
			return
		case <-tick.C:
			r := l.join()
			select {
			case <-r.done:
			case <-stopCh:
				return
			}
		}
	}
}

// leaderCheck is a follower's answer to a lease round's probe: whether it
// follows leader in term, and how long ago it last heard from it.
func (s *Server) leaderCheck(term uint64, leader string) (bool, time.Duration) {
	last := s.raft.LastContact()
	_, id := s.raft.LeaderWithID()
	// The term is read last: had this server moved to a newer term after
	// reading the leader, the term no longer matches.
	follows := s.raft.State() == raft.Follower && string(id) == leader &&
		s.raft.CurrentTerm() == term && !last.IsZero()
	return follows, max(time.Since(last), 0)
}
