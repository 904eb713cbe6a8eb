package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/acl"
	"github.com/concordhq/concord/internal/authmethod"
	"github.com/concordhq/concord/internal/call"
	"github.com/concordhq/concord/internal/fsm"
	"github.com/concordhq/concord/internal/state"
	"github.com/google/uuid"
	"github.com/hashicorp/go-memdb"
)

// Auth methods and binding rules belong to their datacenter, as in
// Consul: they are written where they are used and not replicated (a
// method whose tokens are global exists only in the primary, whose global
// tokens are replicated). Their validation errors are Consul's texts,
// which Consul answers with HTTP 500; so are they here.

// authMethodNameRE is Consul's rule for auth method names.
var authMethodNameRE = regexp.MustCompile(`^[A-Za-z0-9\-_]{1,128}$`)

// errAuthMethodsNeedReplication refuses auth methods in a secondary
// datacenter that does not replicate tokens, with Consul's text.
var errAuthMethodsNeedReplication = errors.New("Token replication is required for auth methods to function")

// checkAuthMethods is what every auth method call checks first.
func (s *Server) checkAuthMethods() error {
	switch {
	case !s.ACLEnabled():
		return acl.ErrDisabled
	case s.aclSecondary() && s.replicationToken() == "":
		return errAuthMethodsNeedReplication
	}
	return nil
}

// ACLAuthMethodSet creates or updates (by Name) an auth method, whose
// Config must suit its Type, and returns it as stored.
func (s *Server) ACLAuthMethodSet(ctx context.Context, m *api.ACLAuthMethod) (*api.ACLAuthMethod, error) {
	if err := s.checkAuthMethods(); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, api.BadRequestError{Reason: "AuthMethod decoding failed: missing auth method"}
	}
	m = m.Clone()
	switch {
	case m.Name == "":
		return nil, errors.New("Invalid Auth Method: no Name is set")
	case !authMethodNameRE.MatchString(m.Name):
		return nil, errors.New("Invalid Auth Method: invalid Name. Only alphanumeric characters, '-' and '_' are allowed")
	}
	st := s.fsm.State()
	_, existing, err := st.ACLAuthMethodGet(nil, m.Name)
	if err != nil {
		return nil, err
	}
	if existing != nil {
		if m.Type == "" {
			m.Type = existing.Type
		} else if m.Type != existing.Type {
			return nil, errors.New("the Type field of an Auth Method is immutable")
		}
	}
	if !slices.Contains(authmethod.Types(), m.Type) {
		return nil, fmt.Errorf("Invalid Auth Method: Type should be one of: %v", authmethod.Types())
	}
	if m.MaxTokenTTL != 0 {
		if lo, hi := s.cfg.ACL.minTTL(), s.cfg.ACL.maxTTL(); m.MaxTokenTTL > hi {
			return nil, fmt.Errorf("MaxTokenTTL %s cannot be more than %s", m.MaxTokenTTL, hi)
		} else if m.MaxTokenTTL < lo {
			return nil, fmt.Errorf("MaxTokenTTL %s cannot be less than %s", m.MaxTokenTTL, lo)
		}
	}
	switch m.TokenLocality {
	case "", "local":
	case "global":
		if s.aclSecondary() {
			return nil, errors.New("Invalid Auth Method: TokenLocality 'global' can only be used in the primary datacenter")
		}
	default:
		return nil, errors.New("Invalid Auth Method: TokenLocality should be one of 'local' or 'global'")
	}
	v, err := authmethod.New(m)
	if err == nil {
		if c, ok := v.(authmethod.Checker); ok {
			err = c.Check(ctx)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("Invalid Auth Method: %v", err)
	}
	if _, err := s.raftApply(fsm.EncodeACL(&fsm.ACLOp{Op: fsm.ACLAuthMethodSet, AuthMethod: m}, time.Now())); err != nil {
		return nil, err
	}
	_, out, err := st.ACLAuthMethodGet(nil, m.Name)
	if err == nil && out == nil {
		err = acl.ErrNotFound // deleted at once by someone else
	}
	return out, err
}

// ACLAuthMethodDelete deletes an auth method with its binding rules and
// the tokens logins through it made; a missing one is no error.
func (s *Server) ACLAuthMethodDelete(_ context.Context, name string) error {
	if err := s.checkAuthMethods(); err != nil {
		return err
	}
	if _, m, err := s.fsm.State().ACLAuthMethodGet(nil, name); err != nil || m == nil {
		return err
	}
	_, err := s.raftApply(fsm.EncodeACL(&fsm.ACLOp{Op: fsm.ACLAuthMethodDelete, IDs: []string{name}}, time.Now()))
	return err
}

