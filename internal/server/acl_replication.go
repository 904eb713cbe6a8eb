package server

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/acl"
	"github.com/concordhq/concord/internal/call"
	"github.com/concordhq/concord/internal/fsm"
	"github.com/concordhq/concord/internal/state"
	"github.com/hashicorp/go-memdb"
)

// ACL replication across datacenters. The primary datacenter
// (primary_datacenter) owns the policies, roles and global tokens; every
// other datacenter is a secondary:
//
//  1. its leader makes a blocking read of all of them from the primary
//     (ACLReplicate, with the replication token, over CallDC), diffs them
//     against its own store and applies the differences through its own
//     Raft, deletes first, then policies, roles and tokens;
//  2. it writes policies, roles and global tokens at the primary
//     (forwardACLWrite), so they reach it by step 1; local tokens
//     (Local: true) are written, and stay, in their own datacenter;
//  3. it resolves tokens from its own store, so when the primary cannot
//     be reached it goes on with what it last replicated.

// aclReplicationWait is how long one blocking read of the primary waits
// for a change; aclReplicationRetry how long the loop waits after an
// error before trying again.
const (
	aclReplicationWait  = 5 * time.Minute
	aclReplicationRetry = time.Second
)

// aclReplication is the replication loop's status, for /v1/acl/replication.
type aclReplication struct {
	mu     sync.Mutex
	status api.ACLReplicationStatus // guarded by mu
}

func (r *aclReplication) update(fn func(*api.ACLReplicationStatus)) {
	r.mu.Lock()
	fn(&r.status)
	r.mu.Unlock()
}

func (r *aclReplication) get() api.ACLReplicationStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status
}

// replToken is the token a secondary reads the primary's ACLs with:
// acl.tokens.replication at start, then whatever the agent sets (PUT
// /v1/agent/token/replication, SetReplicationToken).
type replToken struct {
	mu      sync.Mutex
	secret  string        // guarded by mu
	changed chan struct{} // closed, and replaced, when secret changes; guarded by mu
}

// get returns the token and a channel closed when it next changes.
func (r *replToken) get() (string, <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.changed == nil {
		r.changed = make(chan struct{})
	}
	return r.secret, r.changed
}

func (r *replToken) set(secret string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if secret == r.secret {
		return
	}
	r.secret = secret
	if r.changed != nil {
		close(r.changed)
	}
	r.changed = make(chan struct{})
}

// SetReplicationToken replaces the replication token: a secondary's
// leader replicates with it from its next read of the primary (one
// waiting for a token starts).
func (s *Server) SetReplicationToken(secret string) { s.acl.replToken.set(secret) }

// replicationToken is the current replication token ("" when unset).
func (s *Server) replicationToken() string {
	secret, _ := s.acl.replToken.get()
	return secret
}

// aclSecondary reports whether this server's datacenter takes its ACLs
// from another (the primary).
func (s *Server) aclSecondary() bool {
	return s.ACLEnabled() && s.remote(s.cfg.ACL.PrimaryDatacenter)
}

// primaryDC is the datacenter that owns the ACLs: this one unless
// primary_datacenter names another.
func (s *Server) primaryDC() string {
	if s.cfg.ACL.PrimaryDatacenter == "" {
		return s.cfg.Datacenter
	}
	return s.cfg.ACL.PrimaryDatacenter
}

// forwardACLWrite makes the write d in the primary datacenter when this
// one is a secondary, and reports whether it did. The caller's token goes
// with it; the primary checks it again.
func (s *Server) forwardACLWrite(ctx context.Context, d *call.Desc, args, out any) (bool, error) {
	if !s.aclSecondary() {
		return false, nil
	}
	return true, s.CallDC(ctx, s.primaryDC(), d, args, out)
}

// ACLReplication answers /v1/acl/replication from the leader, which runs
// the replication in a secondary datacenter. In the primary, Enabled and
// Running stay false.
func (s *Server) ACLReplication() (*api.ACLReplicationStatus, api.QueryMeta, error) {
	if !s.ACLEnabled() {
		return nil, api.QueryMeta{}, acl.ErrDisabled
	}
	var m api.QueryMeta
	s.fillMeta(&m, "")
	m.LastIndex = s.fsm.State().MaxIndex()
	out := s.acl.repl.get()
	out.SourceDatacenter = s.primaryDC()
	out.Enabled = s.aclSecondary() && s.replicationToken() != ""
	if out.Enabled {
		out.ReplicationType = "tokens"
	}
	return &out, m, nil
}

