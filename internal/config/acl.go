package config

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// ACL is the acl block: whether ACLs are enforced, what a request no rule
// decides gets, and the tokens the agent itself uses.
type ACL struct {
	// Enabled turns ACLs on (acl.enabled; also the legacy acl_datacenter,
	// unless acl.enabled is set, as in Consul).
	Enabled bool
	// PrimaryDatacenter is the datacenter whose servers own the ACL
	// policies, roles and global tokens (primary_datacenter; the legacy
	// acl_datacenter when it is not set). "" or this datacenter: this one
	// is primary; another: this one replicates them from it.
	PrimaryDatacenter string
	// DefaultPolicy is "allow" or "deny": what a request no rule decides
	// gets (acl.default_policy, "allow" by default as in Consul).
	DefaultPolicy string
	// DownPolicy is what an agent does when it cannot resolve a token
	// because no server answers: "allow", "deny", "extend-cache" (the
	// default) or "async-cache" (acl.down_policy).
	DownPolicy string
	// TokenTTL, PolicyTTL and RoleTTL are how long an agent may use a
	// resolved token, policy or role before asking again (30s each).
	TokenTTL, PolicyTTL, RoleTTL time.Duration
	// EnableKeyListPolicy makes recursive KV reads and key listings need
	// list on their prefix (acl.enable_key_list_policy).
	EnableKeyListPolicy bool
	// EnableTokenPersistence keeps tokens set through the agent token API
	// across restarts (acl.enable_token_persistence).
	EnableTokenPersistence bool
	// Tokens are the tokens the agent holds (acl.tokens).
	Tokens ACLTokens
	// TokenMinExpirationTTL lowers the shortest ExpirationTTL a token may
	// have (1m, as Consul, when 0). No config key sets it: Consul has
	// none; tests of token expiry set it in code.
	TokenMinExpirationTTL time.Duration

	enabledSet bool   // acl.enabled was given: acl_datacenter does not enable
	legacyDC   string // acl_datacenter, if given
}

// ACLTokens are the tokens of the acl.tokens block. Each is a secret.
type ACLTokens struct {
	// InitialManagement is a management token's secret that the leader
	// creates when ACLs come up (initial_management; legacy master and
	// acl_master_token).
	InitialManagement string
	// Agent is the token the agent uses for its own requests: anti-entropy,
	// its node's registration (agent; legacy acl_agent_token).
	Agent string
	// AgentRecovery works on the agent's own endpoints even when no server
	// answers (agent_recovery; legacy agent_master, acl_agent_master_token).
	AgentRecovery string
	// Default is the token of requests that carry none, instead of the
	// anonymous token (default; legacy acl_token).
	Default string
	// Replication is the token a secondary datacenter's leader reads the
	// primary's ACLs with; it needs acl = "write" to read tokens' secrets
	// (replication; acl_replication_token).
	Replication string
	// DNS is the token DNS answers use, instead of Default (dns).
	DNS string
}

// ACL policies, as the acl block names them.
const (
	ACLAllow       = "allow"
	ACLDeny        = "deny"
	ACLExtendCache = "extend-cache"
	ACLAsyncCache  = "async-cache"
)

var (
	defaultPolicies = []string{ACLAllow, ACLDeny}
	downPolicies    = []string{ACLAllow, ACLDeny, ACLExtendCache, ACLAsyncCache}
)

// defaultACL is Consul's: off; when on, allow by default, extend the cache
// when servers are down, 30s TTLs.
func defaultACL() ACL {
	return ACL{DefaultPolicy: ACLAllow, DownPolicy: ACLExtendCache,
		TokenTTL: 30 * time.Second, PolicyTTL: 30 * time.Second, RoleTTL: 30 * time.Second}
}

