package state

import (
	"fmt"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/hashicorp/go-memdb"
)

// ACLTokenGet returns the token with accessorID, or nil, with its links
// given their current names.
func (s *Store) ACLTokenGet(ws memdb.WatchSet, accessorID string) (uint64, *api.ACLToken, error) {
	return aclTokenBy(s, ws, "id", accessorID)
}

// ACLTokenBySecret returns the token with secret, or nil.
func (s *Store) ACLTokenBySecret(ws memdb.WatchSet, secret string) (uint64, *api.ACLToken, error) {
	return aclTokenBy(s, ws, "secret", secret)
}

func aclTokenBy(s *Store, ws memdb.WatchSet, index, key string) (uint64, *api.ACLToken, error) {
	tx := s.db.Txn(false)
	defer tx.Abort()
	ch, raw, err := tx.FirstWatch(tableACLTokens, index, key)
	if err != nil {
		return 0, nil, fmt.Errorf("cannot read ACL token: %w", err)
	}
	ws.Add(ch)
	// A token's links change when a policy or role is renamed or deleted.
	idx := maxIndex(tx, tableACLTokens, tableACLPolicies, tableACLRoles)
	if raw == nil {
		return idx, nil, nil
	}
	return idx, tokenLinks(tx, raw.(*api.ACLToken)), nil
}

// ACLTokenList returns every token, links resolved, in AccessorID order.
func (s *Store) ACLTokenList(ws memdb.WatchSet) (uint64, []*api.ACLToken, error) {
	tx := s.db.Txn(false)
	defer tx.Abort()
	rows, err := aclList[api.ACLToken](tx, ws, tableACLTokens)
	if err != nil {
		return 0, nil, err
	}
	for i, tok := range rows {
		rows[i] = tokenLinks(tx, tok)
	}
	return maxIndex(tx, tableACLTokens, tableACLPolicies, tableACLRoles), rows, nil
}

// ACLPolicyGet returns the policy with id, or nil.
func (s *Store) ACLPolicyGet(ws memdb.WatchSet, id string) (uint64, *api.ACLPolicy, error) {
	return aclGet[api.ACLPolicy](s, ws, tableACLPolicies, "id", id)
}

// ACLPolicyByName returns the policy named name (in any case), or nil.
func (s *Store) ACLPolicyByName(ws memdb.WatchSet, name string) (uint64, *api.ACLPolicy, error) {
	return aclGet[api.ACLPolicy](s, ws, tableACLPolicies, "name", name)
}

// ACLPolicyList returns every policy in ID order.
func (s *Store) ACLPolicyList(ws memdb.WatchSet) (uint64, []*api.ACLPolicy, error) {
	tx := s.db.Txn(false)
	defer tx.Abort()
	rows, err := aclList[api.ACLPolicy](tx, ws, tableACLPolicies)
	return maxIndex(tx, tableACLPolicies), rows, err
}

// ACLRoleGet returns the role with id, or nil, links resolved.
func (s *Store) ACLRoleGet(ws memdb.WatchSet, id string) (uint64, *api.ACLRole, error) {
	return aclRoleBy(s, ws, "id", id)
}

// ACLRoleByName returns the role named name (in any case), or nil.
func (s *Store) ACLRoleByName(ws memdb.WatchSet, name string) (uint64, *api.ACLRole, error) {
	return aclRoleBy(s, ws, "name", name)
}

func aclRoleBy(s *Store, ws memdb.WatchSet, index, key string) (uint64, *api.ACLRole, error) {
	tx := s.db.Txn(false)
	defer tx.Abort()
	ch, raw, err := tx.FirstWatch(tableACLRoles, index, key)
	if err != nil {
		return 0, nil, fmt.Errorf("cannot read ACL role: %w", err)
	}
	ws.Add(ch)
	idx := maxIndex(tx, tableACLRoles, tableACLPolicies)
	if raw == nil {
		return idx, nil, nil
	}
	return idx, roleLinks(tx, raw.(*api.ACLRole)), nil
}

// ACLRoleList returns every role in ID order, links resolved.
func (s *Store) ACLRoleList(ws memdb.WatchSet) (uint64, []*api.ACLRole, error) {
	tx := s.db.Txn(false)
	defer tx.Abort()
	rows, err := aclList[api.ACLRole](tx, ws, tableACLRoles)
	if err != nil {
		return 0, nil, err
	}
	for i, r := range rows {
		rows[i] = roleLinks(tx, r)
	}
	return maxIndex(tx, tableACLRoles, tableACLPolicies), rows, nil
}

