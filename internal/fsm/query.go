package fsm

import (
	"fmt"
	"time"

	"github.com/concordhq/concord/internal/state"
)

// applyPreparedQuery applies one prepared query command.
func applyPreparedQuery(_ *state.Txn, idx uint64, _ time.Time, _ []byte) any {
	return fmt.Errorf("prepared query commands are not built yet (index %d)", idx)
}