// ACLReplicate answers a secondary's read of this datacenter's ACLs: all
// policies and roles, and the global tokens, blocking on q.MinQueryIndex
// like any read. Tokens are read first: a policy or role a token links
// to is then in the later reads, unless deleted meanwhile.
func (s *Server) ACLReplicate(ctx context.Context, q *api.QueryOptions) (*call.ACLReplicaSet, api.QueryMeta, error) {
	if !s.ACLEnabled() {
		return nil, api.QueryMeta{}, acl.ErrDisabled
	}
	return query(ctx, s, q, func(ws memdb.WatchSet, st *state.Store) (uint64, *call.ACLReplicaSet, error) {
		idxT, tokens, err := st.ACLTokenList(ws)
		if err != nil {
			return 0, nil, err
		}
		idxR, roles, err := st.ACLRoleList(ws)
		if err != nil {
			return 0, nil, err
		}
		idxP, policies, err := st.ACLPolicyList(ws)
		if err != nil {
			return 0, nil, err
		}
		out := &call.ACLReplicaSet{Policies: policies, Roles: roles, Tokens: make([]*api.ACLToken, 0, len(tokens))}
		for _, tok := range tokens {
			if !tok.Local {
				out.Tokens = append(out.Tokens, tok)
			}
		}
		return max(idxT, idxR, idxP), out, nil
	})
}

// runACLReplication replicates the primary's ACLs into this datacenter
// while this server leads (until stopCh closes), if it is a secondary:
// with the replication token, waiting for one while none is set, and
// starting over with a new one when it changes.
func (s *Server) runACLReplication(stopCh <-chan struct{}) {
	if !s.aclSecondary() {
		return
	}
	for warned := false; ; {
		secret, changed := s.acl.replToken.get()
		if secret == "" && !warned {
			s.logger.Warn("no ACL replication until a replication token is set (acl.tokens.replication or PUT /v1/agent/token/replication): this is a secondary datacenter",
				"primary_datacenter", s.primaryDC())
			warned = true
		}
		if secret != "" {
			s.replicateACLsWith(secret, stopCh, changed)
		}
		select {
		case <-stopCh:
			return
		case <-changed:
		}
	}
}

// replicateACLsWith replicates with the token secret until stopCh or
// changed closes.
func (s *Server) replicateACLsWith(secret string, stopCh, changed <-chan struct{}) {
	ctx, cancel := context.WithCancel(call.WithToken(context.Background(), secret))
	defer cancel()
	go func() {
		select {
		case <-stopCh:
		case <-changed:
		case <-ctx.Done():
		}
		cancel()
	}()
	s.acl.repl.update(func(st *api.ACLReplicationStatus) { st.Running = true })
	defer s.acl.repl.update(func(st *api.ACLReplicationStatus) { st.Running = false })
	s.logger.Info("replicating ACLs", "primary_datacenter", s.primaryDC())

	var index uint64 // the primary's index of what was last applied
	var lastErr string
	for ctx.Err() == nil {
		idx, err := s.replicateACLsOnce(ctx, index)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if err.Error() != lastErr {
				s.logger.Warn("cannot replicate ACLs from the primary datacenter; retrying",
					"primary_datacenter", s.primaryDC(), "error", err)
				lastErr = err.Error()
			}
			s.acl.repl.update(func(st *api.ACLReplicationStatus) {
				st.LastError, st.LastErrorMessage = time.Now().UTC(), err.Error()
			})
			select {
			case <-ctx.Done():
			case <-time.After(aclReplicationRetry):
			}
			continue
		}
		lastErr = ""
		// An index that went back (the primary restored a snapshot) starts over.
		if index = idx; idx < index {
			index = 0
		}
		s.acl.repl.update(func(st *api.ACLReplicationStatus) {
			st.LastSuccess = time.Now().UTC()
			st.ReplicatedIndex, st.ReplicatedRoleIndex, st.ReplicatedTokenIndex = idx, idx, idx
		})
	}
}

// replicateACLsOnce reads the primary's ACLs once they have changed past
// index and applies them here; it returns the primary's index.
func (s *Server) replicateACLsOnce(ctx context.Context, index uint64) (uint64, error) {
	q := &api.QueryOptions{MinQueryIndex: index, MaxQueryTime: aclReplicationWait}
	rctx, cancel := context.WithTimeout(ctx, aclReplicationWait+aclReplicationWait/16+10*time.Second)
	defer cancel()
	var res call.Result[*call.ACLReplicaSet]
	if err := s.CallDC(rctx, s.primaryDC(), call.ACLReplicate.Desc, &call.ACLListArgs{Query: call.Query{Q: q}}, &res); err != nil {
		return 0, err
	}
	if res.Value == nil {
		return 0, fmt.Errorf("the primary datacenter sent no ACLs")
	}
	if err := s.applyReplica(res.Value); err != nil {
		return 0, err
	}
	return res.Meta.LastIndex, nil
}

