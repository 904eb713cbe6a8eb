package state

import (
	"fmt"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/hashicorp/go-memdb"
)

// KVTxn runs the KV operations of one /v1/txn request inside t, in order.
// As Consul does, it goes on past a failed operation so that the reply
// names every one that failed; with any error the caller must Abort t, so
// that nothing of the transaction is applied.
func (t *Txn) KVTxn(idx uint64, now time.Time, ops []api.KVTxnOp) ([]api.TxnResult, []api.TxnError) {
	return runOps(ops, func(op *api.KVTxnOp) ([]api.TxnResult, error) { return t.kvTxnOp(idx, now, op) })
}

// runOps runs each operation, collecting the results, or when any failed
// only the errors, one per failed operation.
func runOps[T any](ops []T, run func(*T) ([]api.TxnResult, error)) ([]api.TxnResult, []api.TxnError) {
	var results []api.TxnResult
	var errs []api.TxnError
	for i := range ops {
		res, err := run(&ops[i])
		if err != nil {
			errs = append(errs, api.TxnError{OpIndex: i, What: err.Error()})
			continue
		}
		results = append(results, res...)
	}
	if errs != nil {
		return nil, errs
	}
	return results, nil
}

// kvTxnOp applies one operation; errors are user-facing texts.
func (t *Txn) kvTxnOp(idx uint64, now time.Time, op *api.KVTxnOp) ([]api.TxnResult, error) {
	if op.Verb.IsRead() {
		return kvTxnRead(t.tx, t.kvTree(), op)
	}
	switch op.Verb {
	case api.KVSet:
		e := &api.KVPair{Key: op.Key, Flags: op.Flags, Value: op.Value}
		if err := t.KVSet(idx, e); err != nil {
			return nil, err
		}
		return writeResult(e), nil
	case api.KVCAS:
		e := &api.KVPair{Key: op.Key, Flags: op.Flags, Value: op.Value, ModifyIndex: op.Index}
		ok, err := t.KVSetCAS(idx, e)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("failed to set key %q, index is stale", op.Key)
		}
		return writeResult(e), nil
	case api.KVLock:
		if op.Session == "" {
			return nil, fmt.Errorf("failed to lock key %q: missing session", op.Key)
		}
		e := &api.KVPair{Key: op.Key, Flags: op.Flags, Value: op.Value, Session: op.Session}
		ok, err := t.KVLock(idx, now, e)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("failed to lock key %q, lock is already held", op.Key)
		}
		return writeResult(e), nil
	case api.KVUnlock:
		e := &api.KVPair{Key: op.Key, Flags: op.Flags, Value: op.Value, Session: op.Session}
		ok, err := t.KVUnlock(idx, e)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("failed to unlock key %q, lock isn't held, or is held by another session", op.Key)
		}
		return writeResult(e), nil
	case api.KVDelete:
		return nil, t.KVDelete(idx, op.Key)
	case api.KVDeleteTree:
		return nil, t.KVDeleteTree(idx, op.Key)
	case api.KVDeleteCAS:
		ok, err := t.KVDeleteCAS(idx, op.Index, op.Key)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("failed to delete key %q, index is stale", op.Key)
		}
		return nil, nil
	}
	return nil, fmt.Errorf("unknown KV verb %q", op.Verb)
}

// writeResult is what a write adds to the results: the entry without its
// value, as Consul sends it, to keep replies small.
func writeResult(e *api.KVPair) []api.TxnResult {
	c := *e
	c.Value = nil
	return []api.TxnResult{{KV: &c}}
}

// KVReadTxn runs a transaction made only of read operations, without
// Raft, reporting every operation that failed.
func (s *Store) KVReadTxn(ops []api.KVTxnOp) ([]api.TxnResult, []api.TxnError) {
	tx := s.db.Txn(false)
	defer tx.Abort()
	tree := kvTreeOf(tx)
	return runOps(ops, func(op *api.KVTxnOp) ([]api.TxnResult, error) { return kvTxnRead(tx, tree, op) })
}

// kvTxnRead runs one read or check operation on tree, which tx sees.
func kvTxnRead(tx *memdb.Txn, tree *kvTree, op *api.KVTxnOp) ([]api.TxnResult, error) {
	if op.Verb == api.KVGetTree {
		var res []api.TxnResult
		_, err := kvWalk(tx, tree, nil, op.Key, func(e *api.KVPair) {
			res = append(res, api.TxnResult{KV: e})
		})
		return res, err
	}
	e := tree.get(op.Key)
	switch op.Verb {
	case api.KVGet:
		if e == nil {
			return nil, fmt.Errorf("key %q doesn't exist", op.Key)
		}
		return []api.TxnResult{{KV: e}}, nil
	case api.KVGetOrEmpty:
		if e == nil {
			e = &api.KVPair{Key: op.Key}
		}
		return []api.TxnResult{{KV: e}}, nil
	case api.KVCheckIndex:
		if e == nil || e.ModifyIndex != op.Index {
			var cur uint64
			if e != nil {
				cur = e.ModifyIndex
			}
			return nil, fmt.Errorf("failed index check for key %q, current modify index %d != %d", op.Key, cur, op.Index)
		}
		return nil, nil
	case api.KVCheckSession:
		if e == nil || e.Session != op.Session {
			var cur string
			if e != nil {
				cur = e.Session
			}
			return nil, fmt.Errorf("failed session check for key %q, current session %q != %q", op.Key, cur, op.Session)
		}
		return nil, nil
	case api.KVCheckNotExists:
		if e != nil {
			return nil, fmt.Errorf("key %q exists", op.Key)
		}
		return nil, nil
	}
	return nil, fmt.Errorf("unknown KV verb %q", op.Verb)
}
