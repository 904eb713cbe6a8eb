package state

import (
	"errors"
	"fmt"
	"strings"

	"github.com/concordhq/concord/api"
	"github.com/hashicorp/go-memdb"
)

// The ACL tables. Tokens, policies and roles are kept as written (links
// with the names they had then); reads give links their current names and
// drop links to what has been deleted, as Consul does.
const (
	tableACLTokens    = "acl_tokens"    // *api.ACLToken by AccessorID, unique SecretID
	tableACLPolicies  = "acl_policies"  // *api.ACLPolicy by ID, unique Name (any case)
	tableACLRoles     = "acl_roles"     // *api.ACLRole by ID, unique Name (any case)
	tableACLBootstrap = "acl_bootstrap" // one *ACLBootstrap row
)

// ACLBootstrap records whether ACLs were bootstrapped: /v1/acl/bootstrap
// works once, and again only when the operator names ResetIndex.
type ACLBootstrap struct {
	ID         string // always "bootstrap": the table's one row
	ResetIndex uint64 // the Raft index of the bootstrap
}

const aclBootstrapRow = "bootstrap"

// aclTables are the object tables of this feature.
func aclTables() []objectTable {
	byID := func(field string) *memdb.IndexSchema {
		return &memdb.IndexSchema{Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: field}}
	}
	byName := &memdb.IndexSchema{Name: "name", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Name", Lowercase: true}}
	return []objectTable{
		{schema: &memdb.TableSchema{Name: tableACLTokens, Indexes: map[string]*memdb.IndexSchema{
			"id":     byID("AccessorID"),
			"secret": {Name: "secret", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "SecretID"}},
		}}, decode: jsonRows[api.ACLToken]},
		{schema: &memdb.TableSchema{Name: tableACLPolicies, Indexes: map[string]*memdb.IndexSchema{
			"id": byID("ID"), "name": byName,
		}}, decode: jsonRows[api.ACLPolicy]},
		{schema: &memdb.TableSchema{Name: tableACLRoles, Indexes: map[string]*memdb.IndexSchema{
			"id": byID("ID"), "name": byName,
		}}, decode: jsonRows[api.ACLRole]},
		{schema: &memdb.TableSchema{Name: tableACLBootstrap, Indexes: map[string]*memdb.IndexSchema{
			"id": byID("ID"),
		}}, decode: jsonRows[ACLBootstrap]},
	}
}

// ErrACLBootstrapped refuses a second bootstrap; the server says which
// reset index would allow one.
var ErrACLBootstrapped = errors.New("state: ACLs already bootstrapped")

// ACLBootstrap stores the bootstrap token tok and marks ACLs bootstrapped
// at idx. It is refused (ErrACLBootstrapped) once bootstrapped, unless
// resetIndex is the index of that bootstrap.
func (t *Txn) ACLBootstrap(idx, resetIndex uint64, tok *api.ACLToken) error {
	raw, err := t.tx.First(tableACLBootstrap, "id", aclBootstrapRow)
	if err != nil {
		return fmt.Errorf("cannot read ACL bootstrap: %w", err)
	}
	if raw != nil && raw.(*ACLBootstrap).ResetIndex != resetIndex {
		return ErrACLBootstrapped
	}
	if err := t.ACLTokenSet(idx, tok, true); err != nil {
		return err
	}
	if err := t.tx.Insert(tableACLBootstrap, &ACLBootstrap{ID: aclBootstrapRow, ResetIndex: idx}); err != nil {
		return fmt.Errorf("cannot record ACL bootstrap: %w", err)
	}
	t.setIndex(tableACLBootstrap, idx)
	return nil
}

// ACLTokenSet creates (create) or replaces a token. A new token's
// AccessorID and SecretID must be free; a replaced one must exist. Its
// policies and roles must exist (by ID). Nothing is written on error.
func (t *Txn) ACLTokenSet(idx uint64, tok *api.ACLToken, create bool) error {
	existing, err := firstRow[api.ACLToken](t.tx, tableACLTokens, "id", tok.AccessorID)
	if err != nil {
		return err
	}
	switch {
	case create && existing != nil:
		return api.BadRequestError{Reason: "Invalid Token: AccessorID is already in use"}
	case !create && existing == nil:
		return api.BadRequestError{Reason: fmt.Sprintf("Cannot find token %q", tok.AccessorID)}
	}
	other, err := firstRow[api.ACLToken](t.tx, tableACLTokens, "secret", tok.SecretID)
	if err != nil {
		return err
	}
	if other != nil && other.AccessorID != tok.AccessorID {
		return api.BadRequestError{Reason: "Invalid Token: SecretID is already in use"}
	}
	if err := t.checkLinks(tok.Policies, tok.Roles); err != nil {
		return err
	}
	row := tok.Clone()
	row.ExpirationTTL = 0
	row.CreateIndex, row.ModifyIndex = idx, idx
	if existing != nil {
		row.CreateIndex = existing.CreateIndex
	}
	return t.aclPut(tableACLTokens, idx, row)
}

