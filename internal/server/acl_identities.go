package server

import (
	"sync"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/acl"
	"github.com/hashicorp/go-memdb"
)

// identityCache keeps the tokens this server resolved for its calls, so
// that a call costs a map lookup rather than reading the token, its
// policies and roles from the state store (a third of the ACL cost of a
// write). Every entry is dropped at once when any ACL table changes (a
// token, policy or role written or deleted) or the store is replaced by a
// snapshot restore, and an entry ends when its token expires; so a call
// never sees a token the store no longer has. Only tokens that resolved
// are kept.
type identityCache struct {
	mu      sync.Mutex
	entries map[string]identityEntry // by secret; guarded by mu
	changed []<-chan struct{}        // closed when an ACL table changes; nil: not watching; guarded by mu
	gen     uint64                   // counts the times entries were dropped; guarded by mu
}

type identityEntry struct {
	id    *acl.Identity
	until time.Time // the token's expiry; zero for none
}

// maxIdentities bounds the cache; past it, it starts afresh.
const maxIdentities = 8192

// resolveCached is ResolveToken through the server's identity cache.
func (s *Server) resolveCached(secret string) (*acl.Identity, error) {
	c := &s.identities
	now := time.Now()
	c.mu.Lock()
	if c.staleLocked() {
		c.entries, c.changed = nil, nil
		c.gen++
	}
	if e, ok := c.entries[secret]; ok && (e.until.IsZero() || now.Before(e.until)) {
		c.mu.Unlock()
		return e.id, nil
	}
	if c.changed == nil {
		// Watch before resolving, so a change made while resolving drops
		// what it resolved.
		c.changed = s.watchACLTables()
	}
	gen := c.gen
	c.mu.Unlock()

	id, err := s.ResolveToken(secret)
	if err != nil || id == nil {
		return id, err
	}
	var until time.Time
	if _, tok, err := s.fsm.State().ACLTokenBySecret(nil, secretOrAnonymous(secret)); err == nil && tok != nil && tok.ExpirationTime != nil {
		until = *tok.ExpirationTime
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen && !c.staleLocked() {
		if c.entries == nil || len(c.entries) >= maxIdentities {
			c.entries = map[string]identityEntry{}
		}
		c.entries[secret] = identityEntry{id: id, until: until}
	}
	return id, nil
}

// staleLocked reports whether an ACL table changed since watching began.
func (c *identityCache) staleLocked() bool {
	for _, ch := range c.changed {
		select {
		case <-ch:
			return true
		default:
		}
	}
	return false
}

// watchACLTables returns channels closed at the next change to the ACL
// tables or the store's replacement.
func (s *Server) watchACLTables() []<-chan struct{} {
	st := s.fsm.State()
	ws := memdb.NewWatchSet()
	ws.Add(st.AbandonCh())
	st.ACLTokenList(ws)
	st.ACLPolicyList(ws)
	st.ACLRoleList(ws)
	out := make([]<-chan struct{}, 0, len(ws))
	for ch := range ws {
		out = append(out, ch)
	}
	return out
}

// secretOrAnonymous is the secret the store knows the token by: "" is the
// anonymous token.
func secretOrAnonymous(secret string) string {
	if secret == "" {
		return api.ACLAnonymousTokenSecret
	}
	return secret
}
