package server

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/acl"
	"github.com/concordhq/concord/internal/call"
	"github.com/concordhq/concord/internal/fsm"
	"github.com/concordhq/concord/internal/state"
	"github.com/google/uuid"
	"github.com/hashicorp/go-memdb"
)

// ACLPolicySet creates (create) or updates a policy, whose rules must
// parse, and returns it as stored. A built-in policy keeps its name, rules
// and datacenters. A secondary datacenter writes it in the primary.
func (s *Server) ACLPolicySet(ctx context.Context, p *api.ACLPolicy, create bool) (*api.ACLPolicy, error) {
	if !s.ACLEnabled() {
		return nil, acl.ErrDisabled
	}
	if p == nil {
		return nil, api.BadRequestError{Reason: "Request decode failed: missing policy"}
	}
	var fwd *api.ACLPolicy
	if ok, err := s.forwardACLWrite(ctx, call.ACLPolicySet.Desc, &call.ACLPolicySetArgs{Policy: p, Create: create}, &fwd); ok {
		return fwd, err
	}
	p = p.Clone()
	st := s.fsm.State()
	if create {
		p.ID = uuid.NewString()
	} else {
		_, old, err := st.ACLPolicyGet(nil, p.ID)
		if err != nil {
			return nil, err
		}
		if old == nil {
			return nil, api.NotFoundError{Reason: fmt.Sprintf("Cannot find policy %s", p.ID)}
		}
		if builtin := builtinPolicy(p.ID); builtin != nil {
			if err := checkBuiltinUpdate(builtin, p); err != nil {
				return nil, err
			}
		}
	}
	if builtinPolicy(p.ID) == nil && !api.ValidACLPolicyName(p.Name) {
		return nil, api.BadRequestError{Reason: "Invalid Policy: invalid Name. Only alphanumeric characters, '-' and '_' are allowed"}
	}
	if _, err := acl.Parse(p.Rules); err != nil {
		return nil, err
	}
	p.Hash = policyHash(p)
	if _, err := s.raftApply(fsm.EncodeACL(&fsm.ACLOp{Op: fsm.ACLPolicySet, Policy: p, Create: create}, time.Now())); err != nil {
		return nil, err
	}
	_, out, err := st.ACLPolicyGet(nil, p.ID)
	if err == nil && out == nil {
		err = acl.ErrNotFound
	}
	return out, err
}

// checkBuiltinUpdate lets an update of a built-in policy change its
// description only, with Consul's texts.
func checkBuiltinUpdate(builtin, p *api.ACLPolicy) error {
	switch {
	case p.Rules != builtin.Rules:
		return api.BadRequestError{Reason: fmt.Sprintf("Changing the Rules for the builtin %s policy is not permitted", builtin.Name)}
	case len(p.Datacenters) > 0:
		return api.BadRequestError{Reason: fmt.Sprintf("Changing the Datacenters of the builtin %s policy is not permitted", builtin.Name)}
	case p.Name != builtin.Name:
		return api.BadRequestError{Reason: fmt.Sprintf("Changing the Name of the builtin %s policy is not permitted", builtin.Name)}
	}
	return nil
}

// ACLPolicyDelete deletes a policy other than global-management; tokens
// and roles linked to it lose the link. A secondary datacenter deletes
// it in the primary.
func (s *Server) ACLPolicyDelete(ctx context.Context, id string) error {
	if !s.ACLEnabled() {
		return acl.ErrDisabled
	}
	if ok, err := s.forwardACLWrite(ctx, call.ACLPolicyDelete.Desc, &call.ACLIDArgs{ID: id}, new(struct{})); ok {
		return err
	}
	if builtin := builtinPolicy(id); builtin != nil {
		return api.BadRequestError{Reason: fmt.Sprintf("Delete operation not permitted on the builtin %s policy", builtin.Name)}
	}
	return s.deleteObject(fsm.ACLPolicyDelete, id, "policy", func(st *state.Store) (bool, error) {
		_, p, err := st.ACLPolicyGet(nil, id)
		return p != nil, err
	})
}

// deleteObject deletes the policy or role id (kind) through op; a missing
// one is a 404, as in Consul.
func (s *Server) deleteObject(op, id, kind string, exists func(*state.Store) (bool, error)) error {
	if !isUUID(id) {
		return api.BadRequestError{Reason: fmt.Sprintf("%s ID is missing or an invalid UUID", titled(kind))}
	}
	ok, err := exists(s.fsm.State())
	if err != nil {
		return err
	}
	if !ok {
		return api.NotFoundError{Reason: fmt.Sprintf("Cannot find %s to delete", kind)}
	}
	_, err = s.raftApply(fsm.EncodeACL(&fsm.ACLOp{Op: op, IDs: []string{id}}, time.Now()))
	return err
}