// ACLTokenDelete deletes the token with accessorID; a missing one is fine.
func (t *Txn) ACLTokenDelete(idx uint64, accessorID string) error {
	return t.aclDrop(tableACLTokens, idx, accessorID)
}

// ACLPolicySet creates (create) or replaces a policy. Its name must be
// free (in any case); a replaced policy must exist.
func (t *Txn) ACLPolicySet(idx uint64, p *api.ACLPolicy, create bool) error {
	existing, err := t.checkNamed(tableACLPolicies, "Policy", p.ID, p.Name, create)
	if err != nil {
		return err
	}
	row := p.Clone()
	row.CreateIndex, row.ModifyIndex = idx, idx
	if existing != nil {
		row.CreateIndex = existing.(*api.ACLPolicy).CreateIndex
	}
	return t.aclPut(tableACLPolicies, idx, row)
}

// ACLPolicyDelete deletes a policy; a missing one is fine. Links to it
// are dropped when tokens and roles are read.
func (t *Txn) ACLPolicyDelete(idx uint64, id string) error {
	return t.aclDrop(tableACLPolicies, idx, id)
}

// ACLRoleSet creates (create) or replaces a role. Its name must be free
// (in any case), its policies exist; a replaced role must exist.
func (t *Txn) ACLRoleSet(idx uint64, r *api.ACLRole, create bool) error {
	existing, err := t.checkNamed(tableACLRoles, "Role", r.ID, r.Name, create)
	if err != nil {
		return err
	}
	if err := t.checkLinks(r.Policies, nil); err != nil {
		return err
	}
	row := r.Clone()
	row.CreateIndex, row.ModifyIndex = idx, idx
	if existing != nil {
		row.CreateIndex = existing.(*api.ACLRole).CreateIndex
	}
	return t.aclPut(tableACLRoles, idx, row)
}

// ACLRoleDelete deletes a role; a missing one is fine.
func (t *Txn) ACLRoleDelete(idx uint64, id string) error {
	return t.aclDrop(tableACLRoles, idx, id)
}

// checkNamed checks the ID and name of a policy or role (kind) being
// written to table, and returns the row it replaces (nil on create).
func (t *Txn) checkNamed(table, kind, id, name string, create bool) (any, error) {
	existing, err := t.tx.First(table, "id", id)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", table, err)
	}
	switch {
	case create && existing != nil:
		return nil, api.BadRequestError{Reason: fmt.Sprintf("Invalid %s: ID %q is already in use", kind, id)}
	case !create && existing == nil:
		return nil, api.BadRequestError{Reason: fmt.Sprintf("Cannot find %s %s", strings.ToLower(kind), id)}
	}
	same, err := t.tx.First(table, "name", name)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", table, err)
	}
	if same != nil && objectID(same) != id {
		return nil, api.BadRequestError{Reason: fmt.Sprintf("Invalid %s: A %s with Name %q already exists", kind, kind, name)}
	}
	return existing, nil
}

// checkLinks checks that every linked policy and role exists.
func (t *Txn) checkLinks(policies, roles []*api.ACLLink) error {
	for _, l := range policies {
		if raw, err := t.tx.First(tableACLPolicies, "id", l.ID); err != nil || raw == nil {
			return api.BadRequestError{Reason: fmt.Sprintf("No such ACL policy with ID %q", l.ID)}
		}
	}
	for _, l := range roles {
		if raw, err := t.tx.First(tableACLRoles, "id", l.ID); err != nil || raw == nil {
			return api.BadRequestError{Reason: fmt.Sprintf("No such ACL role with ID %q", l.ID)}
		}
	}
	return nil
}

func (t *Txn) aclPut(table string, idx uint64, row any) error {
	if err := t.tx.Insert(table, row); err != nil {
		return fmt.Errorf("cannot store %s row: %w", table, err)
	}
	t.setIndex(table, idx)
	return nil
}

func (t *Txn) aclDrop(table string, idx uint64, id string) error {
	raw, err := t.tx.First(table, "id", id)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", table, err)
	}
	if raw == nil {
		return nil
	}
	if err := t.tx.Delete(table, raw); err != nil {
		return fmt.Errorf("cannot delete %s row: %w", table, err)
	}
	t.setIndex(table, idx)
	return nil
}

// objectID is the ID of a policy or role row.
func objectID(raw any) string {
	switch v := raw.(type) {
	case *api.ACLPolicy:
		return v.ID
	case *api.ACLRole:
		return v.ID
	}
	return ""
}

// firstRow returns the first row of table whose index matches args, or nil.
func firstRow[T any](tx *memdb.Txn, table, index string, args ...any) (*T, error) {
	raw, err := tx.First(table, index, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", table, err)
	}
	if raw == nil {
		return nil, nil
	}
	return raw.(*T), nil
}
