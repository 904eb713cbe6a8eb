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
	// PrimaryDatacenter owns the policies, roles and global tokens ("" or
	// this datacenter: this one). A secondary's leader replicates them
	// from it with ReplicationToken and forwards writes of them to it.
	PrimaryDatacenter string
	// ReplicationToken is the secret a secondary reads the primary's ACLs
	// with (acl.tokens.replication); without it nothing replicates.
	ReplicationToken string
	// InitialManagement is the secret of a management token the leader
	// creates when ACLs come up, if no token has it (tokens.initial_management;
	// "" for none). It bootstraps ACLs, as in Consul.
	InitialManagement string
	// TokenTTL, PolicyTTL and RoleTTL are how long an agent may use a
	// resolved token, policy or role (acl.token_ttl...). Servers read their
	// own state store, which is always current, so they ignore them.
	TokenTTL, PolicyTTL, RoleTTL time.Duration
	// TokenMinExpirationTTL and TokenMaxExpirationTTL bound a token's
	// ExpirationTTL (DefaultTokenMinExpirationTTL and
	// DefaultTokenMaxExpirationTTL when 0, Consul's bounds). Expired
	// tokens are reaped every half of the minimum, at most every 30s.
	TokenMinExpirationTTL, TokenMaxExpirationTTL time.Duration
}

// Consul's bounds on a token's ExpirationTTL.
const (
	DefaultTokenMinExpirationTTL = time.Minute
	DefaultTokenMaxExpirationTTL = 24 * time.Hour
)

func (c *ACLConfig) minTTL() time.Duration {
	if c.TokenMinExpirationTTL > 0 {
		return c.TokenMinExpirationTTL
	}
	return DefaultTokenMinExpirationTTL
}

func (c *ACLConfig) maxTTL() time.Duration {
	if c.TokenMaxExpirationTTL > 0 {
		return c.TokenMaxExpirationTTL
	}
	return DefaultTokenMaxExpirationTTL
}

// reapInterval is how often the leader deletes expired tokens.
func (c *ACLConfig) reapInterval() time.Duration {
	return min(max(c.minTTL()/2, 10*time.Millisecond), 30*time.Second)
}