// applyReplica makes this datacenter's policies, roles and global tokens
// those of set: it deletes what set lacks (never the built-ins nor local
// tokens), then writes what is new or changed, by hash.
func (s *Server) applyReplica(set *call.ACLReplicaSet) error {
	st := s.fsm.State()
	_, policies, err := st.ACLPolicyList(nil)
	if err != nil {
		return err
	}
	_, roles, err := st.ACLRoleList(nil)
	if err != nil {
		return err
	}
	_, tokens, err := st.ACLTokenList(nil)
	if err != nil {
		return err
	}
	now := time.Now()
	remoteTokens := map[string]*api.ACLToken{}
	for _, tok := range set.Tokens {
		// An expired token is being reaped in the primary; reaped here
		// too, it must not come back.
		if !tok.ExpiredAt(now) {
			remoteTokens[tok.AccessorID] = tok
		}
	}
	remotePolicies := byID(set.Policies, func(p *api.ACLPolicy) string { return p.ID })
	remoteRoles := byID(set.Roles, func(r *api.ACLRole) string { return r.ID })

	// Deletes first, so a new object never clashes with an old name.
	var dropTokens, dropRoles, dropPolicies []string
	for _, tok := range tokens {
		if !tok.Local && tok.AccessorID != api.ACLAnonymousTokenID && remoteTokens[tok.AccessorID] == nil {
			dropTokens = append(dropTokens, tok.AccessorID)
		}
	}
	for _, r := range roles {
		if remoteRoles[r.ID] == nil {
			dropRoles = append(dropRoles, r.ID)
		}
	}
	for _, p := range policies {
		if builtinPolicy(p.ID) == nil && remotePolicies[p.ID] == nil {
			dropPolicies = append(dropPolicies, p.ID)
		}
	}
	for _, drop := range []struct {
		op  string
		ids []string
	}{{fsm.ACLTokenDelete, dropTokens}, {fsm.ACLRoleDelete, dropRoles}, {fsm.ACLPolicyDelete, dropPolicies}} {
		if len(drop.ids) == 0 {
			continue
		}
		if _, err := s.raftApply(fsm.EncodeACL(&fsm.ACLOp{Op: drop.op, IDs: drop.ids}, now)); err != nil {
			return fmt.Errorf("cannot delete replicated ACL objects: %w", err)
		}
	}

	localPolicies := byID(policies, func(p *api.ACLPolicy) string { return p.ID })
	for _, p := range set.Policies {
		old := localPolicies[p.ID]
		if old != nil && bytes.Equal(old.Hash, p.Hash) {
			continue
		}
		if err := s.applyReplicated(&fsm.ACLOp{Op: fsm.ACLPolicySet, Policy: p, Create: old == nil}, now); err != nil {
			return err
		}
	}
	localRoles := byID(roles, func(r *api.ACLRole) string { return r.ID })
	for _, r := range set.Roles {
		old := localRoles[r.ID]
		if old != nil && bytes.Equal(old.Hash, r.Hash) {
			continue
		}
		if err := s.applyReplicated(&fsm.ACLOp{Op: fsm.ACLRoleSet, Role: r, Create: old == nil}, now); err != nil {
			return err
		}
	}
	localTokens := byID(tokens, func(t *api.ACLToken) string { return t.AccessorID })
	for _, tok := range set.Tokens {
		old := localTokens[tok.AccessorID]
		if remoteTokens[tok.AccessorID] == nil || old != nil && bytes.Equal(old.Hash, tok.Hash) && old.SecretID == tok.SecretID {
			continue
		}
		if err := s.applyReplicated(&fsm.ACLOp{Op: fsm.ACLTokenSet, Token: tok, Create: old == nil}, now); err != nil {
			return err
		}
	}
	return nil
}

// applyReplicated writes one replicated object through Raft.
func (s *Server) applyReplicated(op *fsm.ACLOp, now time.Time) error {
	if _, err := s.raftApply(fsm.EncodeACL(op, now)); err != nil {
		return fmt.Errorf("cannot apply replicated ACL %s: %w", op.Op, err)
	}
	return nil
}

// byID indexes objects by their ID.
func byID[T any](objs []*T, id func(*T) string) map[string]*T {
	out := make(map[string]*T, len(objs))
	for _, o := range objs {
		out[id(o)] = o
	}
	return out
}
