package fsm

import (
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/state"
)

// QueryOp is the body of a PreparedQueryType command: Op is
// state.QueryCreate, QueryUpdate or QueryDelete; a delete needs only the
// query's ID. The leader has validated the query and filled in its ID.
type QueryOp struct {
	Op    string
	Query api.PreparedQuery
}

// EncodePreparedQuery returns the command for a prepared query operation.
func EncodePreparedQuery(op *QueryOp, now time.Time) []byte {
	return encodeJSON(PreparedQueryType, op, now)
}

// applyPreparedQuery applies one prepared query command; the result is nil
// or the error the state store gave (a clash of names, a missing session).
func applyPreparedQuery(tx *state.Txn, idx uint64, _ time.Time, body []byte) any {
	var op QueryOp
	decodeJSON(idx, body, &op)
	return tx.PreparedQueryApply(idx, op.Op, &op.Query)
}