// ACLPolicyRead reads a policy by ID, or by name when id is ""; a missing
// one is acl.ErrNotFound (HTTP 403, as Consul answers).
func (s *Server) ACLPolicyRead(ctx context.Context, q *api.QueryOptions, id, name string) (*api.ACLPolicy, api.QueryMeta, error) {
	if !s.ACLEnabled() {
		return nil, api.QueryMeta{}, acl.ErrDisabled
	}
	p, m, err := query(ctx, s, q, func(ws memdb.WatchSet, st *state.Store) (uint64, *api.ACLPolicy, error) {
		if id == "" {
			return st.ACLPolicyByName(ws, name)
		}
		return st.ACLPolicyGet(ws, id)
	})
	if err == nil && p == nil {
		err = acl.ErrNotFound
	}
	return p, m, err
}

// ACLPolicyList lists every policy, without rules, in ID order.
func (s *Server) ACLPolicyList(ctx context.Context, q *api.QueryOptions) ([]*api.ACLPolicyListEntry, api.QueryMeta, error) {
	if !s.ACLEnabled() {
		return nil, api.QueryMeta{}, acl.ErrDisabled
	}
	ps, m, err := query(ctx, s, q, func(ws memdb.WatchSet, st *state.Store) (uint64, []*api.ACLPolicy, error) {
		return st.ACLPolicyList(ws)
	})
	return listEntries(ps, (*api.ACLPolicy).ListEntry), m, err
}

// listEntries is objs as a list shows them (never nil).
func listEntries[T, E any](objs []*T, entry func(*T) *E) []*E {
	out := make([]*E, 0, len(objs))
	for _, o := range objs {
		out = append(out, entry(o))
	}
	return out
}

// ACLRoleSet creates (create) or updates a role and returns it as stored.
// A secondary datacenter writes it in the primary.
func (s *Server) ACLRoleSet(ctx context.Context, r *api.ACLRole, create bool) (*api.ACLRole, error) {
	if !s.ACLEnabled() {
		return nil, acl.ErrDisabled
	}
	if r == nil {
		return nil, api.BadRequestError{Reason: "Request decode failed: missing role"}
	}
	var fwd *api.ACLRole
	if ok, err := s.forwardACLWrite(ctx, call.ACLRoleSet.Desc, &call.ACLRoleSetArgs{Role: r, Create: create}, &fwd); ok {
		return fwd, err
	}
	r = r.Clone()
	st := s.fsm.State()
	if create {
		r.ID = uuid.NewString()
	} else if _, old, err := st.ACLRoleGet(nil, r.ID); err != nil {
		return nil, err
	} else if old == nil {
		return nil, api.NotFoundError{Reason: fmt.Sprintf("Cannot find role %s", r.ID)}
	}
	if !api.ValidACLRoleName(r.Name) {
		return nil, api.BadRequestError{Reason: "Invalid Role: invalid Name. Only alphanumeric characters, '-' and '_' are allowed"}
	}
	var err error
	if r.Policies, err = resolveLinks(st, "policy", r.Policies); err != nil {
		return nil, err
	}
	if err := checkIdentities(r.ServiceIdentities, r.NodeIdentities); err != nil {
		return nil, err
	}
	r.Hash = roleHash(r)
	if _, err := s.raftApply(fsm.EncodeACL(&fsm.ACLOp{Op: fsm.ACLRoleSet, Role: r, Create: create}, time.Now())); err != nil {
		return nil, err
	}
	_, out, err := st.ACLRoleGet(nil, r.ID)
	if err == nil && out == nil {
		err = acl.ErrNotFound
	}
	return out, err
}

// ACLRoleDelete deletes a role; tokens linked to it lose the link. A
// secondary datacenter deletes it in the primary.
func (s *Server) ACLRoleDelete(ctx context.Context, id string) error {
	if !s.ACLEnabled() {
		return acl.ErrDisabled
	}
	if ok, err := s.forwardACLWrite(ctx, call.ACLRoleDelete.Desc, &call.ACLIDArgs{ID: id}, new(struct{})); ok {
		return err
	}
	return s.deleteObject(fsm.ACLRoleDelete, id, "role", func(st *state.Store) (bool, error) {
		_, r, err := st.ACLRoleGet(nil, id)
		return r != nil, err
	})
}

