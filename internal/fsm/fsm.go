// Package fsm is Concord's Raft state machine: it decodes committed log
// entries and applies them to the state store.
//
// Flow of a write:
//  1. the server encodes a command (EncodeKV, EncodeTxn, ...) whose first
//     byte is its MessageType, and hands it to raft.Apply;
//  2. once a quorum has it on disk, Raft calls ApplyBatch with a run of
//     committed entries;
//  3. ApplyBatch applies plain writes of the run in one state-store
//     transaction (one memdb commit and one wake-up of watchers for many
//     writes), and each /v1/txn request, catalog registration or catalog
//     batch in a transaction of its own, so one that fails part way rolls
//     back alone;
//  4. each entry's result goes back to its caller through the ApplyFuture.
//
// Apply is deterministic: it reads no clock, no randomness and no map order.
// A payload that does not decode is a corrupt log and panics; a failure the
// user caused (a CAS mismatch, a failed txn check) is a returned value.
package fsm

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/state"
	"github.com/hashicorp/raft"
)

// FSM applies Raft entries to a state.Store. Raft calls Apply, ApplyBatch,
// Snapshot and Restore from one goroutine; State may be called from any.
type FSM struct {
	logger *slog.Logger
	state  atomic.Pointer[state.Store] // non-nil; swapped by Restore
}

var _ raft.BatchingFSM = (*FSM)(nil)

// New returns an FSM over an empty store.
func New(logger *slog.Logger) *FSM {
	f := &FSM{logger: logger}
	f.state.Store(state.New())
	return f
}

// State returns the current store. Hold on to it only for one read: a
// restore replaces it (and closes its AbandonCh).
func (f *FSM) State() *state.Store { return f.state.Load() }

// Apply applies one entry.
func (f *FSM) Apply(l *raft.Log) any { return f.ApplyBatch([]*raft.Log{l})[0] }

// ApplyBatch applies committed entries in order and returns one result per
// entry: a bool for KV writes (false when a CAS did not match), a
// *api.TxnResponse for transactions, an error for failures.
func (f *FSM) ApplyBatch(logs []*raft.Log) []any {
	st := f.State()
	results := make([]any, len(logs))
	var tx *state.Txn // the open transaction for plain writes, or nil
	for i, l := range logs {
		if l.Type != raft.LogCommand || len(l.Data) == 0 {
			continue
		}
		flagged, now, body, err := splitCommand(l.Data)
		if err != nil {
			panic(fmt.Sprintf("fsm: cannot decode command at index %d: %v", l.Index, err))
		}
		// The ignore flag only tells servers that do not know the type that
		// they may skip it; servers that know it apply it as usual.
		typ := flagged &^ IgnoreUnknownFlag
		if typ == TxnType || typ == CatalogTxnType {
			if tx != nil {
				tx.Commit()
				tx = nil
			}
			results[i] = applyTxn(st, l.Index, now, typ, body)
			continue
		}
		if typ == CatalogBatchType {
			if tx != nil {
				tx.Commit()
				tx = nil
			}
			results[i] = applyCatalogBatch(st, l.Index, now, body)
			continue
		}
		if typ == RegisterType {
			// A registration may fail part way (a check naming a missing
			// service): it gets a transaction of its own, dropped on error.
			if tx != nil {
				tx.Commit()
				tx = nil
			}
			own := st.WriteTxn()
			res := f.applyWrite(own, l.Index, now, typ, false, body)
			if err, _ := res.(error); err != nil {
				own.Abort()
			} else {
				own.Commit()
			}
			results[i] = res
			continue
		}
		if tx == nil {
			tx = st.WriteTxn()
		}
		results[i] = f.applyWrite(tx, l.Index, now, typ, flagged&IgnoreUnknownFlag != 0, body)
	}
	if tx != nil {
		tx.Commit()
	}
	return results
}

