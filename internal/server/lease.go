package server

// The leader answers default-mode reads from its own store. That is
// linearizable only while no other server can have become leader, so the
// leader holds a read lease and, outside it, confirms its leadership with
// a quorum before it answers.
//
// A round: at time T on its own clock the leader asks every other voter,
// over the internal RPC, whether it still follows this leader in this
// term and how long ago (age) it last heard from it. A follower that says
// yes answered at some time after T, so its last contact was no earlier
// than T − age. hashicorp/raft's follower neither stands for election nor
// grants a vote while it knows a leader, and forgets the leader only when
// a heartbeat timeout HT has passed without contact. A new leader needs a
// quorum, which shares a server with the quorum that said yes; so no
// other leader can exist before min(T − age) + HT over that quorum. The
// lease ends a tenth of HT sooner, for the drift between the servers'
// clock rates: 360 ms at the default raft_multiplier of 1.
//
// Replies are matched to their requests, so an answer sent before this
// server stalled (SIGSTOP, a long GC pause, a frozen VM) can never count
// for a round started after it. After such a stall the lease has run out
// on the clock, the next read starts a round, and the followers that have
// moved on to a newer term say no.

import (
	"context"
	"encoding/json"
	"fmt"
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

// leaderCheckMethod is the follower side of a lease round.
const leaderCheckMethod = "Status.LeaderCheck"

// leaderCheckArgs asks a follower whether it follows Leader in Term.
type leaderCheckArgs struct {
	Term   uint64
	Leader string // the asking leader's server ID
}

// leaderCheckReply is a follower's answer.
type leaderCheckReply struct {
	Follows      bool          // it is a follower of Leader in Term
	SinceContact time.Duration // how long ago it last heard from its leader
}

// leaseGrant is a lease: valid in term until the monotonic time until.
type leaseGrant struct {
	term  uint64
	until int64 // monoNow() nanoseconds
}

// leaseRound is one quorum round that reads wait on.
type leaseRound struct {
	done chan struct{} // closed when err is set
	err  error
}

// readLease keeps the leader's read lease and runs confirmation rounds,
// one at a time: every read that arrives while a round runs waits for the
// next one, which serves them all.
type readLease struct {
	s        *Server
	duration time.Duration // how long after a follower's contact the lease lasts
	roundFn  func() error  // runs one round: round, or a test's stand-in

	grant     atomic.Pointer[leaseGrant] // nil when no lease is held
	suspended atomic.Bool                // set while leadership is being handed over

	mu      sync.Mutex
	next    *leaseRound // the round reads join; nil when none waits; guarded by mu
	running bool        // a goroutine is running rounds; guarded by mu
}

func (l *readLease) init(s *Server, heartbeatTimeout time.Duration) {
	l.s = s
	l.duration = heartbeatTimeout - heartbeatTimeout/10
	l.roundFn = l.round
}

// valid reports whether the lease covers now: held in the current term,
// not run out, and this server still the Raft leader.
func (l *readLease) valid() bool {
	g := l.grant.Load()
	return g != nil && monoNow() < g.until && g.term == l.s.raft.CurrentTerm() &&
		l.s.raft.State() == raft.Leader && !l.suspended.Load()
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
	if !l.running {
		l.running = true
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
			l.running = false
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
	start := monoNow()
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
		oldest = min(oldest, c)
	}
	if s.raft.CurrentTerm() != term || s.raft.State() != raft.Leader || l.suspended.Load() {
		return errUnconfirmed
	}
	l.extend(leaseGrant{term: term, until: oldest + int64(l.duration)})
	return nil
}

// ask sends a leader check to each of others and returns, as soon as need
// of them say they follow (or too many fail for that), each yes's lower
// bound on when that follower last heard from this leader.
func (l *readLease) ask(others []raft.Server, term uint64, start int64, need int) []int64 {
	if need <= 0 {
		return nil
	}
	// No reply can extend the lease past the point where it would already
	// have run out, so a round never waits longer than the lease itself.
	ctx, cancel := context.WithTimeout(context.Background(), l.duration)
	defer cancel()
	replies := make(chan int64, len(others)) // a contact time, or -1 for no
	args := leaderCheckArgs{Term: term, Leader: l.s.cfg.NodeID}
	for _, srv := range others {
		go func() {
			var rep leaderCheckReply
			err := l.s.pool.Call(ctx, string(srv.Address), leaderCheckMethod, args, &rep)
			if err != nil || !rep.Follows {
				replies <- -1
				return
			}
			replies <- start - int64(rep.SinceContact)
		}()
	}
	var contacts []int64
	for failed := 0; len(contacts) < need && failed <= len(others)-need; {
		if c := <-replies; c < 0 {
			failed++
		} else {
			contacts = append(contacts, c)
		}
	}
	return contacts
}

// extend stores g unless a later lease of the same term is already held.
func (l *readLease) extend(g leaseGrant) {
	for {
		old := l.grant.Load()
		if old != nil && old.term == g.term && old.until >= g.until {
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

// leaderCheckHandler answers leaderCheckMethod over the internal RPC.
func (s *Server) leaderCheckHandler(_ context.Context, raw json.RawMessage) (any, error) {
	var a leaderCheckArgs
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, api.BadRequestError{Reason: "rpc: cannot decode leader check: " + err.Error()}
	}
	return s.leaderCheck(a), nil
}

// leaderCheck is a follower's answer to a lease round.
func (s *Server) leaderCheck(a leaderCheckArgs) leaderCheckReply {
	last := s.raft.LastContact()
	_, leader := s.raft.LeaderWithID()
	// The term is read last: had this server moved to a newer term after
	// reading the leader, the term no longer matches.
	follows := s.raft.State() == raft.Follower && string(leader) == a.Leader &&
		s.raft.CurrentTerm() == a.Term && !last.IsZero()
	return leaderCheckReply{Follows: follows, SinceContact: max(time.Since(last), 0)}
}