// ACLBootstrapped reports whether ACLs were bootstrapped and, if so, the
// reset index that allows bootstrapping again.
func (s *Store) ACLBootstrapped() (bool, uint64, error) {
	tx := s.db.Txn(false)
	defer tx.Abort()
	row, err := firstRow[ACLBootstrap](tx, tableACLBootstrap, "id", aclBootstrapRow)
	if err != nil || row == nil {
		return false, 0, err
	}
	return true, row.ResetIndex, nil
}

// ACLResolved is what a token may draw on: the token, its roles, and the
// policies it and its roles link to (each once, in the order met).
type ACLResolved struct {
	Token    *api.ACLToken
	Roles    []*api.ACLRole
	Policies []*api.ACLPolicy
}

// ACLResolve reads the token with secret and what it draws on, from one
// view of the store; nil when no token has that secret. Links to deleted
// policies and roles are left out. The rows are shared: do not change them.
func (s *Store) ACLResolve(secret string) (*ACLResolved, error) {
	tx := s.db.Txn(false)
	defer tx.Abort()
	tok, err := firstRow[api.ACLToken](tx, tableACLTokens, "secret", secret)
	if err != nil || tok == nil {
		return nil, err
	}
	out := &ACLResolved{Token: tok}
	seen := map[string]bool{}
	addPolicies := func(links []*api.ACLLink) {
		for _, l := range links {
			if seen[l.ID] {
				continue
			}
			seen[l.ID] = true
			if p, _ := firstRow[api.ACLPolicy](tx, tableACLPolicies, "id", l.ID); p != nil {
				out.Policies = append(out.Policies, p)
			}
		}
	}
	addPolicies(tok.Policies)
	for _, l := range tok.Roles {
		if r, _ := firstRow[api.ACLRole](tx, tableACLRoles, "id", l.ID); r != nil {
			out.Roles = append(out.Roles, r)
			addPolicies(r.Policies)
		}
	}
	return out, nil
}

// aclGet reads one row of table by index, or nil, with the table's index.
func aclGet[T any](s *Store, ws memdb.WatchSet, table, index, key string) (uint64, *T, error) {
	tx := s.db.Txn(false)
	defer tx.Abort()
	ch, raw, err := tx.FirstWatch(table, index, key)
	if err != nil {
		return 0, nil, fmt.Errorf("cannot read %s: %w", table, err)
	}
	ws.Add(ch)
	if raw == nil {
		return maxIndex(tx, table), nil, nil
	}
	return maxIndex(tx, table), raw.(*T), nil
}

// aclList reads every row of table, in "id" order.
func aclList[T any](tx *memdb.Txn, ws memdb.WatchSet, table string) ([]*T, error) {
	it, err := tx.Get(table, "id")
	if err != nil {
		return nil, fmt.Errorf("cannot list %s: %w", table, err)
	}
	ws.Add(it.WatchCh())
	out := []*T{}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*T))
	}
	return out, nil
}

// tokenLinks returns a copy of tok whose links carry their policies' and
// roles' current names, without links to deleted ones.
func tokenLinks(tx *memdb.Txn, tok *api.ACLToken) *api.ACLToken {
	c := tok.Clone()
	c.Policies = currentLinks(tx, tableACLPolicies, c.Policies)
	c.Roles = currentLinks(tx, tableACLRoles, c.Roles)
	return c
}

func roleLinks(tx *memdb.Txn, r *api.ACLRole) *api.ACLRole {
	c := r.Clone()
	c.Policies = currentLinks(tx, tableACLPolicies, c.Policies)
	return c
}

func currentLinks(tx *memdb.Txn, table string, links []*api.ACLLink) []*api.ACLLink {
	var out []*api.ACLLink
	for _, l := range links {
		raw, err := tx.First(table, "id", l.ID)
		if err != nil || raw == nil {
			continue
		}
		switch v := raw.(type) {
		case *api.ACLPolicy:
			l.Name = v.Name
		case *api.ACLRole:
			l.Name = v.Name
		}
		out = append(out, l)
	}
	return out
}

// ACLTokensExpired returns the AccessorIDs of up to max tokens that have
// expired by now, for the leader to delete.
func (s *Store) ACLTokensExpired(now time.Time, max int) []string {
	tx := s.db.Txn(false)
	defer tx.Abort()
	it, err := tx.Get(tableACLTokens, "id")
	if err != nil {
		return nil
	}
	var out []string
	for raw := it.Next(); raw != nil && len(out) < max; raw = it.Next() {
		if tok := raw.(*api.ACLToken); tok.ExpiredAt(now) {
			out = append(out, tok.AccessorID)
		}
	}
	return out
}
