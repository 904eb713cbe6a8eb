package server

import (
	"context"
	"errors"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/rpc"
	"github.com/hashicorp/raft"
)

// holdTimeout is how long a call waits for a leader during an election
// before it answers "No cluster leader".
const holdTimeout = 5 * time.Second

// Endpoint is the server as agents use it: each call is answered here or,
// when it needs the leader and this server is not it, forwarded there.
// Writes, default and ?consistent reads need the leader; ?stale reads are
// answered by any server from its own state.
func (s *Server) Endpoint() rpc.Store { return endpoint{s} }

type endpoint struct{ s *Server }

// target returns where a call goes: this server, or the leader. A call
// arriving mid-election waits for the new leader up to holdTimeout.
func (e endpoint) target(ctx context.Context, stale bool) (rpc.Store, error) {
	s := e.s
	if stale {
		return s, nil
	}
	deadline := time.Now().Add(holdTimeout)
	for {
		// A new leader answers once its barrier is through (consistentReady);
		// until then a call waits here rather than failing.
		if s.raft.State() == raft.Leader && s.consistentReady.Load() {
			return s, nil
		}
		if addr := s.Leader(); addr != "" && addr != s.RaftAddr() && s.raft.State() != raft.Leader {
			return rpc.Client{Caller: leaderCaller{s}}, nil
		}
		if time.Now().After(deadline) {
			return nil, api.ErrNoLeader
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-s.shutdownCh:
			return nil, api.ErrShuttingDown
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// read returns where a read with q goes: this server for ?stale (unless
// it has not heard from the leader within ?max_stale), else the leader.
func (e endpoint) read(ctx context.Context, q *api.QueryOptions) (rpc.Store, error) {
	if e.s.cfg.ReadFault == ReadFaultStaleDefault && q != nil && !q.RequireConsistent {
		q.AllowStale = true // a fault on purpose, for test/chaos only: see Config.ReadFault
	}
	return e.target(ctx, q != nil && q.AllowStale && !e.s.tooStale(q.MaxStale))
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

func (e endpoint) write(ctx context.Context) (rpc.Store, error) { return e.target(ctx, false) }

// settle runs call and, while it fails with errUnconfirmed (this server
// answered as leader, but a quorum no longer follows it), runs it again
// until Raft has noticed and call goes to the new leader, for up to
// holdTimeout. An unconfirmed call did nothing, so running it again is safe.
func settle[T any](ctx context.Context, e endpoint, call func() (T, error)) (T, error) {
	deadline := time.Now().Add(holdTimeout)
	for {
		v, err := call()
		if !errors.Is(err, errUnconfirmed) || time.Now().After(deadline) {
			return v, err
		}
		select {
		case <-ctx.Done():
			return v, ctx.Err()
		case <-e.s.shutdownCh:
			return v, api.ErrShuttingDown
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// readVia runs a read on the server that must answer it (see read).
func readVia[T any](ctx context.Context, e endpoint, q *api.QueryOptions,
	call func(rpc.Store) (T, api.QueryMeta, error)) (T, api.QueryMeta, error) {
	var m api.QueryMeta
	v, err := settle(ctx, e, func() (T, error) {
		var zero T
		t, err := e.read(ctx, q)
		if err != nil {
			return zero, err
		}
		var v T
		v, m, err = call(t)
		return v, err
	})
	return v, m, err
}

// writeVia runs a write on the leader.
func writeVia[T any](ctx context.Context, e endpoint, call func(rpc.Store) (T, error)) (T, error) {
	return settle(ctx, e, func() (T, error) {
		t, err := e.write(ctx)
		if err != nil {
			var zero T
			return zero, err
		}
		return call(t)
	})
}

// leaderCaller sends calls to whoever leads now. A read that fails on the
// way (the leader died) is tried again on the next leader; a write is only
// retried when it was never sent.
type leaderCaller struct{ s *Server }

func (c leaderCaller) Call(ctx context.Context, method string, read bool, args, out any) error {
	deadline := time.Now().Add(holdTimeout)
	for {
		addr := c.s.Leader()
		var err error
		switch {
		case addr == "":
			err = api.ErrNoLeader
		case addr == c.s.RaftAddr():
			// We lead now; the local handler answers.
			return rpc.NewLocalCall(c.s.Endpoint()).Call(ctx, method, read, args, out)
		case !c.s.pool.Reachable(addr):
			err = api.ErrNoLeader // not sent: safe to wait for another leader
		default:
			err = c.s.pool.Call(ctx, addr, method, args, out)
			if !rpc.IsTransport(err) || (!read && !rpc.NotSent(err)) {
				return err
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.s.shutdownCh:
			return api.ErrShuttingDown
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (e endpoint) KVApply(ctx context.Context, op *api.KVTxnOp) (bool, error) {
	return writeVia(ctx, e, func(t rpc.Store) (bool, error) { return t.KVApply(ctx, op) })
}

func (e endpoint) KVGet(ctx context.Context, q *api.QueryOptions, key string) (*api.KVPair, api.QueryMeta, error) {
	return readVia(ctx, e, q, func(t rpc.Store) (*api.KVPair, api.QueryMeta, error) { return t.KVGet(ctx, q, key) })
}

func (e endpoint) KVList(ctx context.Context, q *api.QueryOptions, prefix string) ([]*api.KVPair, api.QueryMeta, error) {
	return readVia(ctx, e, q, func(t rpc.Store) ([]*api.KVPair, api.QueryMeta, error) { return t.KVList(ctx, q, prefix) })
}

func (e endpoint) KVKeys(ctx context.Context, q *api.QueryOptions, prefix, sep string) ([]string, api.QueryMeta, error) {
	return readVia(ctx, e, q, func(t rpc.Store) ([]string, api.QueryMeta, error) { return t.KVKeys(ctx, q, prefix, sep) })
}

func (e endpoint) Txn(ctx context.Context, q *api.QueryOptions, ops []api.KVTxnOp) (*api.TxnResponse, api.QueryMeta, error) {
	var m api.QueryMeta
	v, err := settle(ctx, e, func() (*api.TxnResponse, error) {
		stale := q != nil && q.AllowStale && rpc.TxnReadOnly(ops) && !e.s.tooStale(q.MaxStale)
		t, err := e.target(ctx, stale)
		if err != nil {
			return nil, err
		}
		var v *api.TxnResponse
		v, m, err = t.Txn(ctx, q, ops)
		return v, err
	})
	return v, m, err
}

func (e endpoint) SessionCreate(ctx context.Context, sess *api.SessionEntry) (string, error) {
	return writeVia(ctx, e, func(t rpc.Store) (string, error) { return t.SessionCreate(ctx, sess) })
}

func (e endpoint) SessionDestroy(ctx context.Context, id string) error {
	_, err := writeVia(ctx, e, func(t rpc.Store) (struct{}, error) { return struct{}{}, t.SessionDestroy(ctx, id) })
	return err
}

func (e endpoint) SessionRenew(ctx context.Context, id string) (*api.SessionEntry, error) {
	return writeVia(ctx, e, func(t rpc.Store) (*api.SessionEntry, error) { return t.SessionRenew(ctx, id) })
}

func (e endpoint) SessionInfo(ctx context.Context, q *api.QueryOptions, id string) ([]*api.SessionEntry, api.QueryMeta, error) {
	return readVia(ctx, e, q, func(t rpc.Store) ([]*api.SessionEntry, api.QueryMeta, error) { return t.SessionInfo(ctx, q, id) })
}

func (e endpoint) SessionList(ctx context.Context, q *api.QueryOptions, node string) ([]*api.SessionEntry, api.QueryMeta, error) {
	return readVia(ctx, e, q, func(t rpc.Store) ([]*api.SessionEntry, api.QueryMeta, error) { return t.SessionList(ctx, q, node) })
}

func (e endpoint) CatalogRegister(ctx context.Context, req *api.CatalogRegistration) error {
	_, err := writeVia(ctx, e, func(t rpc.Store) (struct{}, error) { return struct{}{}, t.CatalogRegister(ctx, req) })
	return err
}

func (e endpoint) CatalogDeregister(ctx context.Context, req *api.CatalogDeregistration) error {
	_, err := writeVia(ctx, e, func(t rpc.Store) (struct{}, error) { return struct{}{}, t.CatalogDeregister(ctx, req) })
	return err
}

func (e endpoint) CatalogNodes(ctx context.Context, q *api.QueryOptions) ([]*api.Node, api.QueryMeta, error) {
	return readVia(ctx, e, q, func(t rpc.Store) ([]*api.Node, api.QueryMeta, error) { return t.CatalogNodes(ctx, q) })
}

func (e endpoint) NodeChecks(ctx context.Context, q *api.QueryOptions, node string) ([]*api.HealthCheck, api.QueryMeta, error) {
	return readVia(ctx, e, q, func(t rpc.Store) ([]*api.HealthCheck, api.QueryMeta, error) { return t.NodeChecks(ctx, q, node) })
}

func (e endpoint) CatalogServices(ctx context.Context, q *api.QueryOptions) (map[string][]string, api.QueryMeta, error) {
	return readVia(ctx, e, q, func(t rpc.Store) (map[string][]string, api.QueryMeta, error) { return t.CatalogServices(ctx, q) })
}

func (e endpoint) CatalogService(ctx context.Context, q *api.QueryOptions, service string, tags []string) ([]*api.CatalogService, api.QueryMeta, error) {
	return readVia(ctx, e, q, func(t rpc.Store) ([]*api.CatalogService, api.QueryMeta, error) {
		return t.CatalogService(ctx, q, service, tags)
	})
}

func (e endpoint) CatalogNode(ctx context.Context, q *api.QueryOptions, node string) (*api.CatalogNode, api.QueryMeta, error) {
	return readVia(ctx, e, q, func(t rpc.Store) (*api.CatalogNode, api.QueryMeta, error) { return t.CatalogNode(ctx, q, node) })
}

func (e endpoint) HealthService(ctx context.Context, q *api.QueryOptions, service string, tags []string, passingOnly bool) ([]*api.ServiceEntry, api.QueryMeta, error) {
	return readVia(ctx, e, q, func(t rpc.Store) ([]*api.ServiceEntry, api.QueryMeta, error) {
		return t.HealthService(ctx, q, service, tags, passingOnly)
	})
}

func (e endpoint) HealthChecks(ctx context.Context, q *api.QueryOptions, service string) ([]*api.HealthCheck, api.QueryMeta, error) {
	return readVia(ctx, e, q, func(t rpc.Store) ([]*api.HealthCheck, api.QueryMeta, error) { return t.HealthChecks(ctx, q, service) })
}

func (e endpoint) HealthState(ctx context.Context, q *api.QueryOptions, status string) ([]*api.HealthCheck, api.QueryMeta, error) {
	return readVia(ctx, e, q, func(t rpc.Store) ([]*api.HealthCheck, api.QueryMeta, error) { return t.HealthState(ctx, q, status) })
}

func (e endpoint) StreamAppend(ctx context.Context, topic string, value []byte) (uint64, error) {
	return writeVia(ctx, e, func(t rpc.Store) (uint64, error) { return t.StreamAppend(ctx, topic, value) })
}

func (e endpoint) StreamRead(ctx context.Context, q *api.QueryOptions, topic string, after uint64, limit int) ([]*api.StreamMessage, api.QueryMeta, error) {
	return readVia(ctx, e, q, func(t rpc.Store) ([]*api.StreamMessage, api.QueryMeta, error) {
		return t.StreamRead(ctx, q, topic, after, limit)
	})
}

func (e endpoint) RaftConfiguration(ctx context.Context, q *api.QueryOptions) (*api.RaftConfiguration, api.QueryMeta, error) {
	return readVia(ctx, e, q, func(t rpc.Store) (*api.RaftConfiguration, api.QueryMeta, error) { return t.RaftConfiguration(ctx, q) })
}

func (e endpoint) RaftRemovePeer(ctx context.Context, id, address string) error {
	_, err := writeVia(ctx, e, func(t rpc.Store) (struct{}, error) { return struct{}{}, t.RaftRemovePeer(ctx, id, address) })
	return err
}

// Leader and Peers are this server's own view (any server answers them).
func (e endpoint) Leader() string           { return e.s.Leader() }
func (e endpoint) Peers() ([]string, error) { return e.s.Peers() }
