package server

import (
	"context"
	"fmt"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/acl"
	"github.com/concordhq/concord/internal/call"
	"github.com/concordhq/concord/internal/fsm"
	"github.com/concordhq/concord/internal/state"
	"github.com/google/uuid"
	"github.com/hashicorp/go-memdb"
)

// hiddenSecret replaces a token's SecretID for callers without acl write,
// as Consul does.
const hiddenSecret = "<hidden>"

// ACLTokenSet creates (create) or updates a token, and returns it as
// stored. The leader fills in what the caller left out: new IDs, the
// creation time, the expiration time from ExpirationTTL, the hash. In a
// secondary datacenter a global token is written in the primary.
func (s *Server) ACLTokenSet(ctx context.Context, tok *api.ACLToken, create bool) (*api.ACLToken, error) {
	if !s.ACLEnabled() {
		return nil, acl.ErrDisabled
	}
	if tok == nil {
		return nil, api.BadRequestError{Reason: "Request decode failed: missing token"}
	}
	if s.globalToken(tok.AccessorID, create && tok.Local) {
		var out *api.ACLToken
		if ok, err := s.forwardACLWrite(ctx, call.ACLTokenSet.Desc, &call.ACLTokenSetArgs{Token: tok, Create: create}, &out); ok {
			return out, err
		}
	}
	tok = tok.Clone()
	st := s.fsm.State()
	now := time.Now()
	var err error
	if create {
		err = s.newToken(st, tok, now)
	} else {
		err = updateToken(st, tok)
	}
	if err != nil {
		return nil, err
	}
	if tok.Policies, err = resolveLinks(st, "policy", tok.Policies); err != nil {
		return nil, err
	}
	if tok.Roles, err = resolveLinks(st, "role", tok.Roles); err != nil {
		return nil, err
	}
	if err := checkIdentities(tok.ServiceIdentities, tok.NodeIdentities); err != nil {
		return nil, err
	}
	tok.Hash = tokenHash(tok)
	return s.applyToken(&fsm.ACLOp{Op: fsm.ACLTokenSet, Token: tok, Create: create}, now)
}

// globalToken reports whether a write of the token accessorID (local
// when new and asked to be) is of a global token: a new one not local, or
// one this datacenter does not hold as local.
func (s *Server) globalToken(accessorID string, newLocal bool) bool {
	if newLocal {
		return false
	}
	_, tok, err := s.fsm.State().ACLTokenGet(nil, accessorID)
	return err != nil || tok == nil || !tok.Local
}

// applyToken applies op, which writes op.Token, and reads the token back.
func (s *Server) applyToken(op *fsm.ACLOp, now time.Time) (*api.ACLToken, error) {
	if _, err := s.raftApply(fsm.EncodeACL(op, now)); err != nil {
		return nil, err
	}
	_, out, err := s.fsm.State().ACLTokenGet(nil, op.Token.AccessorID)
	if err == nil && out == nil {
		err = acl.ErrNotFound // deleted at once by someone else
	}
	return out, err
}

// newToken checks and completes a token to create.
func (s *Server) newToken(st *state.Store, tok *api.ACLToken, now time.Time) error {
	for _, f := range []struct {
		name string
		v    *string
	}{{"AccessorID", &tok.AccessorID}, {"SecretID", &tok.SecretID}} {
		switch {
		case *f.v == "":
			*f.v = uuid.NewString()
		case !isUUID(*f.v):
			return api.BadRequestError{Reason: fmt.Sprintf("Invalid Token: %s is not a valid UUID", f.name)}
		case reservedID(*f.v):
			return api.BadRequestError{Reason: fmt.Sprintf("Invalid Token: %s is a reserved value", f.name)}
		}
	}
	if _, other, err := st.ACLTokenGet(nil, tok.AccessorID); err != nil {
		return err
	} else if other != nil {
		return api.BadRequestError{Reason: "Invalid Token: AccessorID is already in use"}
	}
	if _, other, err := st.ACLTokenBySecret(nil, tok.SecretID); err != nil {
		return err
	} else if other != nil {
		return api.BadRequestError{Reason: "Invalid Token: SecretID is already in use"}
	}
	tok.CreateTime = now
	tok.AuthMethod = ""
	return s.setExpiry(tok, now)
}

