package server

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/acl"
	"github.com/concordhq/concord/internal/call"
	"github.com/hashicorp/raft"
)

// Access control on the call path. Every call a server receives — from
// its own agent's HTTP API, DNS and anti-entropy, from a client agent or
// from another server over RPC — carries a token in its context
// (call.WithToken; none is the anonymous token) and goes through
// endpoint.Call, which runs the hooks before anything else:
//
//  1. authorize resolves the token (ResolveToken, through the identity
//     cache of acl_identities.go; a follower that does not know it asks
//     the leader; an unknown or expired secret is acl.ErrNotFound, HTTP
//     403 "ACL not found") and checks the resources the call declares
//     (acl.Authorizer.Authorize: one denied resource refuses the whole
//     call with Consul's 403 text);
//  2. for reads that Consul answers by leaving things out (lists of keys,
//     nodes, services, checks, sessions) and for blocking reads it returns
//     a Filter, which the endpoint runs on the result before answering
//     (setting QueryMeta.ResultsFilteredByACLs when it left anything out);
//  3. a blocking read's rights are checked again when it returns, with
//     the token resolved anew: a token deleted (or whose policy changed)
//     while the read waited gets 403 "ACL not found" (or a denial) from the
//     wake-up that ends the wait — a change to what it watches, or the end
//     of ?wait — rather than the data.
//
// A call forwarded to the leader carries its token over the wire and is
// checked there again, so a server never trusts another's decision; the
// leader's filtered result is filtered again on the way back, which
// changes nothing.

// hooks returns the hooks calls run through: the configured ones, with
// authorize as Authorize when ACLs are on.
func (s *Server) hooks() call.Hooks {
	h := s.cfg.Hooks
	if h.Authorize == nil && s.ACLEnabled() {
		h.Authorize = s.authorize
	}
	return h
}

// authorize is the Hooks.Authorize of a server with ACLs on.
func (s *Server) authorize(ctx context.Context, d *call.Desc, args any) (call.Filter, error) {
	rs := d.Resources(args)
	if public(rs) {
		return nil, nil
	}
	secret, _ := call.TokenFrom(ctx)
	id, err := s.resolveForCall(ctx, secret)
	if err != nil || id == nil {
		return nil, err
	}
	s.nameSessions(rs)
	if err := id.Authorizer.Authorize(id.AccessorID, rs); err != nil {
		return nil, err
	}
	blocking := false
	if q, ok := args.(call.Queried); ok {
		blocking = q.Options().MinQueryIndex > 0
	}
	switch {
	case blocking:
		return func(ctx context.Context, out any) error {
			id, err := s.resolveForCall(ctx, secret)
			if err != nil || id == nil {
				return err
			}
			if err := id.Authorizer.Authorize(id.AccessorID, rs); err != nil {
				return err
			}
			filterResult(id.Authorizer, out)
			return nil
		}, nil
	case id.Authorizer.IsManagement() || (d.Kind == call.Write && d != call.Txn.Desc):
		return nil, nil
	}
	return func(_ context.Context, out any) error {
		filterResult(id.Authorizer, out)
		return nil
	}, nil
}

// resolveForCall resolves a call's token from this server's state, or,
// when this follower does not know it, asks the leader: a token created a
// moment ago may not have reached this server yet, and its first call
// should not fail for that.
func (s *Server) resolveForCall(ctx context.Context, secret string) (*acl.Identity, error) {
	id, err := s.resolveCached(secret)
	if !errors.Is(err, acl.ErrNotFound) || s.raft.State() == raft.Leader {
		return id, err
	}
	var res call.ResolvedToken
	if err := (leaderCaller{s}).Call(call.WithToken(ctx, secret), call.ACLResolve.Desc, &call.ACLResolveArgs{}, &res); err != nil {
		return nil, err
	}
	if !res.Enabled {
		return nil, acl.ErrNotFound // the leader enforces no ACLs: a configuration at odds with ours
	}
	var auth acl.Authorizer
	if err := json.Unmarshal(res.Authorizer, &auth); err != nil {
		return nil, err
	}
	return &acl.Identity{AccessorID: res.AccessorID, Authorizer: &auth}, nil
}

