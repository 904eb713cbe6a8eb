package fsm

import (
	"fmt"
	"time"

	"github.com/concordhq/concord/internal/state"
)

// applyACL applies one ACL command.
func applyACL(_ *state.Txn, idx uint64, _ time.Time, _ []byte) any {
	return fmt.Errorf("ACL commands are not built yet (index %d)", idx)
}
