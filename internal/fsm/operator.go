package fsm

import (
	"fmt"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/state"
)

// OperatorOp is the body of an OperatorType command.
type OperatorOp struct {
	Op string // OperatorAutopilotSet

	// Autopilot is the configuration to store, for OperatorAutopilotSet;
	// with CAS, only if the stored one's ModifyIndex is
	// Autopilot.ModifyIndex (0: only if none is stored).
	Autopilot *api.AutopilotConfiguration `json:",omitempty"`
	CAS       bool                        `json:",omitempty"`
}

// Operator operations.
const (
	OperatorAutopilotSet = "autopilot-set"
)

// EncodeOperator returns the command for an operator operation.
func EncodeOperator(op *OperatorOp, now time.Time) []byte { return encodeJSON(OperatorType, op, now) }

// applyOperator applies one operator command; the result is whether it
// took effect (false for a CAS mismatch), or an error.
func applyOperator(tx *state.Txn, idx uint64, _ time.Time, body []byte) any {
	var op OperatorOp
	decodeJSON(idx, body, &op)
	switch {
	case op.Op == OperatorAutopilotSet && op.Autopilot != nil:
		ok, err := tx.AutopilotSetConfig(idx, op.Autopilot, op.CAS)
		if err != nil {
			return err
		}
		return ok
	}
	return fmt.Errorf("fsm: unknown operator operation %q at index %d", op.Op, idx)
}