// public reports whether rs are only the cluster's public status (leader,
// peers), which any caller may read, whatever its token: Consul answers
// /v1/status without looking at the token.
func public(rs []call.Resource) bool {
	for _, r := range rs {
		if r.Kind != "status" {
			return false
		}
	}
	return true
}

// nameSessions names each resource that stands for one session by ID
// after that session's node, as session rules name sessions. An unknown
// session leaves the name "": only a rule for every node allows the call,
// which then finds no session.
func (s *Server) nameSessions(rs []call.Resource) {
	for i := range rs {
		if rs[i].Session == "" {
			continue
		}
		if _, se, err := s.fsm.State().SessionGet(nil, rs[i].Session); err == nil && se != nil {
			rs[i].Name = se.Node
		}
	}
}

// filterResult leaves out of out (a call's *R) what a may not read, and
// marks its meta when it did. Results of other types are left as they are:
// their calls were decided whole by Authorize.
func filterResult(a *acl.Authorizer, out any) {
	switch r := out.(type) {
	case *call.Result[[]*api.KVPair]:
		filterInto(r, a.FilterKVPairs)
	case *call.Result[[]string]:
		filterInto(r, a.FilterKeys)
	case *call.Result[[]*api.SessionEntry]:
		filterInto(r, a.FilterSessions)
	case *call.Result[[]*api.Node]:
		filterInto(r, a.FilterNodes)
	case *call.Result[[]*api.HealthCheck]:
		filterInto(r, a.FilterHealthChecks)
	case *call.Result[*api.CatalogNode]:
		filterInto(r, a.FilterCatalogNode)
	case *call.Result[map[string][]string]:
		filterInto(r, a.FilterServices)
	case *call.Result[[]*api.CatalogService]:
		filterInto(r, a.FilterCatalogServices)
	case *call.Result[[]*api.ServiceEntry]:
		filterInto(r, a.FilterServiceEntries)
	case *call.Result[[]*api.CoordinateEntry]:
		filterInto(r, a.FilterCoordinates)
	case *call.Result[[]*api.ConfigEntry]:
		filterInto(r, func(v []*api.ConfigEntry) ([]*api.ConfigEntry, bool) { return filterConfigEntries(a, v) })
	case *call.Result[*api.TxnResponse]:
		filterInto(r, func(v *api.TxnResponse) (*api.TxnResponse, bool) { return filterTxn(a, v) })
	}
}

// filterInto runs a Filter method on a read's value, marking its meta
// when it left something out; a mark the meta had already (the leader's
// filtering, forwarded) stays.
func filterInto[T any](r *call.Result[T], filter func(T) (T, bool)) {
	v, filtered := filter(r.Value)
	r.Value = v
	r.Meta.ResultsFilteredByACLs = r.Meta.ResultsFilteredByACLs || filtered
}

// filterTxn leaves out of a transaction's results the pairs a get-tree
// found that a may not read; the operations themselves were authorized
// whole. Like the Filter methods, it never changes resp.
func filterTxn(a *acl.Authorizer, resp *api.TxnResponse) (*api.TxnResponse, bool) {
	if resp == nil || a.IsManagement() {
		return resp, false
	}
	var kept []api.TxnResult
	for i, r := range resp.Results {
		if r.KV == nil || a.Allowed(acl.Key, r.KV.Key, acl.Read) {
			if kept != nil {
				kept = append(kept, r)
			}
			continue
		}
		if kept == nil {
			kept = append(make([]api.TxnResult, 0, len(resp.Results)), resp.Results[:i]...)
		}
	}
	if kept == nil {
		return resp, false
	}
	return &api.TxnResponse{Results: kept, Errors: resp.Errors}, true
}

// enforceImpls answer the calls that access control adds to the table.
func (s *Server) enforceImpls() []call.Impl {
	return []call.Impl{
		call.Implement(call.ACLResolve, func(ctx context.Context, _ *call.ACLResolveArgs) (call.ResolvedToken, error) {
			secret, _ := call.TokenFrom(ctx)
			id, err := s.resolveCached(secret)
			if err != nil || id == nil {
				return call.ResolvedToken{}, err
			}
			raw, err := json.Marshal(id.Authorizer)
			if err != nil {
				return call.ResolvedToken{}, err
			}
			return call.ResolvedToken{Enabled: true, AccessorID: id.AccessorID, Authorizer: raw}, nil
		}),
	}
}