// applyWrite applies one command that cannot fail part way, inside tx.
func (f *FSM) applyWrite(tx *state.Txn, idx uint64, now time.Time, typ MessageType, ignorable bool, body []byte) any {
	switch typ {
	case KVType:
		op, err := decodeKV(body)
		if err != nil {
			panic(fmt.Sprintf("fsm: cannot decode KV command at index %d: %v", idx, err))
		}
		return applyKV(tx, idx, now, &op)
	case TombstoneReapType:
		upTo, err := decodeTombstoneReap(body)
		if err != nil {
			panic(fmt.Sprintf("fsm: cannot decode reap command at index %d: %v", idx, err))
		}
		return tx.ReapTombstones(upTo)
	case SessionType:
		var op SessionOp
		decodeJSON(idx, body, &op)
		if op.Op == SessionCreate {
			return tx.SessionCreate(idx, &op.Session)
		}
		return tx.SessionDestroy(idx, now, op.Session.ID)
	case RegisterType:
		var req api.CatalogRegistration
		decodeJSON(idx, body, &req)
		return tx.EnsureRegistration(idx, now, &req)
	case DeregisterType:
		var req api.CatalogDeregistration
		decodeJSON(idx, body, &req)
		return tx.Deregister(idx, now, &req)
	case StreamAppendType:
		var req StreamAppend
		decodeJSON(idx, body, &req)
		return tx.StreamAppend(idx, now, req.Topic, req.Value, req.MaxMessages, req.MaxAge)
	case ACLType:
		return applyACL(tx, idx, now, body)
	case PreparedQueryType:
		return applyPreparedQuery(tx, idx, now, body)
	case CoordinateType:
		return applyCoordinates(tx, idx, now, body)
	case OperatorType:
		return applyOperator(tx, idx, now, body)
	case ConfigEntryType:
		return applyConfigEntry(tx, idx, now, body)
	}
	if ignorable {
		f.logger.Warn("skipping unknown command", "type", uint8(typ), "index", idx)
		return nil
	}
	panic(fmt.Sprintf("fsm: unknown command type %d at index %d", typ, idx))
}

// decodeJSON decodes a JSON command body; a body that does not decode is
// a corrupt log.
func decodeJSON(idx uint64, body []byte, v any) {
	if err := json.Unmarshal(body, v); err != nil {
		panic(fmt.Sprintf("fsm: cannot decode command at index %d: %v", idx, err))
	}
}

// applyKV applies one KV write; the result is whether it took effect.
func applyKV(tx *state.Txn, idx uint64, now time.Time, op *api.KVTxnOp) any {
	var ok = true
	var err error
	e := &api.KVPair{Key: op.Key, Flags: op.Flags, Value: op.Value, Session: op.Session}
	switch op.Verb {
	case api.KVSet:
		err = tx.KVSet(idx, e)
	case api.KVCAS:
		e.ModifyIndex = op.Index
		ok, err = tx.KVSetCAS(idx, e)
	case api.KVDelete:
		err = tx.KVDelete(idx, op.Key)
	case api.KVDeleteCAS:
		ok, err = tx.KVDeleteCAS(idx, op.Index, op.Key)
	case api.KVDeleteTree:
		err = tx.KVDeleteTree(idx, op.Key)
	case api.KVLock:
		ok, err = tx.KVLock(idx, now, e)
	case api.KVUnlock:
		ok, err = tx.KVUnlock(idx, e)
	default:
		err = fmt.Errorf("unsupported KV operation %q", op.Verb)
	}
	if err != nil {
		return err
	}
	return ok
}

// applyTxn applies a transaction in its own state transaction, committed
// only if every operation succeeds.
func applyTxn(st *state.Store, idx uint64, now time.Time, typ MessageType, body []byte) any {
	tx := st.WriteTxn()
	var results []api.TxnResult
	var errs []api.TxnError
	if typ == CatalogTxnType {
		var ops []api.TxnOp
		decodeJSON(idx, body, &ops)
		results, errs = tx.TxnOps(idx, now, ops)
	} else {
		ops, err := decodeTxn(body)
		if err != nil {
			panic(fmt.Sprintf("fsm: cannot decode txn command at index %d: %v", idx, err))
		}
		results, errs = tx.KVTxn(idx, now, ops)
	}
	if len(errs) > 0 {
		tx.Abort()
		return &api.TxnResponse{Errors: errs}
	}
	tx.Commit()
	return &api.TxnResponse{Results: results}
}