// setExpiry turns ExpirationTTL into ExpirationTime and bounds it, with
// Consul's texts.
func (s *Server) setExpiry(tok *api.ACLToken, now time.Time) error {
	switch {
	case tok.ExpirationTTL < 0:
		return api.BadRequestError{Reason: fmt.Sprintf("Token Expiration TTL '%s' should be > 0", tok.ExpirationTTL)}
	case tok.ExpirationTTL > 0 && tok.ExpirationTime != nil:
		return api.BadRequestError{Reason: "Expiration TTL and Expiration Time cannot both be set"}
	case tok.ExpirationTTL > 0:
		exp := now.Add(tok.ExpirationTTL)
		tok.ExpirationTime = &exp
	case tok.ExpirationTime == nil:
		return nil
	}
	tok.ExpirationTTL = 0
	lo, hi := s.cfg.ACL.minTTL(), s.cfg.ACL.maxTTL()
	switch ttl := tok.ExpirationTime.Sub(now); {
	case ttl <= 0:
		return api.BadRequestError{Reason: "ExpirationTime cannot be in the past"}
	case ttl < lo:
		return api.BadRequestError{Reason: fmt.Sprintf("ExpirationTime cannot be less than %s", lo)}
	case ttl > hi:
		return api.BadRequestError{Reason: fmt.Sprintf("ExpirationTime cannot be more than %s", hi)}
	}
	return nil
}

// updateToken checks an update against the stored token and keeps what
// an update may not change: secret, locality, creation and expiration.
func updateToken(st *state.Store, tok *api.ACLToken) error {
	if !isUUID(tok.AccessorID) {
		return api.BadRequestError{Reason: "Invalid Token: AccessorID is not a valid UUID"}
	}
	_, old, err := st.ACLTokenGet(nil, tok.AccessorID)
	if err != nil {
		return err
	}
	if old == nil || old.ExpiredAt(time.Now()) {
		return api.NotFoundError{Reason: fmt.Sprintf("Cannot find token %q", tok.AccessorID)}
	}
	switch {
	case tok.SecretID != "" && tok.SecretID != old.SecretID:
		return api.BadRequestError{Reason: "Changing a tokens SecretID is not permitted"}
	case tok.Local != old.Local:
		return api.BadRequestError{Reason: fmt.Sprintf("Cannot toggle local mode of %s", tok.AccessorID)}
	case tok.ExpirationTTL != 0 || tok.ExpirationTime != nil && !timesEqual(tok.ExpirationTime, old.ExpirationTime):
		return api.BadRequestError{Reason: fmt.Sprintf("Cannot change expiration time of %s", tok.AccessorID)}
	}
	tok.SecretID, tok.CreateTime, tok.ExpirationTime, tok.AuthMethod = old.SecretID, old.CreateTime, old.ExpirationTime, old.AuthMethod
	return nil
}

func timesEqual(a, b *time.Time) bool { return a != nil && b != nil && a.Equal(*b) }

// ACLTokenDelete deletes a token. The anonymous token and the caller's
// own token may not be deleted; a missing token is a 404. In a secondary
// datacenter a global token is deleted in the primary.
func (s *Server) ACLTokenDelete(ctx context.Context, accessorID string) error {
	if !s.ACLEnabled() {
		return acl.ErrDisabled
	}
	if s.globalToken(accessorID, false) {
		if ok, err := s.forwardACLWrite(ctx, call.ACLTokenDelete.Desc, &call.ACLTokenIDArgs{AccessorID: accessorID}, new(struct{})); ok {
			return err
		}
	}
	if !isUUID(accessorID) {
		return api.BadRequestError{Reason: "Accessor ID is missing or an invalid UUID"}
	}
	if accessorID == api.ACLAnonymousTokenID {
		return api.BadRequestError{Reason: "Delete operation not permitted on the anonymous token"}
	}
	_, tok, err := s.fsm.State().ACLTokenGet(nil, accessorID)
	if err != nil {
		return err
	}
	if tok == nil {
		return api.NotFoundError{Reason: "Cannot find token to delete"}
	}
	if secret, _ := call.TokenFrom(ctx); secret != "" && secret == tok.SecretID {
		return api.BadRequestError{Reason: "Deletion of the request's authorization token is not permitted"}
	}
	_, err = s.raftApply(fsm.EncodeACL(&fsm.ACLOp{Op: fsm.ACLTokenDelete, IDs: []string{accessorID}}, time.Now()))
	return err
}

