package server

import (
	"sync"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/fsm"
)

// sessionTimers holds the leader's TTL timers, one per TTL session. A
// timer fires after SessionTTLMultiplier×TTL without a renew and
// invalidates its session through Raft.
type sessionTimers struct {
	expire func(id string) // called from the timer's goroutine

	mu     sync.Mutex
	timers map[string]*time.Timer // guarded by mu; nil while not leader
}

// reset (re)starts id's timer at full length.
func (st *sessionTimers) reset(id string, ttl time.Duration) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.timers == nil {
		return // not leader: the next leader starts every timer afresh
	}
	if t, ok := st.timers[id]; ok {
		t.Stop()
	}
	// The callback expires the session only if its timer is still the
	// current one: a renew that raced with the firing has replaced it.
	// It takes mu, which reset holds until t is stored.
	var t *time.Timer
	t = time.AfterFunc(ttl*SessionTTLMultiplier, func() {
		st.mu.Lock()
		current := st.timers[id] == t
		if current {
			delete(st.timers, id)
		}
		st.mu.Unlock()
		if current {
			st.expire(id)
		}
	})
	st.timers[id] = t
}

// stop drops id's timer.
func (st *sessionTimers) stop(id string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if t, ok := st.timers[id]; ok {
		t.Stop()
		delete(st.timers, id)
	}
}

// start arms the table (on gaining leadership).
func (st *sessionTimers) start() {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.timers == nil {
		st.timers = map[string]*time.Timer{}
	}
}

// clear stops every timer and disarms the table (on losing leadership).
func (st *sessionTimers) clear() {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, t := range st.timers {
		t.Stop()
	}
	st.timers = nil
}

// startSessionTimers gives every TTL session a fresh timer at full length,
// as a new leader must: it cannot know when the old one last saw a renew.
func (s *Server) startSessionTimers() {
	s.timers.start()
	_, list, err := s.fsm.State().SessionList(nil, "")
	if err != nil {
		s.logger.Error("cannot list sessions for TTL timers", "error", err)
		return
	}
	for _, sess := range list {
		if ttl, _ := time.ParseDuration(sess.TTL); ttl > 0 {
			s.timers.reset(sess.ID, ttl)
		}
	}
}

// expireSession invalidates a session whose TTL ran out.
func (s *Server) expireSession(id string) {
	op := &fsm.SessionOp{Op: fsm.SessionDestroy, Session: api.SessionEntry{ID: id}}
	if _, err := s.raftApply(fsm.EncodeSession(op, time.Now())); err != nil {
		s.logger.Warn("cannot expire session", "session", id, "error", err)
		return
	}
	s.logger.Debug("session expired", "session", id)
}
