package fsm

import (
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/state"
)

// CatalogOp is one write of a CatalogBatchType command: exactly one of
// Register and Deregister is set.
type CatalogOp struct {
	Register   *api.CatalogRegistration   `json:",omitempty"`
	Deregister *api.CatalogDeregistration `json:",omitempty"`
}

// EncodeCatalogBatch returns the command for a run of catalog writes.
// Applying it gives the same state as applying a RegisterType or
// DeregisterType command per write, in order, at one Raft index; the
// result is an []error with one entry per write (nil when it was applied).
func EncodeCatalogBatch(ops []CatalogOp, now time.Time) []byte {
	return encodeJSON(CatalogBatchType, ops, now)
}

// applyCatalogBatch applies the writes in one state transaction. If one
// fails, it starts again with a transaction per write, so that only the
// failed ones are dropped, as separate commands would be; leader-made
// writes do not fail in practice, so the common case is one commit.
func applyCatalogBatch(st *state.Store, idx uint64, now time.Time, body []byte) any {
	var ops []CatalogOp
	decodeJSON(idx, body, &ops)
	errs := make([]error, len(ops))
	tx := st.WriteTxn()
	failed := false
	for i := range ops {
		if errs[i] = applyCatalogOp(tx, idx, now, &ops[i]); errs[i] != nil {
			failed = true
			break
		}
	}
	if !failed {
		tx.Commit()
		return errs
	}
	tx.Abort()
	// The store may hold on to what the aborted writes were given, and
	// writes fill in their requests: decode afresh.
	ops = nil
	decodeJSON(idx, body, &ops)
	for i := range ops {
		tx := st.WriteTxn()
		if errs[i] = applyCatalogOp(tx, idx, now, &ops[i]); errs[i] != nil {
			tx.Abort()
		} else {
			tx.Commit()
		}
	}
	return errs
}

func applyCatalogOp(tx *state.Txn, idx uint64, now time.Time, op *CatalogOp) error {
	switch {
	case op.Register != nil && op.Deregister == nil:
		return tx.EnsureRegistration(idx, now, op.Register)
	case op.Deregister != nil && op.Register == nil:
		return tx.Deregister(idx, now, op.Deregister)
	}
	return api.BadRequestError{Reason: "a catalog batch write needs exactly one of Register and Deregister"}
}
