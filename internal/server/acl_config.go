package server

import "time"

// ACLConfig is the server's part of the agent's acl block.
type ACLConfig struct {
	// Enabled turns ACLs on (acl.enabled): tokens are resolved and calls
	// authorized; off, the ACL endpoints answer "ACL support disabled".
	Enabled bool
	// DefaultAllow allows what no rule decides (default_policy = "allow").
	DefaultAllow bool
	// KeyListPolicy makes key listings need list (enable_key_list_policy).
	KeyListPolicy bool
	// InitialManagement is the secret of a management token the leader
	// creates once when ACLs come up (tokens.initial_management); "" for
	// none.
	InitialManagement string
	// TokenTTL, PolicyTTL and RoleTTL bound how long a resolved token,
	// policy or role may be used without looking again (acl.token_ttl...).
	// Servers read their own state store, which is always current, so
	// these only matter to agents' caches.
	TokenTTL, PolicyTTL, RoleTTL time.Duration
}
