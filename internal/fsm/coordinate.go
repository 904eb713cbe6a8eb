package fsm

import (
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/state"
)

// EncodeCoordinates returns the command that stores a batch of coordinate
// updates. It carries IgnoreUnknownFlag: a server that does not know
// coordinates may skip them, as they are refreshed every few seconds.
func EncodeCoordinates(updates []*api.CoordinateEntry, now time.Time) []byte {
	return encodeJSON(CoordinateType|IgnoreUnknownFlag, updates, now)
}

// applyCoordinates applies one batch of coordinate updates.
func applyCoordinates(tx *state.Txn, idx uint64, _ time.Time, body []byte) any {
	var updates []*api.CoordinateEntry
	decodeJSON(idx, body, &updates)
	return tx.CoordinateBatchUpdate(idx, updates)
}
