package server

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
	"github.com/concordhq/concord/internal/state"
	"github.com/hashicorp/go-memdb"
	"github.com/hashicorp/raft"
)

// queryFn runs one read against st, adding what it read to ws, and returns
// the result's index.
type queryFn func(ws memdb.WatchSet, st *state.Store) (uint64, error)

// checkRead enforces q's datacenter and consistency mode, and says which
// mode the read gets. A default read needs the leader's lease (confirmed
// with a quorum when it has run out), a ?consistent read a quorum round
// that started after it arrived; either fails with errUnconfirmed when the
// quorum no longer follows this server.
func (s *Server) checkRead(ctx context.Context, q *api.QueryOptions) (string, error) {
	if q.Datacenter != "" && q.Datacenter != s.cfg.Datacenter {
		return "", api.ErrUnknownDC
	}
	mode := "leader"
	switch {
	case q.AllowStale:
		return "stale", nil
	case q.RequireConsistent:
		mode = "consistent"
	}
	if s.raft.State() != raft.Leader {
		return "", s.noLeaderError()
	}
	// A leader fresh from a restart or an election has not yet applied the
	// entries committed before its term; until its barrier is through, its
	// store may be behind, so it does not answer as the leader yet.
	if !s.consistentReady.Load() {
		return "", api.ErrNoLeader
	}
	return mode, s.confirmRead(ctx, mode)
}

// confirmRead makes sure this server leads at the moment a read in mode
// is answered.
func (s *Server) confirmRead(ctx context.Context, mode string) error {
	switch {
	case mode == "stale":
		return nil
	case mode == "leader" && s.cfg.ReadFault == ReadFaultNoLease:
		return nil // the fault on purpose: answer as Concord did before the lease
	}
	return s.lease.confirm(ctx, mode == "consistent")
}

// blockingQuery runs fn under q's consistency mode and, when q.MinQueryIndex
// is set, re-runs it each time its WatchSet fires until the index passes
// MinQueryIndex or the wait (plus jitter) ends. It fills m for the reply.
// A timeout is not an error: the caller answers with the current result.
// A result read after waking is confirmed again before it is answered, as
// leadership may have moved while the query slept.
func (s *Server) blockingQuery(ctx context.Context, q *api.QueryOptions, m *api.QueryMeta, fn queryFn) error {
	mode, err := s.checkRead(ctx, q)
	if err != nil {
		return err
	}
	wait := ctx
	if q.MinQueryIndex > 0 {
		var cancel context.CancelFunc
		wait, cancel = context.WithTimeout(ctx, blockingWait(q.MaxQueryTime))
		defer cancel()
	}
	var prev *state.Store // the store the last run read
	for woken := false; ; woken = true {
		st := s.fsm.State()
		var ws memdb.WatchSet // nil, which ignores Adds, unless the read blocks
		if q.MinQueryIndex > 0 {
			ws = memdb.NewWatchSet()
			ws.Add(st.AbandonCh())
		}
		idx, err := fn(ws, st)
		m.LastIndex = max(idx, 1) // never 0, so clients cannot spin
		// A snapshot restore replaced the store: answer at once, even when
		// the restored index is lower (clients reset theirs then, as with
		// Consul), rather than sleep on data that has changed.
		restored := prev != nil && st != prev
		prev = st
		done := err != nil || q.MinQueryIndex == 0 || m.LastIndex > q.MinQueryIndex || restored
		if !done && ws.WatchCtx(wait) == nil {
			continue
		}
		if woken && err == nil {
			if err := s.confirmRead(ctx, mode); err != nil {
				return err
			}
		}
		s.fillMeta(m, mode)
		return err
	}
}

// blockingWait turns ?wait into the time to block: the default when unset,
// capped at the maximum, plus up to 1/16 random jitter so that watchers
// started together do not all return together.
func blockingWait(wait time.Duration) time.Duration {
	if wait <= 0 {
		wait = call.DefaultQueryTime
	}
	wait = min(wait, call.MaxQueryTime)
	if j := int64(wait / jitterFraction); j > 0 {
		wait += time.Duration(rand.Int64N(j))
	}
	return wait
}

// fillMeta sets the leader fields of m.
func (s *Server) fillMeta(m *api.QueryMeta, mode string) {
	m.Consistency = mode
	m.KnownLeader = s.Leader() != ""
	if s.raft.State() == raft.Leader {
		m.LastContact = 0
		return
	}
	if last := s.raft.LastContact(); !last.IsZero() {
		m.LastContact = max(time.Since(last), 0)
	}
}

// query runs read under blockingQuery and returns its result: the common
// shape of every single-value read endpoint.
func query[T any](ctx context.Context, s *Server, q *api.QueryOptions,
	read func(memdb.WatchSet, *state.Store) (uint64, T, error)) (T, api.QueryMeta, error) {
	var m api.QueryMeta
	var out T
	err := s.blockingQuery(ctx, q, &m, func(ws memdb.WatchSet, st *state.Store) (uint64, error) {
		idx, v, err := read(ws, st)
		out = v
		return idx, err
	})
	return out, m, err
}