// ACLTokenClone creates a token with the links, identities, locality and
// expiration of another, new IDs, and description (the source's when
// empty). In a secondary datacenter a global token is cloned in the
// primary.
func (s *Server) ACLTokenClone(ctx context.Context, accessorID, description string) (*api.ACLToken, error) {
	if !s.ACLEnabled() {
		return nil, acl.ErrDisabled
	}
	if s.globalToken(accessorID, false) {
		var out *api.ACLToken
		args := &call.ACLTokenCloneArgs{AccessorID: accessorID, Description: description}
		if ok, err := s.forwardACLWrite(ctx, call.ACLTokenClone.Desc, args, &out); ok {
			return out, err
		}
	}
	if !isUUID(accessorID) {
		return nil, api.BadRequestError{Reason: "Invalid Token: AccessorID is not a valid UUID"}
	}
	_, src, err := s.fsm.State().ACLTokenGet(nil, accessorID)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	if src == nil || src.ExpiredAt(now) {
		return nil, acl.ErrNotFound
	}
	tok := src.Clone()
	tok.AccessorID, tok.SecretID, tok.CreateTime = uuid.NewString(), uuid.NewString(), now
	if description != "" {
		tok.Description = description
	}
	tok.Hash = tokenHash(tok)
	return s.applyToken(&fsm.ACLOp{Op: fsm.ACLTokenSet, Token: tok, Create: true}, now)
}

// ACLTokenRead reads a token by AccessorID; an unknown or expired one is
// acl.ErrNotFound. Its secret is hidden from callers without acl write.
func (s *Server) ACLTokenRead(ctx context.Context, q *api.QueryOptions, accessorID string) (*api.ACLToken, api.QueryMeta, error) {
	if !s.ACLEnabled() {
		return nil, api.QueryMeta{}, acl.ErrDisabled
	}
	tok, m, err := query(ctx, s, q, func(ws memdb.WatchSet, st *state.Store) (uint64, *api.ACLToken, error) {
		return st.ACLTokenGet(ws, accessorID)
	})
	if err == nil && (tok == nil || tok.ExpiredAt(time.Now())) {
		err = acl.ErrNotFound
	}
	if err != nil {
		return nil, m, err
	}
	if !s.mayWriteACL(ctx) {
		tok.SecretID = hiddenSecret
	}
	return tok, m, nil
}

// ACLTokenReadExpanded is ACLTokenRead with the policies and roles the
// token draws on (its own and its roles' policies), and this server's
// default policy.
func (s *Server) ACLTokenReadExpanded(ctx context.Context, q *api.QueryOptions, accessorID string) (*api.ACLTokenExpanded, api.QueryMeta, error) {
	tok, m, err := s.ACLTokenRead(ctx, q, accessorID)
	if err != nil {
		return nil, m, err
	}
	out := &api.ACLTokenExpanded{ACLToken: *tok, ExpandedPolicies: []api.ACLPolicy{}, ExpandedRoles: []api.ACLRole{},
		AgentACLDefaultPolicy: "deny", AgentACLDownPolicy: "extend-cache", ResolvedByAgent: s.cfg.NodeName}
	if s.cfg.ACL.DefaultAllow {
		out.AgentACLDefaultPolicy = "allow"
	}
	st := s.fsm.State()
	seen := map[string]bool{}
	addPolicies := func(links []*api.ACLLink) {
		for _, l := range links {
			if _, p, _ := st.ACLPolicyGet(nil, l.ID); p != nil && !seen[p.ID] {
				seen[p.ID] = true
				out.ExpandedPolicies = append(out.ExpandedPolicies, *p)
			}
		}
	}
	addPolicies(tok.Policies)
	for _, l := range tok.Roles {
		if _, r, _ := st.ACLRoleGet(nil, l.ID); r != nil {
			out.ExpandedRoles = append(out.ExpandedRoles, *r)
			addPolicies(r.Policies)
		}
	}
	return out, m, nil
}

