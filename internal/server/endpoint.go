package server

import (
	"context"
	"fmt"
	"os"
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

func (e endpoint) read(ctx context.Context, q *api.QueryOptions) (rpc.Store, error) {
	if unsafeStaleDefault && q != nil && !q.RequireConsistent {
		q.AllowStale = true // a fault on purpose, for test/chaos only: see unsafeStaleDefault
	}
	return e.target(ctx, q != nil && q.AllowStale)
}

// unsafeStaleDefault breaks default reads on purpose, for one test only:
// test/chaos starts servers with CONCORD_TEST_UNSAFE_STALE_DEFAULT=1 to show
// that its linearizability checker catches stale reads. With it, a default
// read is answered from the local store as if ?stale were given, which is
// not linearizable. It is read once, at process start, and announced on
// stderr; nothing else sets it.
var unsafeStaleDefault = os.Getenv("CONCORD_TEST_UNSAFE_STALE_DEFAULT") == "1"

func init() {
	if unsafeStaleDefault {
		fmt.Fprintln(os.Stderr, "WARNING: CONCORD_TEST_UNSAFE_STALE_DEFAULT=1: default reads are served stale (test fault)")
	}
}

func (e endpoint) write(ctx context.Context) (rpc.Store, error) { return e.target(ctx, false) }

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
	t, err := e.write(ctx)
	if err != nil {
		return false, err
	}
	return t.KVApply(ctx, op)
}

func (e endpoint) KVGet(ctx context.Context, q *api.QueryOptions, key string) (*api.KVPair, api.QueryMeta, error) {
	t, err := e.read(ctx, q)
	if err != nil {
		return nil, api.QueryMeta{}, err
	}
	return t.KVGet(ctx, q, key)
}

func (e endpoint) KVList(ctx context.Context, q *api.QueryOptions, prefix string) ([]*api.KVPair, api.QueryMeta, error) {
	t, err := e.read(ctx, q)
	if err != nil {
		return nil, api.QueryMeta{}, err
	}
	return t.KVList(ctx, q, prefix)
}

func (e endpoint) KVKeys(ctx context.Context, q *api.QueryOptions, prefix, sep string) ([]string, api.QueryMeta, error) {
	t, err := e.read(ctx, q)
	if err != nil {
		return nil, api.QueryMeta{}, err
	}
	return t.KVKeys(ctx, q, prefix, sep)
}

func (e endpoint) Txn(ctx context.Context, q *api.QueryOptions, ops []api.KVTxnOp) (*api.TxnResponse, api.QueryMeta, error) {
	t, err := e.target(ctx, q != nil && q.AllowStale && rpc.TxnReadOnly(ops))
	if err != nil {
		return nil, api.QueryMeta{}, err
	}
	return t.Txn(ctx, q, ops)
}

func (e endpoint) SessionCreate(ctx context.Context, sess *api.SessionEntry) (string, error) {
	t, err := e.write(ctx)
	if err != nil {
		return "", err
	}
	return t.SessionCreate(ctx, sess)
}

func (e endpoint) SessionDestroy(ctx context.Context, id string) error {
	t, err := e.write(ctx)
	if err != nil {
		return err
	}
	return t.SessionDestroy(ctx, id)
}

func (e endpoint) SessionRenew(ctx context.Context, id string) (*api.SessionEntry, error) {
	t, err := e.write(ctx)
	if err != nil {
		return nil, err
	}
	return t.SessionRenew(ctx, id)
}

func (e endpoint) SessionInfo(ctx context.Context, q *api.QueryOptions, id string) ([]*api.SessionEntry, api.QueryMeta, error) {
	t, err := e.read(ctx, q)
	if err != nil {
		return nil, api.QueryMeta{}, err
	}
	return t.SessionInfo(ctx, q, id)
}

func (e endpoint) SessionList(ctx context.Context, q *api.QueryOptions, node string) ([]*api.SessionEntry, api.QueryMeta, error) {
	t, err := e.read(ctx, q)
	if err != nil {
		return nil, api.QueryMeta{}, err
	}
	return t.SessionList(ctx, q, node)
}

func (e endpoint) CatalogRegister(ctx context.Context, req *api.CatalogRegistration) error {
	t, err := e.write(ctx)
	if err != nil {
		return err
	}
	return t.CatalogRegister(ctx, req)
}

