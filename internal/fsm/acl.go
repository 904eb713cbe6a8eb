package fsm

import (
	"fmt"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/state"
)

// ACL operations, the Op of an ACLOp.
const (
	ACLBootstrap    = "bootstrap"     // Token, ResetIndex
	ACLTokenSet     = "token-set"     // Token, Create
	ACLTokenDelete  = "token-delete"  // IDs (AccessorIDs)
	ACLPolicySet    = "policy-set"    // Policy, Create
	ACLPolicyDelete = "policy-delete" // IDs
	ACLRoleSet      = "role-set"      // Role, Create
	ACLRoleDelete   = "role-delete"   // IDs

	ACLAuthMethodSet     = "auth-method-set"     // AuthMethod
	ACLAuthMethodDelete  = "auth-method-delete"  // IDs (names); also deletes their binding rules and tokens
	ACLBindingRuleSet    = "binding-rule-set"    // BindingRule
	ACLBindingRuleDelete = "binding-rule-delete" // IDs
)

// ACLOp is the body of an ACLType command: one write of a token, policy
// or role, a delete of some, or the bootstrap. The leader fills in every
// ID, secret, time and hash before it encodes the op, so every server
// stores the same rows.
type ACLOp struct {
	Op     string
	Token  *api.ACLToken  `json:",omitempty"`
	Policy *api.ACLPolicy `json:",omitempty"`
	Role   *api.ACLRole   `json:",omitempty"`
	// AuthMethod and BindingRule are written by their set operations.
	AuthMethod  *api.ACLAuthMethod  `json:",omitempty"`
	BindingRule *api.ACLBindingRule `json:",omitempty"`
	IDs         []string            `json:",omitempty"`
	// Create makes a set refuse an existing ID instead of replacing it,
	// and an update refuse a missing one.
	Create bool `json:",omitempty"`
	// ResetIndex lets a bootstrap run again: it must be the index of the
	// earlier bootstrap.
	ResetIndex uint64 `json:",omitempty"`
}

// EncodeACL returns the command for op.
func EncodeACL(op *ACLOp, now time.Time) []byte { return encodeJSON(ACLType, op, now) }

// applyACL applies one ACL command. Every failure is found before the
// first write, since the command shares its transaction with others.
func applyACL(tx *state.Txn, idx uint64, _ time.Time, body []byte) any {
	var op ACLOp
	decodeJSON(idx, body, &op)
	switch {
	case op.Op == ACLBootstrap && op.Token != nil:
		return tx.ACLBootstrap(idx, op.ResetIndex, op.Token)
	case op.Op == ACLTokenSet && op.Token != nil:
		return tx.ACLTokenSet(idx, op.Token, op.Create)
	case op.Op == ACLPolicySet && op.Policy != nil:
		return tx.ACLPolicySet(idx, op.Policy, op.Create)
	case op.Op == ACLRoleSet && op.Role != nil:
		return tx.ACLRoleSet(idx, op.Role, op.Create)
	case op.Op == ACLAuthMethodSet && op.AuthMethod != nil:
		return tx.ACLAuthMethodSet(idx, op.AuthMethod)
	case op.Op == ACLBindingRuleSet && op.BindingRule != nil:
		return tx.ACLBindingRuleSet(idx, op.BindingRule)
	case op.Op == ACLAuthMethodDelete:
		return deleteEach(op.IDs, func(name string) error { return tx.ACLAuthMethodDelete(idx, name) })
	case op.Op == ACLBindingRuleDelete:
		return deleteEach(op.IDs, func(id string) error { return tx.ACLBindingRuleDelete(idx, id) })
	case op.Op == ACLTokenDelete:
		return deleteEach(op.IDs, func(id string) error { return tx.ACLTokenDelete(idx, id) })
	case op.Op == ACLPolicyDelete:
		return deleteEach(op.IDs, func(id string) error { return tx.ACLPolicyDelete(idx, id) })
	case op.Op == ACLRoleDelete:
		return deleteEach(op.IDs, func(id string) error { return tx.ACLRoleDelete(idx, id) })
	}
	return fmt.Errorf("fsm: unknown or incomplete ACL operation %q at index %d", op.Op, idx)
}

func deleteEach(ids []string, del func(string) error) error {
	for _, id := range ids {
		if err := del(id); err != nil {
			return err
		}
	}
	return nil
}
