package state

import (
	"fmt"

	"github.com/concordhq/concord/api"
	"github.com/hashicorp/go-memdb"
)

// The auth method tables: auth methods by name, and the binding rules
// that say what a login through each gives. Deleting a method deletes its
// binding rules and the tokens logins through it made, in the same
// transaction, as Consul does.
const (
	tableACLAuthMethods  = "acl_auth_methods"  // *api.ACLAuthMethod by Name
	tableACLBindingRules = "acl_binding_rules" // *api.ACLBindingRule by ID, indexed by AuthMethod
)

func aclAuthTables() []objectTable {
	return []objectTable{
		{schema: &memdb.TableSchema{Name: tableACLAuthMethods, Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Name"}},
		}}, decode: jsonRows[api.ACLAuthMethod]},
		{schema: &memdb.TableSchema{Name: tableACLBindingRules, Indexes: map[string]*memdb.IndexSchema{
			"id":         {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
			"authmethod": {Name: "authmethod", Indexer: &memdb.StringFieldIndex{Field: "AuthMethod"}},
		}}, decode: jsonRows[api.ACLBindingRule]},
	}
}

// ACLAuthMethodSet creates or replaces the auth method m.Name.
func (t *Txn) ACLAuthMethodSet(idx uint64, m *api.ACLAuthMethod) error {
	existing, err := firstRow[api.ACLAuthMethod](t.tx, tableACLAuthMethods, "id", m.Name)
	if err != nil {
		return err
	}
	row := m.Clone()
	row.CreateIndex, row.ModifyIndex = idx, idx
	if existing != nil {
		row.CreateIndex = existing.CreateIndex
	}
	return t.aclPut(tableACLAuthMethods, idx, row)
}

// ACLAuthMethodDelete deletes the auth method name, its binding rules and
// the tokens made by logging in through it — those of its locality only,
// as Consul: a secondary datacenter's local method of the same name as a
// primary's global one leaves the replicated global tokens alone. A
// missing method is fine.
func (t *Txn) ACLAuthMethodDelete(idx uint64, name string) error {
	m, err := firstRow[api.ACLAuthMethod](t.tx, tableACLAuthMethods, "id", name)
	if err != nil || m == nil {
		return err
	}
	local := m.TokenLocality != "global"
	if _, err := t.tx.DeleteAll(tableACLBindingRules, "authmethod", name); err != nil {
		return fmt.Errorf("cannot delete binding rules: %w", err)
	}
	t.setIndex(tableACLBindingRules, idx)
	it, err := t.tx.Get(tableACLTokens, "id")
	if err != nil {
		return fmt.Errorf("cannot list tokens: %w", err)
	}
	var drop []string
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if tok := raw.(*api.ACLToken); tok.AuthMethod == name && tok.Local == local {
			drop = append(drop, tok.AccessorID)
		}
	}
	for _, id := range drop {
		if err := t.ACLTokenDelete(idx, id); err != nil {
			return err
		}
	}
	return t.aclDrop(tableACLAuthMethods, idx, name)
}

// ACLBindingRuleSet creates or replaces a binding rule. Its auth method
// must exist.
func (t *Txn) ACLBindingRuleSet(idx uint64, r *api.ACLBindingRule) error {
	if m, err := firstRow[api.ACLAuthMethod](t.tx, tableACLAuthMethods, "id", r.AuthMethod); err != nil {
		return err
	} else if m == nil {
		return fmt.Errorf("cannot find auth method with name %q", r.AuthMethod)
	}
	existing, err := firstRow[api.ACLBindingRule](t.tx, tableACLBindingRules, "id", r.ID)
	if err != nil {
		return err
	}
	row := *r
	row.CreateIndex, row.ModifyIndex = idx, idx
	if existing != nil {
		row.CreateIndex = existing.CreateIndex
	}
	return t.aclPut(tableACLBindingRules, idx, &row)
}

// ACLBindingRuleDelete deletes a binding rule; a missing one is fine.
func (t *Txn) ACLBindingRuleDelete(idx uint64, id string) error {
	return t.aclDrop(tableACLBindingRules, idx, id)
}

// ACLAuthMethodGet returns the auth method name, or nil.
func (s *Store) ACLAuthMethodGet(ws memdb.WatchSet, name string) (uint64, *api.ACLAuthMethod, error) {
	return aclGet[api.ACLAuthMethod](s, ws, tableACLAuthMethods, "id", name)
}

// ACLAuthMethodList returns every auth method in name order.
func (s *Store) ACLAuthMethodList(ws memdb.WatchSet) (uint64, []*api.ACLAuthMethod, error) {
	tx := s.db.Txn(false)
	defer tx.Abort()
	rows, err := aclList[api.ACLAuthMethod](tx, ws, tableACLAuthMethods)
	return maxIndex(tx, tableACLAuthMethods), rows, err
}

// ACLBindingRuleGet returns the binding rule id, or nil.
func (s *Store) ACLBindingRuleGet(ws memdb.WatchSet, id string) (uint64, *api.ACLBindingRule, error) {
	return aclGet[api.ACLBindingRule](s, ws, tableACLBindingRules, "id", id)
}

// ACLBindingRuleList returns the binding rules of the auth method method
// (every rule when method is ""), in ID order.
func (s *Store) ACLBindingRuleList(ws memdb.WatchSet, method string) (uint64, []*api.ACLBindingRule, error) {
	tx := s.db.Txn(false)
	defer tx.Abort()
	rows, err := aclList[api.ACLBindingRule](tx, ws, tableACLBindingRules)
	if err != nil {
		return 0, nil, err
	}
	if method != "" {
		out := rows[:0]
		for _, r := range rows {
			if r.AuthMethod == method {
				out = append(out, r)
			}
		}
		rows = out
	}
	return maxIndex(tx, tableACLBindingRules), rows, nil
}