func (e endpoint) CatalogDeregister(ctx context.Context, req *api.CatalogDeregistration) error {
	t, err := e.write(ctx)
	if err != nil {
		return err
	}
	return t.CatalogDeregister(ctx, req)
}

func (e endpoint) CatalogNodes(ctx context.Context, q *api.QueryOptions) ([]*api.Node, api.QueryMeta, error) {
	t, err := e.read(ctx, q)
	if err != nil {
		return nil, api.QueryMeta{}, err
	}
	return t.CatalogNodes(ctx, q)
}

func (e endpoint) NodeChecks(ctx context.Context, q *api.QueryOptions, node string) ([]*api.HealthCheck, api.QueryMeta, error) {
	t, err := e.read(ctx, q)
	if err != nil {
		return nil, api.QueryMeta{}, err
	}
	return t.NodeChecks(ctx, q, node)
}

func (e endpoint) CatalogServices(ctx context.Context, q *api.QueryOptions) (map[string][]string, api.QueryMeta, error) {
	t, err := e.read(ctx, q)
	if err != nil {
		return nil, api.QueryMeta{}, err
	}
	return t.CatalogServices(ctx, q)
}

func (e endpoint) CatalogService(ctx context.Context, q *api.QueryOptions, service string, tags []string) ([]*api.CatalogService, api.QueryMeta, error) {
	t, err := e.read(ctx, q)
	if err != nil {
		return nil, api.QueryMeta{}, err
	}
	return t.CatalogService(ctx, q, service, tags)
}

func (e endpoint) CatalogNode(ctx context.Context, q *api.QueryOptions, node string) (*api.CatalogNode, api.QueryMeta, error) {
	t, err := e.read(ctx, q)
	if err != nil {
		return nil, api.QueryMeta{}, err
	}
	return t.CatalogNode(ctx, q, node)
}

func (e endpoint) HealthService(ctx context.Context, q *api.QueryOptions, service string, tags []string, passingOnly bool) ([]*api.ServiceEntry, api.QueryMeta, error) {
	t, err := e.read(ctx, q)
	if err != nil {
		return nil, api.QueryMeta{}, err
	}
	return t.HealthService(ctx, q, service, tags, passingOnly)
}

func (e endpoint) HealthChecks(ctx context.Context, q *api.QueryOptions, service string) ([]*api.HealthCheck, api.QueryMeta, error) {
	t, err := e.read(ctx, q)
	if err != nil {
		return nil, api.QueryMeta{}, err
	}
	return t.HealthChecks(ctx, q, service)
}

func (e endpoint) HealthState(ctx context.Context, q *api.QueryOptions, status string) ([]*api.HealthCheck, api.QueryMeta, error) {
	t, err := e.read(ctx, q)
	if err != nil {
		return nil, api.QueryMeta{}, err
	}
	return t.HealthState(ctx, q, status)
}

func (e endpoint) StreamAppend(ctx context.Context, topic string, value []byte) (uint64, error) {
	t, err := e.write(ctx)
	if err != nil {
		return 0, err
	}
	return t.StreamAppend(ctx, topic, value)
}

func (e endpoint) StreamRead(ctx context.Context, q *api.QueryOptions, topic string, after uint64, limit int) ([]*api.StreamMessage, api.QueryMeta, error) {
	t, err := e.read(ctx, q)
	if err != nil {
		return nil, api.QueryMeta{}, err
	}
	return t.StreamRead(ctx, q, topic, after, limit)
}

func (e endpoint) RaftConfiguration(ctx context.Context, q *api.QueryOptions) (*api.RaftConfiguration, api.QueryMeta, error) {
	t, err := e.read(ctx, q)
	if err != nil {
		return nil, api.QueryMeta{}, err
	}
	return t.RaftConfiguration(ctx, q)
}

func (e endpoint) RaftRemovePeer(ctx context.Context, id, address string) error {
	t, err := e.write(ctx)
	if err != nil {
		return err
	}
	return t.RaftRemovePeer(ctx, id, address)
}

// Leader and Peers are this server's own view (any server answers them).
func (e endpoint) Leader() string           { return e.s.Leader() }
func (e endpoint) Peers() ([]string, error) { return e.s.Peers() }