// ACLAuthMethodRead reads an auth method; nil when there is none.
func (s *Server) ACLAuthMethodRead(ctx context.Context, q *api.QueryOptions, name string) (*api.ACLAuthMethod, api.QueryMeta, error) {
	if err := s.checkAuthMethods(); err != nil {
		return nil, api.QueryMeta{}, err
	}
	return query(ctx, s, q, func(ws memdb.WatchSet, st *state.Store) (uint64, *api.ACLAuthMethod, error) {
		return st.ACLAuthMethodGet(ws, name)
	})
}

// ACLAuthMethodList lists every auth method, without Config, by name.
func (s *Server) ACLAuthMethodList(ctx context.Context, q *api.QueryOptions) ([]*api.ACLAuthMethodListEntry, api.QueryMeta, error) {
	if err := s.checkAuthMethods(); err != nil {
		return nil, api.QueryMeta{}, err
	}
	ms, m, err := query(ctx, s, q, func(ws memdb.WatchSet, st *state.Store) (uint64, []*api.ACLAuthMethod, error) {
		return st.ACLAuthMethodList(ws)
	})
	return listEntries(ms, (*api.ACLAuthMethod).ListEntry), m, err
}

// ACLBindingRuleSet creates (create: a new ID) or updates a binding rule,
// checked against its auth method, and returns it as stored.
func (s *Server) ACLBindingRuleSet(ctx context.Context, r *api.ACLBindingRule, create bool) (*api.ACLBindingRule, error) {
	if err := s.checkAuthMethods(); err != nil {
		return nil, err
	}
	if r == nil {
		return nil, api.BadRequestError{Reason: "BindingRule decoding failed: missing binding rule"}
	}
	rule := *r
	st := s.fsm.State()
	if create {
		rule.ID = uuid.NewString()
	} else {
		if _, err := uuid.Parse(rule.ID); err != nil {
			return nil, errors.New("Binding Rule ID invalid UUID")
		}
		_, existing, err := st.ACLBindingRuleGet(nil, rule.ID)
		if err != nil {
			return nil, err
		}
		if existing == nil {
			return nil, fmt.Errorf("cannot find binding rule %s", rule.ID)
		}
		if rule.AuthMethod == "" {
			rule.AuthMethod = existing.AuthMethod
		} else if rule.AuthMethod != existing.AuthMethod {
			return nil, errors.New("the AuthMethod field of an Binding Rule is immutable")
		}
	}
	if rule.AuthMethod == "" {
		return nil, errors.New("Invalid Binding Rule: no AuthMethod is set")
	}
	v, err := s.authValidator(rule.AuthMethod)
	if err != nil {
		return nil, err
	}
	if err := authmethod.CheckRule(&rule, v.NewIdentity()); err != nil {
		return nil, err
	}
	if _, err := s.raftApply(fsm.EncodeACL(&fsm.ACLOp{Op: fsm.ACLBindingRuleSet, BindingRule: &rule}, time.Now())); err != nil {
		return nil, err
	}
	_, out, err := st.ACLBindingRuleGet(nil, rule.ID)
	if err == nil && out == nil {
		err = acl.ErrNotFound
	}
	return out, err
}

// authValidator returns the validator of the auth method name, with
// Consul's text when there is none.
func (s *Server) authValidator(name string) (authmethod.Validator, error) {
	_, m, err := s.fsm.State().ACLAuthMethodGet(nil, name)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("cannot find auth method with name %q", name)
	}
	return authmethod.New(m)
}

// ACLBindingRuleDelete deletes a binding rule; a missing one is no error.
func (s *Server) ACLBindingRuleDelete(_ context.Context, id string) error {
	if err := s.checkAuthMethods(); err != nil {
		return err
	}
	if _, r, err := s.fsm.State().ACLBindingRuleGet(nil, id); err != nil || r == nil {
		return err
	}
	_, err := s.raftApply(fsm.EncodeACL(&fsm.ACLOp{Op: fsm.ACLBindingRuleDelete, IDs: []string{id}}, time.Now()))
	return err
}

// ACLBindingRuleRead reads a binding rule; nil when there is none.
func (s *Server) ACLBindingRuleRead(ctx context.Context, q *api.QueryOptions, id string) (*api.ACLBindingRule, api.QueryMeta, error) {
	if err := s.checkAuthMethods(); err != nil {
		return nil, api.QueryMeta{}, err
	}
	return query(ctx, s, q, func(ws memdb.WatchSet, st *state.Store) (uint64, *api.ACLBindingRule, error) {
		return st.ACLBindingRuleGet(ws, id)
	})
}

// ACLBindingRuleList lists the binding rules of method ("" for all), by ID.
func (s *Server) ACLBindingRuleList(ctx context.Context, q *api.QueryOptions, method string) ([]*api.ACLBindingRule, api.QueryMeta, error) {
	if err := s.checkAuthMethods(); err != nil {
		return nil, api.QueryMeta{}, err
	}
	return query(ctx, s, q, func(ws memdb.WatchSet, st *state.Store) (uint64, []*api.ACLBindingRule, error) {
		return st.ACLBindingRuleList(ws, method)
	})
}

