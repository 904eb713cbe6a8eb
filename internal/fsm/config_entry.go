package fsm

import (
	"fmt"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/state"
)

// ConfigEntryOp is the body of a ConfigEntryType command: a set (the
// leader has normalized and validated Entry) or a delete (Kind and Name
// name the entry). With CAS, a set or delete happens only if the stored
// entry's ModifyIndex is Index (for a set, 0: only if none is stored).
type ConfigEntryOp struct {
	Op    string           // ConfigEntrySet or ConfigEntryDelete
	Entry *api.ConfigEntry `json:",omitempty"` // for ConfigEntrySet
	Kind  string           `json:",omitempty"` // for ConfigEntryDelete
	Name  string           `json:",omitempty"` // for ConfigEntryDelete
	CAS   bool             `json:",omitempty"`
	Index uint64           `json:",omitempty"`
}

// Config entry operations.
const (
	ConfigEntrySet    = "set"
	ConfigEntryDelete = "delete"
)

// EncodeConfigEntry returns the command for a config entry operation.
func EncodeConfigEntry(op *ConfigEntryOp, now time.Time) []byte {
	return encodeJSON(ConfigEntryType, op, now)
}

// applyConfigEntry applies one config entry command; the result is whether
// it took effect (false for a CAS mismatch), or an error.
func applyConfigEntry(tx *state.Txn, idx uint64, _ time.Time, body []byte) any {
	var op ConfigEntryOp
	decodeJSON(idx, body, &op)
	var ok bool
	var err error
	switch {
	case op.Op == ConfigEntrySet && op.Entry != nil && op.Entry.Kind() != "":
		ok, err = tx.ConfigEntrySet(idx, op.Entry, op.CAS, op.Index)
	case op.Op == ConfigEntryDelete:
		ok, err = tx.ConfigEntryDelete(idx, op.Kind, op.Name, op.CAS, op.Index)
	default:
		return fmt.Errorf("unknown config entry operation %q", op.Op)
	}
	if err != nil {
		return err
	}
	return ok
}
