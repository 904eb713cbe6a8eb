package server

import (
	"context"
	"fmt"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/fsm"
	"github.com/concordhq/concord/internal/state"
	"github.com/hashicorp/go-memdb"
)

// KVApply performs one KV write through Raft and reports whether it took
// effect (false for a CAS mismatch). op.Verb must be a write verb.
func (s *Server) KVApply(_ context.Context, op *api.KVTxnOp) (bool, error) {
	return s.raftApplyBool(fsm.EncodeKV(op, time.Now()), "KV")
}

// KVGet reads one key; nil when missing. The returned pair belongs to the
// store: callers must not change it.
func (s *Server) KVGet(ctx context.Context, q *api.QueryOptions, key string) (*api.KVPair, api.QueryMeta, error) {
	return query(ctx, s, q, func(ws memdb.WatchSet, st *state.Store) (uint64, *api.KVPair, error) {
		return st.KVGet(ws, key)
	})
}

// KVList reads every key under prefix. The pairs belong to the store.
func (s *Server) KVList(ctx context.Context, q *api.QueryOptions, prefix string) ([]*api.KVPair, api.QueryMeta, error) {
	return query(ctx, s, q, func(ws memdb.WatchSet, st *state.Store) (uint64, []*api.KVPair, error) {
		return st.KVList(ws, prefix)
	})
}

// KVKeys lists the keys under prefix, folded at separator when one is given.
func (s *Server) KVKeys(ctx context.Context, q *api.QueryOptions, prefix, sep string) ([]string, api.QueryMeta, error) {
	return query(ctx, s, q, func(ws memdb.WatchSet, st *state.Store) (uint64, []string, error) {
		return st.KVKeys(ws, prefix, sep)
	})
}

// Txn runs a transaction: ops, its KV operations, or catalog, the whole
// request when it holds node, service or check operations. One made only
// of reads is answered from the state store under q's consistency mode,
// without Raft; any write sends the whole transaction through Raft.
func (s *Server) Txn(ctx context.Context, q *api.QueryOptions, ops []api.KVTxnOp, catalog []api.TxnOp) (*api.TxnResponse, api.QueryMeta, error) {
	var m api.QueryMeta
	readOnly := true
	for i := range ops {
		readOnly = readOnly && ops[i].Verb.IsRead()
	}
	for i := range catalog {
		readOnly = readOnly && catalog[i].ReadOnly()
	}
	if readOnly {
		var resp api.TxnResponse
		err := s.blockingQuery(ctx, &api.QueryOptions{
			Datacenter: q.Datacenter, AllowStale: q.AllowStale, RequireConsistent: q.RequireConsistent,
		}, &m, func(_ memdb.WatchSet, st *state.Store) (uint64, error) {
			if catalog != nil {
				resp.Results, resp.Errors = st.ReadTxn(catalog)
			} else {
				resp.Results, resp.Errors = st.KVReadTxn(ops)
			}
			return st.MaxIndex(), nil
		})
		return &resp, m, err
	}
	if q.Datacenter != "" && q.Datacenter != s.cfg.Datacenter {
		return nil, m, api.ErrUnknownDC
	}
	for i := range catalog {
		if n := catalog[i].Node; n != nil {
			n.Node.Datacenter = s.cfg.Datacenter // a node is in the datacenter that stores it
		}
	}
	cmd := fsm.EncodeTxn(ops, time.Now())
	if catalog != nil {
		cmd = fsm.EncodeCatalogTxn(catalog, time.Now())
	}
	raw, err := s.raftApply(cmd)
	if err != nil {
		return nil, m, err
	}
	resp, ok := raw.(*api.TxnResponse)
	if !ok {
		return nil, m, fmt.Errorf("server: unexpected txn result %T", raw)
	}
	s.fillMeta(&m, "leader")
	return resp, m, nil
}
