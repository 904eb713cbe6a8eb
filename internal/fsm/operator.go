package fsm

import (
	"fmt"
	"time"

	"github.com/concordhq/concord/internal/state"
)

// applyOperator applies one operator command.
func applyOperator(_ *state.Txn, idx uint64, _ time.Time, _ []byte) any {
	return fmt.Errorf("operator commands are not built yet (index %d)", idx)
}
