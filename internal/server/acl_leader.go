package server

import (
	"fmt"
	"strings"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/fsm"
	"github.com/google/uuid"
)

// managementRules are the global-management policy's rules: every rule
// kind at write. The policy's ID makes a token management, not these
// rules; they say what it grants to whoever reads it.
const managementRules = `acl = "write"
agent_prefix "" {
  policy = "write"
}
event_prefix "" {
  policy = "write"
}
key_prefix "" {
  policy = "write"
}
keyring = "write"
node_prefix "" {
  policy = "write"
}
operator = "write"
query_prefix "" {
  policy = "write"
}
service_prefix "" {
  policy = "write"
  intentions = "write"
}
session_prefix "" {
  policy = "write"
}
`

// builtinPolicies are made by the leader, with Consul's IDs and names;
// their rules, datacenters and names may not change, nor may they be
// deleted.
var builtinPolicies = []*api.ACLPolicy{
	{ID: api.ACLManagementPolicyID, Name: api.ACLManagementPolicyName,
		Description: "Builtin Policy that grants unlimited access", Rules: managementRules},
	{ID: api.ACLReadOnlyPolicyID, Name: api.ACLReadOnlyPolicyName,
		Description: "Builtin Policy that grants unlimited read-only access to all components",
		Rules:       strings.ReplaceAll(managementRules, `"write"`, `"read"`)},
}

// builtinPolicy returns the built-in policy with id, or nil.
func builtinPolicy(id string) *api.ACLPolicy {
	for _, p := range builtinPolicies {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// aclReapBatch bounds the tokens one reap command deletes.
const aclReapBatch = 128

// establishACLs makes the built-in ACL objects as this server takes the
// lead, before it answers calls as leader, so a token from the config
// (initial_management) works from the first call. A failure is retried by
// runACLLeader.
func (s *Server) establishACLs() {
	if !s.ACLEnabled() {
		return
	}
	if err := s.initACLs(); err != nil {
		s.logger.Warn("cannot create the built-in ACL objects yet", "error", err)
	}
}

// runACLLeader makes sure the built-in ACL objects exist, then deletes
// expired tokens, and in a secondary datacenter replicates the primary's
// ACLs, until stopCh closes.
func (s *Server) runACLLeader(stopCh <-chan struct{}) {
	if !s.ACLEnabled() {
		return
	}
	for {
		err := s.initACLs()
		if err == nil {
			break
		}
		s.logger.Warn("cannot create the built-in ACL objects; retrying", "error", err)
		select {
		case <-stopCh:
			return
		case <-time.After(time.Second):
		}
	}
	go s.runACLReplication(stopCh)
	tick := time.NewTicker(s.cfg.ACL.reapInterval())
	defer tick.Stop()
	for {
		select {
		case <-stopCh:
			return
		case <-tick.C:
			s.reapTokens()
		}
	}
}

// initACLs creates what a cluster with ACLs needs, as Consul's leader
// does: the built-in policies, the anonymous token and, when the
// config names one, the initial management token (which bootstraps ACLs
// if nobody has) — in the primary datacenter only, as Consul: a
// secondary's tokens come from the primary.
func (s *Server) initACLs() error {
	s.acl.initMu.Lock()
	defer s.acl.initMu.Unlock()
	st := s.fsm.State()
	now := time.Now()
	for _, builtin := range builtinPolicies {
		if _, p, err := st.ACLPolicyGet(nil, builtin.ID); err != nil {
			return err
		} else if p != nil {
			continue
		}
		p := builtin.Clone()
		p.Hash = policyHash(p)
		if _, err := s.raftApply(fsm.EncodeACL(&fsm.ACLOp{Op: fsm.ACLPolicySet, Policy: p, Create: true}, now)); err != nil {
			return fmt.Errorf("cannot create the %s policy: %w", p.Name, err)
		}
	}
	if _, tok, err := st.ACLTokenGet(nil, api.ACLAnonymousTokenID); err != nil {
		return err
	} else if tok == nil {
		anon := &api.ACLToken{AccessorID: api.ACLAnonymousTokenID, SecretID: api.ACLAnonymousTokenSecret,
			Description: "Anonymous Token", CreateTime: now}
		anon.Hash = tokenHash(anon)
		if _, err := s.raftApply(fsm.EncodeACL(&fsm.ACLOp{Op: fsm.ACLTokenSet, Token: anon, Create: true}, now)); err != nil {
			return fmt.Errorf("cannot create the anonymous token: %w", err)
		}
	}
	return s.initManagementToken(now)
}

// initManagementToken creates the token of acl.tokens.initial_management
// unless a token has its secret. If ACLs were never bootstrapped, it is
// the bootstrap, so /v1/acl/bootstrap then refuses.
func (s *Server) initManagementToken(now time.Time) error {
	secret := s.cfg.ACL.InitialManagement
	if secret == "" || s.aclSecondary() {
		return nil
	}
	st := s.fsm.State()
	if _, tok, err := st.ACLTokenBySecret(nil, secret); err != nil || tok != nil {
		return err
	}
	if _, err := uuid.Parse(secret); err != nil {
		s.logger.Warn("acl.tokens.initial_management is not a UUID; Consul's tools may refuse it")
	}
	tok := &api.ACLToken{AccessorID: uuid.NewString(), SecretID: secret, Description: "Initial Management Token",
		Policies: []*api.ACLLink{{ID: api.ACLManagementPolicyID, Name: api.ACLManagementPolicyName}}, CreateTime: now}
	tok.Hash = tokenHash(tok)
	op := &fsm.ACLOp{Op: fsm.ACLTokenSet, Token: tok, Create: true}
	if done, _, err := st.ACLBootstrapped(); err != nil {
		return err
	} else if !done {
		op.Op = fsm.ACLBootstrap
	}
	if _, err := s.raftApply(fsm.EncodeACL(op, now)); err != nil {
		return fmt.Errorf("cannot create the initial management token: %w", err)
	}
	s.logger.Info("created the initial management token", "accessor_id", tok.AccessorID)
	return nil
}

// reapTokens deletes tokens that have expired, a batch at a time.
func (s *Server) reapTokens() {
	ids := s.fsm.State().ACLTokensExpired(time.Now(), aclReapBatch)
	if len(ids) == 0 {
		return
	}
	if _, err := s.raftApply(fsm.EncodeACL(&fsm.ACLOp{Op: fsm.ACLTokenDelete, IDs: ids}, time.Now())); err != nil {
		s.logger.Warn("cannot delete expired ACL tokens", "count", len(ids), "error", err)
		return
	}
	s.logger.Debug("deleted expired ACL tokens", "count", len(ids))
}
