package server

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/acl"
	"github.com/concordhq/concord/internal/state"
	"github.com/hashicorp/go-memdb"
)

// aclCacheSize bounds the compiled authorizers a server keeps: one per
// distinct set of policies in use, so a few thousand cover large clusters.
const aclCacheSize = 4096

// aclResolver holds what token resolution keeps between requests.
type aclResolver struct {
	once  sync.Once
	cache *acl.Cache // set by once, with the server's acl options

	initMu sync.Mutex // one initACLs at a time (leader start, bootstrap)

	repl      aclReplication // the leader's replication status, in a secondary datacenter
	replToken replToken      // the replication token, which the agent may change at run time
}

// ACLEnabled reports whether this server enforces ACLs (acl.enabled).
func (s *Server) ACLEnabled() bool { return s.cfg.ACL.Enabled }

// ResolveToken finds what the token with secret may do. It returns nil,
// nil when ACLs are disabled; "" is the anonymous token; an unknown or
// expired secret is acl.ErrNotFound (an expired token is refused from the
// moment it expires, before the leader reaps it). It reads this server's
// own state store, so any server resolves (a follower's view may be
// slightly stale, as Consul's token cache is).
//
// A token linked to the global-management policy gets acl.Manage();
// otherwise its policies, its roles' policies and its service and node
// identities are compiled once per set of policy versions.
func (s *Server) ResolveToken(secret string) (*acl.Identity, error) {
	if !s.ACLEnabled() {
		return nil, nil
	}
	if secret == "" {
		secret = api.ACLAnonymousTokenSecret
	}
	res, err := s.fsm.State().ACLResolve(secret)
	if err == nil && res == nil && secret != api.ACLAnonymousTokenSecret && s.waitForACLs() {
		// The leader had not made the built-ins yet, so a token from the
		// config (initial_management) may just have appeared too.
		res, err = s.fsm.State().ACLResolve(secret)
	}
	if err != nil {
		return nil, err
	}
	if res == nil {
		if secret == api.ACLAnonymousTokenSecret {
			// Before the leader has created the anonymous token, it has
			// no policies: the default decides.
			res = &state.ACLResolved{Token: &api.ACLToken{AccessorID: api.ACLAnonymousTokenID}}
		} else {
			return nil, s.unknownToken()
		}
	}
	if res.Token.ExpiredAt(time.Now()) {
		return nil, acl.ErrNotFound
	}
	auth, err := s.authorizer(res)
	if err != nil {
		return nil, err
	}
	return &acl.Identity{AccessorID: res.Token.AccessorID, Authorizer: auth}, nil
}

// waitForACLs waits, up to holdTimeout, until the leader has made the
// built-in ACL objects (the anonymous token stands for them all), as it
// does the moment it takes the lead. It reports whether it waited: a call
// that arrives while a new cluster elects its first leader resolves its
// token once the leader is through, rather than failing as unknown.
func (s *Server) waitForACLs() bool {
	deadline := time.Now().Add(holdTimeout)
	waited := false
	for {
		st := s.fsm.State()
		ws := memdb.NewWatchSet()
		ws.Add(st.AbandonCh())
		ws.Add(s.shutdownCh)
		_, anon, err := st.ACLTokenGet(ws, api.ACLAnonymousTokenID)
		if err != nil || anon != nil {
			return waited
		}
		wait := time.Until(deadline)
		if wait <= 0 {
			return waited
		}
		waited = true
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		ws.WatchCtx(ctx)
		cancel()
		select {
		case <-s.shutdownCh:
			return waited
		default:
		}
	}
}

// unknownToken is the error for a secret no token has: Consul's longer
// text while ACLs are not bootstrapped, since then no token but the
// anonymous one can exist yet.
func (s *Server) unknownToken() error {
	if done, _, err := s.fsm.State().ACLBootstrapped(); err == nil && !done {
		return fmt.Errorf("ACL system must be bootstrapped before making any requests that require authorization: %w", acl.ErrNotFound)
	}
	return acl.ErrNotFound
}

// aclCache returns the server's authorizer cache.
func (s *Server) aclCache() *acl.Cache {
	s.acl.once.Do(func() {
		s.acl.cache = acl.NewCache(aclCacheSize, acl.Options{
			DefaultAllow: s.cfg.ACL.DefaultAllow, KeyListPolicy: s.cfg.ACL.KeyListPolicy,
		})
	})
	return s.acl.cache
}

// authorizer compiles what res draws on: the policies that apply in this
// datacenter, and the identities of the token and its roles.
func (s *Server) authorizer(res *state.ACLResolved) (*acl.Authorizer, error) {
	dc := s.cfg.Datacenter
	var policies []*api.ACLPolicy
	for _, p := range res.Policies {
		if len(p.Datacenters) > 0 && !slices.Contains(p.Datacenters, dc) {
			continue
		}
		if p.ID == api.ACLManagementPolicyID {
			return acl.Manage(), nil
		}
		policies = append(policies, p)
	}
	services, nodes := identities(res, dc)

	// An identity's rules depend on its name only: the name is its version.
	vs := make([]acl.PolicyVersion, 0, len(policies)+len(services)+len(nodes))
	for _, p := range policies {
		vs = append(vs, acl.PolicyVersion{ID: p.ID, ModifyIndex: p.ModifyIndex})
	}
	for _, name := range services {
		vs = append(vs, acl.PolicyVersion{ID: "service-identity:" + name})
	}
	for _, name := range nodes {
		vs = append(vs, acl.PolicyVersion{ID: "node-identity:" + name})
	}
	return s.aclCache().Authorizer(vs, func() ([]*acl.Policy, error) {
		out := make([]*acl.Policy, 0, len(vs))
		for _, p := range policies {
			parsed, err := acl.Parse(p.Rules)
			if err != nil {
				// Rules are checked when written; a stored policy that does
				// not parse grants nothing rather than failing every call.
				s.logger.Warn("cannot parse stored ACL policy", "policy", p.Name, "error", err)
				continue
			}
			out = append(out, parsed)
		}
		for _, name := range services {
			out = append(out, acl.ServiceIdentityPolicy(name))
		}
		for _, name := range nodes {
			out = append(out, acl.NodeIdentityPolicy(name))
		}
		return out, nil
	})
}

// identities returns the names of the service and node identities of
// res's token and roles that apply in datacenter dc.
func identities(res *state.ACLResolved, dc string) (services, nodes []string) {
	addServices := func(ids []*api.ACLServiceIdentity) {
		for _, id := range ids {
			if id != nil && (len(id.Datacenters) == 0 || slices.Contains(id.Datacenters, dc)) {
				services = append(services, id.ServiceName)
			}
		}
	}
	addNodes := func(ids []*api.ACLNodeIdentity) {
		for _, id := range ids {
			if id != nil && id.Datacenter == dc {
				nodes = append(nodes, id.NodeName)
			}
		}
	}
	addServices(res.Token.ServiceIdentities)
	addNodes(res.Token.NodeIdentities)
	for _, r := range res.Roles {
		addServices(r.ServiceIdentities)
		addNodes(r.NodeIdentities)
	}
	return services, nodes
}
