package fsm

import (
	"fmt"
	"time"

	"github.com/concordhq/concord/internal/state"
)

// applyCoordinates applies one coordinate command.
func applyCoordinates(_ *state.Txn, idx uint64, _ time.Time, _ []byte) any {
	return fmt.Errorf("coordinate commands are not built yet (index %d)", idx)
}