// aclOptions are the keys of the acl block that Concord honours, and the
// top-level acl_* keys Consul still accepts for them.
var aclOptions = []option{
	{key: "acl.enabled", kind: kindBool, set: func(c *Config, v any) { c.ACL.Enabled, c.ACL.enabledSet = v.(bool), true }},
	{key: "acl_datacenter", kind: kindString, set: func(c *Config, v any) { c.ACL.legacyDC = v.(string) }},
	{key: "primary_datacenter", kind: kindString,
		set:   func(c *Config, v any) { c.ACL.PrimaryDatacenter = v.(string) },
		check: func(v any) error { return checkDatacenter(v.(string)) }},
	aclPolicyOption("acl.default_policy", defaultPolicies, func(c *Config) *string { return &c.ACL.DefaultPolicy }),
	aclPolicyOption("acl_default_policy", defaultPolicies, func(c *Config) *string { return &c.ACL.DefaultPolicy }),
	aclPolicyOption("acl.down_policy", downPolicies, func(c *Config) *string { return &c.ACL.DownPolicy }),
	aclPolicyOption("acl_down_policy", downPolicies, func(c *Config) *string { return &c.ACL.DownPolicy }),
	aclTTLOption("acl.token_ttl", func(c *Config) *time.Duration { return &c.ACL.TokenTTL }),
	aclTTLOption("acl_ttl", func(c *Config) *time.Duration { return &c.ACL.TokenTTL }),
	aclTTLOption("acl.policy_ttl", func(c *Config) *time.Duration { return &c.ACL.PolicyTTL }),
	aclTTLOption("acl.role_ttl", func(c *Config) *time.Duration { return &c.ACL.RoleTTL }),
	{key: "acl.enable_key_list_policy", kind: kindBool, set: func(c *Config, v any) { c.ACL.EnableKeyListPolicy = v.(bool) }},
	{key: "acl_enable_key_list_policy", kind: kindBool, set: func(c *Config, v any) { c.ACL.EnableKeyListPolicy = v.(bool) }},
	{key: "acl.enable_token_persistence", kind: kindBool, set: func(c *Config, v any) { c.ACL.EnableTokenPersistence = v.(bool) }},
	aclTokenOption("acl.tokens.initial_management", func(t *ACLTokens) *string { return &t.InitialManagement }),
	aclTokenOption("acl.tokens.master", func(t *ACLTokens) *string { return &t.InitialManagement }),
	aclTokenOption("acl_master_token", func(t *ACLTokens) *string { return &t.InitialManagement }),
	aclTokenOption("acl.tokens.agent", func(t *ACLTokens) *string { return &t.Agent }),
	aclTokenOption("acl_agent_token", func(t *ACLTokens) *string { return &t.Agent }),
	aclTokenOption("acl.tokens.agent_recovery", func(t *ACLTokens) *string { return &t.AgentRecovery }),
	aclTokenOption("acl.tokens.agent_master", func(t *ACLTokens) *string { return &t.AgentRecovery }),
	aclTokenOption("acl_agent_master_token", func(t *ACLTokens) *string { return &t.AgentRecovery }),
	aclTokenOption("acl.tokens.default", func(t *ACLTokens) *string { return &t.Default }),
	aclTokenOption("acl_token", func(t *ACLTokens) *string { return &t.Default }),
	aclTokenOption("acl.tokens.replication", func(t *ACLTokens) *string { return &t.Replication }),
	aclTokenOption("acl_replication_token", func(t *ACLTokens) *string { return &t.Replication }),
	aclTokenOption("acl.tokens.dns", func(t *ACLTokens) *string { return &t.DNS }),
}

func aclPolicyOption(key string, allowed []string, field func(*Config) *string) option {
	return option{key: key, kind: kindString,
		set:   func(c *Config, v any) { *field(c) = v.(string) },
		check: func(v any) error { return checkOneOf(v.(string), allowed) }}
}

func aclTTLOption(key string, field func(*Config) *time.Duration) option {
	return option{key: key, kind: kindDuration,
		set:   func(c *Config, v any) { *field(c) = v.(time.Duration) },
		check: positiveDuration}
}

func aclTokenOption(key string, field func(*ACLTokens) *string) option {
	return option{key: key, kind: kindString, secret: true,
		set: func(c *Config, v any) { *field(&c.ACL.Tokens) = v.(string) }}
}

// checkOneOf accepts one of allowed, as written (Consul's values are
// lower case).
func checkOneOf(s string, allowed []string) error {
	if slices.Contains(allowed, s) {
		return nil
	}
	return fmt.Errorf("must be %s", quoteOr(allowed))
}

func quoteOr(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = fmt.Sprintf("%q", w)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// finish settles what depends on several keys (acl_datacenter enables ACLs
// unless acl.enabled says otherwise, and names the primary datacenter
// unless primary_datacenter does) and checks the values, each error
// naming its key.
func (a *ACL) finish() []error {
	if a.legacyDC != "" && !a.enabledSet {
		a.Enabled = true
	}
	if a.PrimaryDatacenter == "" {
		a.PrimaryDatacenter = a.legacyDC
	}
	var errs []error
	if err := checkOneOf(a.DefaultPolicy, defaultPolicies); err != nil {
		errs = append(errs, fmt.Errorf("config: acl.default_policy: %w, got %q", err, a.DefaultPolicy))
	}
	if err := checkOneOf(a.DownPolicy, downPolicies); err != nil {
		errs = append(errs, fmt.Errorf("config: acl.down_policy: %w, got %q", err, a.DownPolicy))
	}
	for _, ttl := range []struct {
		key string
		d   time.Duration
	}{{"acl.token_ttl", a.TokenTTL}, {"acl.policy_ttl", a.PolicyTTL}, {"acl.role_ttl", a.RoleTTL}} {
		if ttl.d < 0 {
			errs = append(errs, fmt.Errorf("config: %s: must not be negative, got %v", ttl.key, ttl.d))
		}
	}
	return errs
}

// DefaultAllow reports whether what no rule decides is allowed.
func (a *ACL) DefaultAllow() bool { return a.DefaultPolicy == ACLAllow }