// ACLRoleRead reads a role by ID, or by name when id is ""; nil when
// there is none (HTTP 404, as Consul answers).
func (s *Server) ACLRoleRead(ctx context.Context, q *api.QueryOptions, id, name string) (*api.ACLRole, api.QueryMeta, error) {
	if !s.ACLEnabled() {
		return nil, api.QueryMeta{}, acl.ErrDisabled
	}
	return query(ctx, s, q, func(ws memdb.WatchSet, st *state.Store) (uint64, *api.ACLRole, error) {
		if id == "" {
			return st.ACLRoleByName(ws, name)
		}
		return st.ACLRoleGet(ws, id)
	})
}

// ACLRoleList lists every role in ID order.
func (s *Server) ACLRoleList(ctx context.Context, q *api.QueryOptions) ([]*api.ACLRole, api.QueryMeta, error) {
	if !s.ACLEnabled() {
		return nil, api.QueryMeta{}, acl.ErrDisabled
	}
	return query(ctx, s, q, func(ws memdb.WatchSet, st *state.Store) (uint64, []*api.ACLRole, error) {
		return st.ACLRoleList(ws)
	})
}

// resolveLinks checks links to policies or roles (kind), each named by ID
// or by name, and returns them by ID with their names, each once.
func resolveLinks(st *state.Store, kind string, links []*api.ACLLink) ([]*api.ACLLink, error) {
	var out []*api.ACLLink
	for _, l := range links {
		if l == nil {
			continue
		}
		var id, name string
		var err error
		switch {
		case l.ID != "" && kind == "policy":
			id, name, err = policyName(st.ACLPolicyGet(nil, l.ID))
		case l.ID != "":
			id, name, err = roleName(st.ACLRoleGet(nil, l.ID))
		case l.Name != "" && kind == "policy":
			id, name, err = policyName(st.ACLPolicyByName(nil, l.Name))
		case l.Name != "":
			id, name, err = roleName(st.ACLRoleByName(nil, l.Name))
		default:
			return nil, api.BadRequestError{Reason: fmt.Sprintf("Invalid %s link: it has neither an ID nor a Name", kind)}
		}
		switch {
		case err != nil:
			return nil, err
		case id == "" && l.ID != "":
			return nil, api.BadRequestError{Reason: fmt.Sprintf("No such ACL %s with ID %q", kind, l.ID)}
		case id == "":
			return nil, api.BadRequestError{Reason: fmt.Sprintf("No such ACL %s with name %q", kind, l.Name)}
		}
		if !slices.ContainsFunc(out, func(o *api.ACLLink) bool { return o.ID == id }) {
			out = append(out, &api.ACLLink{ID: id, Name: name})
		}
	}
	return out, nil
}

func policyName(_ uint64, p *api.ACLPolicy, err error) (string, string, error) {
	if p == nil {
		return "", "", err
	}
	return p.ID, p.Name, err
}

func roleName(_ uint64, r *api.ACLRole, err error) (string, string, error) {
	if r == nil {
		return "", "", err
	}
	return r.ID, r.Name, err
}

// checkIdentities checks service and node identities as Consul does.
func checkIdentities(services []*api.ACLServiceIdentity, nodes []*api.ACLNodeIdentity) error {
	for _, id := range services {
		switch {
		case id == nil || id.ServiceName == "":
			return api.BadRequestError{Reason: "Service identity is missing the service name field on this token"}
		case !api.ValidACLIdentityName(id.ServiceName):
			return api.BadRequestError{Reason: fmt.Sprintf("Service identity %q has an invalid name. Only lowercase alphanumeric characters, '-' and '_' are allowed", id.ServiceName)}
		}
	}
	for _, id := range nodes {
		switch {
		case id == nil || id.NodeName == "":
			return api.BadRequestError{Reason: "Node identity is missing the node name field on this token"}
		case id.Datacenter == "":
			return api.BadRequestError{Reason: "Node identity is missing the datacenter field on this token"}
		case !api.ValidACLIdentityName(id.NodeName):
			return api.BadRequestError{Reason: "Node identity has an invalid name. Only lowercase alphanumeric characters, '-' and '_' are allowed"}
		}
	}
	return nil
}

// isUUID reports whether s is a UUID in its canonical 36-character form.
func isUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

// reservedID reports whether id is in the range Consul keeps for its
// built-in objects (00000000-0000-0000-0000-0000000000xx).
func reservedID(id string) bool {
	return len(id) == 36 && id[:34] == "00000000-0000-0000-0000-0000000000"
}

func titled(kind string) string {
	if kind == "" {
		return kind
	}
	return string(kind[0]-'a'+'A') + kind[1:]
}