// loginDescription is the description of a token a login makes, as Consul's.
const loginDescription = "token created via login"

// ACLLogin verifies p.BearerToken with the auth method p.AuthMethod and
// makes a token with what the method's matching binding rules give; no
// match (or nothing that exists to link) is acl.ErrPermissionDenied. The
// token expires after the method's MaxTokenTTL, and is local unless the
// method's TokenLocality is global.
func (s *Server) ACLLogin(ctx context.Context, p *api.ACLLoginParams) (*api.ACLToken, error) {
	if err := s.checkAuthMethods(); err != nil {
		return nil, err
	}
	if p == nil {
		return nil, errors.New("Invalid Login request: Missing auth parameters")
	}
	st := s.fsm.State()
	_, m, err := st.ACLAuthMethodGet(nil, p.AuthMethod)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("%w: auth method %q not found", acl.ErrNotFound, p.AuthMethod)
	}
	v, err := authmethod.New(m)
	if err != nil {
		return nil, err
	}
	id, err := v.Login(ctx, p.BearerToken)
	if err != nil {
		return nil, err
	}
	_, rules, err := st.ACLBindingRuleList(nil, m.Name)
	if err != nil {
		return nil, err
	}
	b, err := authmethod.Bind(rules, id)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tok := &api.ACLToken{
		AccessorID: uuid.NewString(), SecretID: uuid.NewString(), Description: loginDescription,
		Local: m.TokenLocality != "global", AuthMethod: m.Name, CreateTime: now,
	}
	if len(p.Meta) > 0 {
		meta, _ := json.Marshal(p.Meta)
		tok.Description += ": " + string(meta)
	}
	if !tok.Local && s.aclSecondary() {
		return nil, errors.New("creating global tokens via auth methods is only permitted in the primary datacenter")
	}
	for _, name := range uniq(b.ServiceIdentities) {
		tok.ServiceIdentities = append(tok.ServiceIdentities, &api.ACLServiceIdentity{ServiceName: name})
	}
	for _, name := range uniq(b.NodeIdentities) {
		tok.NodeIdentities = append(tok.NodeIdentities, &api.ACLNodeIdentity{NodeName: name, Datacenter: s.cfg.Datacenter})
	}
	for _, name := range uniq(b.Roles) {
		if _, r, err := st.ACLRoleByName(nil, name); err == nil && r != nil {
			tok.Roles = append(tok.Roles, &api.ACLLink{ID: r.ID, Name: r.Name})
		}
	}
	for _, name := range uniq(b.Policies) {
		if _, pol, err := st.ACLPolicyByName(nil, name); err == nil && pol != nil {
			tok.Policies = append(tok.Policies, &api.ACLLink{ID: pol.ID, Name: pol.Name})
		}
	}
	if len(tok.ServiceIdentities)+len(tok.NodeIdentities)+len(tok.Roles)+len(tok.Policies) == 0 {
		return nil, acl.ErrPermissionDenied
	}
	if m.MaxTokenTTL > 0 {
		exp := now.Add(m.MaxTokenTTL)
		tok.ExpirationTime = &exp
	}
	tok.Hash = tokenHash(tok)
	out, err := s.applyToken(&fsm.ACLOp{Op: fsm.ACLTokenSet, Token: tok, Create: true}, now)
	if err != nil && isBadLink(err) {
		// A role or policy deleted since it was looked up: as Consul,
		// the same answer as no binding at all.
		return nil, acl.ErrPermissionDenied
	}
	return out, err
}

// isBadLink reports whether err is the state store's refusal of a link
// to a policy or role that no longer exists.
func isBadLink(err error) bool {
	var bad api.BadRequestError
	return errors.As(err, &bad)
}

// uniq returns names without repeats, in first-seen order.
func uniq(names []string) []string {
	var out []string
	for _, n := range names {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// ACLLogout deletes the call's token, which must have been made by a
// login: any other is acl.ErrPermissionDenied, none acl.ErrNotFound. In a
// secondary datacenter a global token is deleted in the primary.
func (s *Server) ACLLogout(ctx context.Context) error {
	if err := s.checkAuthMethods(); err != nil {
		return err
	}
	secret, _ := call.TokenFrom(ctx)
	if secret == "" {
		return acl.ErrNotFound
	}
	_, tok, err := s.fsm.State().ACLTokenBySecret(nil, secret)
	switch {
	case err != nil:
		return err
	case tok == nil:
		return acl.ErrNotFound
	case tok.AuthMethod == "":
		return acl.ErrPermissionDenied
	case !tok.Local:
		if ok, err := s.forwardACLWrite(ctx, call.ACLLogout.Desc, &call.ACLLogoutArgs{}, new(struct{})); ok {
			return err
		}
	}
	_, err = s.raftApply(fsm.EncodeACL(&fsm.ACLOp{Op: fsm.ACLTokenDelete, IDs: []string{tok.AccessorID}}, time.Now()))
	return err
}
