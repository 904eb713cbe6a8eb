package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/config"
)

// TestACLBlock: the acl block and the legacy top-level keys Consul still
// accepts land in Config.ACL, with Consul's defaults for what is not set.
func TestACLBlock(t *testing.T) {
	tests := []struct {
		name string
		hcl  string
		want config.ACL
	}{
		{"defaults", `node_name = "n"`, config.ACL{DefaultPolicy: "allow", DownPolicy: "extend-cache",
			TokenTTL: 30 * time.Second, PolicyTTL: 30 * time.Second, RoleTTL: 30 * time.Second}},
		{"block", `acl {
			enabled = true
			default_policy = "deny"
			down_policy = "async-cache"
			token_ttl = "5s"
			policy_ttl = "6s"
			role_ttl = "7s"
			enable_key_list_policy = true
			enable_token_persistence = true
			tokens {
				initial_management = "im"
				agent = "ag"
				agent_recovery = "ar"
				default = "df"
				replication = "rp"
				dns = "dn"
			}
		}`, config.ACL{Enabled: true, DefaultPolicy: "deny", DownPolicy: "async-cache",
			TokenTTL: 5 * time.Second, PolicyTTL: 6 * time.Second, RoleTTL: 7 * time.Second,
			EnableKeyListPolicy: true, EnableTokenPersistence: true,
			Tokens: config.ACLTokens{InitialManagement: "im", Agent: "ag", AgentRecovery: "ar", Default: "df",
				Replication: "rp", DNS: "dn"}}},
		{"old names in the block", `acl { enabled = true tokens { master = "m" agent_master = "am" } }`,
			config.ACL{Enabled: true, DefaultPolicy: "allow", DownPolicy: "extend-cache",
				TokenTTL: 30 * time.Second, PolicyTTL: 30 * time.Second, RoleTTL: 30 * time.Second,
				Tokens: config.ACLTokens{InitialManagement: "m", AgentRecovery: "am"}}},
		{"legacy top-level keys", `acl_datacenter = "dc1"
			acl_default_policy = "deny"
			acl_down_policy = "deny"
			acl_ttl = "1m"
			acl_enable_key_list_policy = true
			acl_master_token = "m"
			acl_agent_token = "a"
			acl_agent_master_token = "am"
			acl_token = "t"
			acl_replication_token = "r"`,
			config.ACL{Enabled: true, PrimaryDatacenter: "dc1", DefaultPolicy: "deny", DownPolicy: "deny",
				TokenTTL: time.Minute, PolicyTTL: 30 * time.Second, RoleTTL: 30 * time.Second, EnableKeyListPolicy: true,
				Tokens: config.ACLTokens{InitialManagement: "m", Agent: "a", AgentRecovery: "am", Default: "t", Replication: "r"}}},
		{"primary_datacenter", `primary_datacenter = "east" acl_datacenter = "west" acl { enabled = true }`,
			config.ACL{Enabled: true, PrimaryDatacenter: "east", DefaultPolicy: "allow", DownPolicy: "extend-cache",
				TokenTTL: 30 * time.Second, PolicyTTL: 30 * time.Second, RoleTTL: 30 * time.Second}},
		{"acl.enabled wins over acl_datacenter", `acl_datacenter = "dc1" acl { enabled = false }`,
			config.ACL{PrimaryDatacenter: "dc1", DefaultPolicy: "allow", DownPolicy: "extend-cache",
				TokenTTL: 30 * time.Second, PolicyTTL: 30 * time.Second, RoleTTL: 30 * time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Parse([]string{"-dev", "-hcl", tc.hcl})
			if err != nil {
				t.Fatalf("Parse(%q) error = %v", tc.hcl, err)
			}
			got := c.ACL
			// Compare the exported fields only.
			want := tc.want
			if got.Enabled != want.Enabled || got.PrimaryDatacenter != want.PrimaryDatacenter || got.DefaultPolicy != want.DefaultPolicy || got.DownPolicy != want.DownPolicy ||
				got.TokenTTL != want.TokenTTL || got.PolicyTTL != want.PolicyTTL || got.RoleTTL != want.RoleTTL ||
				got.EnableKeyListPolicy != want.EnableKeyListPolicy || got.EnableTokenPersistence != want.EnableTokenPersistence ||
				got.Tokens != want.Tokens {
				t.Errorf("Parse(%q).ACL = %+v, want %+v", tc.hcl, got, want)
			}
			if len(c.Warnings) != 0 {
				t.Errorf("Parse(%q).Warnings = %q, want none", tc.hcl, c.Warnings)
			}
		})
	}
}

// TestACLBlockRefusesBadValues: bad policies and TTLs are errors naming
// the key, and a token's value is never echoed.
func TestACLBlockRefusesBadValues(t *testing.T) {
	for _, tc := range []struct{ hcl, want string }{
		{`acl { default_policy = "maybe" }`, `acl.default_policy`},
		{`acl { default_policy = "Deny" }`, `"allow" or "deny"`},
		{`acl { down_policy = "later" }`, `"allow", "deny", "extend-cache" or "async-cache"`},
		{`acl_down_policy = "later"`, `acl_down_policy`},
		{`acl { token_ttl = "-1s" }`, `acl.token_ttl`},
		{`acl { tokens { agent = 5 } }`, `acl.tokens.agent`},
		{`acl { tokens { agnet = "x" } }`, `unknown key "acl.tokens.agnet"`},
	} {
		_, err := config.Parse([]string{"-dev", "-hcl", tc.hcl})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) error = %v, want one containing %q", tc.hcl, err, tc.want)
		}
	}
}