// ACLTokenSelf reads the token the call is made with.
func (s *Server) ACLTokenSelf(ctx context.Context, q *api.QueryOptions) (*api.ACLToken, api.QueryMeta, error) {
	if !s.ACLEnabled() {
		return nil, api.QueryMeta{}, acl.ErrDisabled
	}
	secret, _ := call.TokenFrom(ctx)
	if secret == "" {
		secret = api.ACLAnonymousTokenSecret
	}
	tok, m, err := query(ctx, s, q, func(ws memdb.WatchSet, st *state.Store) (uint64, *api.ACLToken, error) {
		return st.ACLTokenBySecret(ws, secret)
	})
	if err == nil && (tok == nil || tok.ExpiredAt(time.Now())) {
		err = acl.ErrNotFound
	}
	return tok, m, err
}

// TokenFilter selects tokens in a list: by linked policy or role ID, or
// by a service identity's name; "" matches every token.
type TokenFilter struct {
	Policy, Role, ServiceName, AuthMethod string
}

func (f TokenFilter) match(tok *api.ACLToken) bool {
	if f.AuthMethod != "" && tok.AuthMethod != f.AuthMethod {
		return false
	}
	if f.Policy != "" && !hasLink(tok.Policies, f.Policy) {
		return false
	}
	if f.Role != "" && !hasLink(tok.Roles, f.Role) {
		return false
	}
	if f.ServiceName != "" {
		for _, id := range tok.ServiceIdentities {
			if id.ServiceName == f.ServiceName {
				return true
			}
		}
		return false
	}
	return true
}

func countSet(fields ...string) int {
	n := 0
	for _, f := range fields {
		if f != "" {
			n++
		}
	}
	return n
}

func hasLink(links []*api.ACLLink, id string) bool {
	for _, l := range links {
		if l.ID == id {
			return true
		}
	}
	return false
}

// ACLTokenList lists the unexpired tokens that match f, in AccessorID
// order; secrets are hidden from callers without acl write.
func (s *Server) ACLTokenList(ctx context.Context, q *api.QueryOptions, f TokenFilter) ([]*api.ACLTokenListEntry, api.QueryMeta, error) {
	if !s.ACLEnabled() {
		return nil, api.QueryMeta{}, acl.ErrDisabled
	}
	if n := countSet(f.Policy, f.Role, f.ServiceName, f.AuthMethod); n > 1 {
		return nil, api.QueryMeta{}, api.BadRequestError{Reason: "can only filter by one of policy, role, servicename or authmethod at a time"}
	}
	toks, m, err := query(ctx, s, q, func(ws memdb.WatchSet, st *state.Store) (uint64, []*api.ACLToken, error) {
		return st.ACLTokenList(ws)
	})
	if err != nil {
		return nil, m, err
	}
	hide := !s.mayWriteACL(ctx)
	now := time.Now()
	out := []*api.ACLTokenListEntry{}
	for _, tok := range toks {
		if tok.ExpiredAt(now) || !f.match(tok) {
			continue
		}
		e := tok.ListEntry()
		if hide {
			e.SecretID = hiddenSecret
		}
		out = append(out, e)
	}
	return out, m, nil
}

// mayWriteACL reports whether the call's token has acl write, which
// reading other tokens' secrets needs.
func (s *Server) mayWriteACL(ctx context.Context) bool {
	secret, _ := call.TokenFrom(ctx)
	id, err := s.ResolveToken(secret)
	return err == nil && id != nil && id.Authorizer.Allowed(acl.ACL, "", acl.Write)
}
