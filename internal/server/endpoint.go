package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
	"github.com/concordhq/concord/internal/rpc"
	"github.com/hashicorp/raft"
)

// holdTimeout is how long a call waits for a leader during an election
// before it answers "No cluster leader".
const holdTimeout = 5 * time.Second

// Endpoint is the server as agents use it: a call.Caller that runs the
// hooks on each call, then answers it here or, when it needs the leader
// and this server is not it, forwards it there. Writes, default and
// ?consistent reads need the leader; ?stale reads are answered by any
// server from its own state, and Local calls by this one.
func (s *Server) Endpoint() call.Caller { return endpoint{s} }

type endpoint struct{ s *Server }

var _ call.Caller = endpoint{}

// Call runs the call d with args (its *A) into out (its *R).
// The request rate limits (ratelimit.go) decide first; a call made in
// another datacenter then goes there (dcrouter.go). Else the hooks
// (access control: see acl_enforce.go) decide, and their filter runs on
// the result before it is answered.
func (e endpoint) Call(ctx context.Context, d *call.Desc, args, out any) error {
	if err := e.s.limiter.allow(d, args, e.s.IsLeader, e.s.logger); err != nil {
		return err
	}
	if dc := call.DatacenterFrom(ctx); e.s.remote(dc) {
		return e.s.forwardDC(ctx, dc, d, args, out)
	}
	filter, err := e.s.hooks().Check(ctx, d, args)
	if err != nil {
		return err
	}
	if err := e.call(ctx, d, args, out); err != nil || filter == nil {
		return err
	}
	return filter(ctx, out)
}

// call answers the call here or at the leader.
func (e endpoint) call(ctx context.Context, d *call.Desc, args, out any) error {
	if d.Kind == call.Local {
		return e.s.table.Call(ctx, d, args, out)
	}
	stale := d.IsRead(args) && e.stale(args)
	return e.settle(ctx, func() error {
		local, err := e.target(ctx, stale)
		if err != nil {
			return err
		}
		if local {
			return e.s.table.Call(ctx, d, args, out)
		}
		return leaderCaller(e).Call(ctx, d, args, out)
	})
}

// stale reports whether a read with args may be answered here: ?stale,
// unless this server has not heard from the leader within ?max_stale.
func (e endpoint) stale(args any) bool {
	qa, ok := args.(call.Queried)
	if !ok {
		return false
	}
	q := qa.Options()
	if e.s.cfg.ReadFault == ReadFaultStaleDefault && !q.RequireConsistent {
		q.AllowStale = true // a fault on purpose, for test/chaos only: see Config.ReadFault
	}
	return q.AllowStale && !e.s.tooStale(q.MaxStale)
}

// tooStale reports whether this server, a follower, last heard from the
// leader longer than maxStale ago (never, when maxStale is 0).
func (s *Server) tooStale(maxStale time.Duration) bool {
	if maxStale <= 0 || s.raft.State() == raft.Leader {
		return false
	}
	last := s.raft.LastContact()
	return last.IsZero() || time.Since(last) > maxStale
}

// target says where a call goes: this server (true), or the leader. A call
// arriving mid-election waits for the new leader up to holdTimeout.
func (e endpoint) target(ctx context.Context, stale bool) (bool, error) {
	s := e.s
	if stale {
		return true, nil
	}
	deadline := time.Now().Add(holdTimeout)
	for {
		// A new leader answers once its barrier is through (consistentReady);
		// until then a call waits here rather than failing.
		if s.raft.State() == raft.Leader && s.consistentReady.Load() {
			return true, nil
		}
		if addr := s.Leader(); addr != "" && addr != s.RaftAddr() && s.raft.State() != raft.Leader {
			return false, nil
		}
		if time.Now().After(deadline) {
			return false, api.ErrNoLeader
		}
		if err := e.s.sleep(ctx, 10*time.Millisecond); err != nil {
			return false, err
		}
	}
}

// settle runs fn and, while it fails with errUnconfirmed (this server
// answered as leader, but a quorum no longer follows it), runs it again
// until Raft has noticed and the call goes to the new leader, for up to
// holdTimeout. An unconfirmed call did nothing, so running it again is safe.
func (e endpoint) settle(ctx context.Context, fn func() error) error {
	deadline := time.Now().Add(holdTimeout)
	for {
		err := fn()
		if !errors.Is(err, errUnconfirmed) || time.Now().After(deadline) {
			return err
		}
		if err := e.s.sleep(ctx, 10*time.Millisecond); err != nil {
			return err
		}
	}
}

// sleep waits d, or until ctx ends or the server shuts down.
func (s *Server) sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-s.shutdownCh:
		return api.ErrShuttingDown
	case <-time.After(d):
		return nil
	}
}

// leaderCaller sends calls to whoever leads now. A read that fails on the
// way (the leader died) is tried again on the next leader; a write is only
// retried when it was never sent.
type leaderCaller struct{ s *Server }

func (c leaderCaller) Call(ctx context.Context, d *call.Desc, args, out any) error {
	read := d.IsRead(args)
	deadline := time.Now().Add(holdTimeout)
	for {
		addr := c.s.Leader()
		var err error
		switch {
		case addr == "":
			err = api.ErrNoLeader
		case addr == c.s.RaftAddr() && c.s.raft.State() == raft.Leader && c.s.consistentReady.Load():
			// We lead now: our own implementation answers, in process.
			return c.s.table.Call(ctx, d, args, out)
		case addr == c.s.RaftAddr():
			err = api.ErrNoLeader // leading, but the barrier is not through yet
		case !c.s.pool.Reachable(addr):
			err = api.ErrNoLeader // not sent: safe to wait for another leader
		default:
			err = c.s.pool.Call(ctx, addr, d.Name, args, out)
			if !rpc.IsTransport(err) || (!read && !rpc.NotSent(err)) {
				return err
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		if err := c.s.sleep(ctx, 20*time.Millisecond); err != nil {
			return err
		}
	}
}

// dispatch answers a call received over the wire.
func (s *Server) dispatch(ctx context.Context, method string, raw json.RawMessage) (any, error) {
	d := call.Lookup(method)
	if d == nil {
		return nil, fmt.Errorf("rpc: unknown call %q", method)
	}
	args, err := d.DecodeArgs(raw)
	if err != nil {
		return nil, err
	}
	out := d.NewResult()
	if err := s.Endpoint().Call(ctx, d, args, out); err != nil {
		return nil, err
	}
	return out, nil
}
