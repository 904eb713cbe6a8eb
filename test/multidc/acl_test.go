package multidc_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/testutil"
	consul "github.com/hashicorp/consul/api"
)

// rootSecret is dc1's initial management token and dc2's replication token.
const rootSecret = "6a0c1a53-7f55-4a56-9c0e-3e8f1d5b7a01"

// aclArgs turns ACLs on, denying by default, with dc1 as the primary:
// dc1 makes rootSecret, the other datacenters replicate with it.
func aclArgs(dc string) []string {
	tokens := `replication = "` + rootSecret + `"`
	if dc == "dc1" {
		tokens = `initial_management = "` + rootSecret + `"`
	}
	return []string{"-hcl=" + `primary_datacenter = "dc1"
acl {
  enabled = true
  default_policy = "deny"
  tokens {
    agent = "` + rootSecret + `"
    ` + tokens + `
  }
}`}
}

// TestACLReplication runs dc1 (the primary) and dc2 (1 server and 1
// client agent each) with ACLs denying by default, and drives their
// servers with the official Go client: what dc1's ACLs say is what dc2
// enforces, writes made in dc2 go to dc1, local tokens stay in dc2, and
// dc2 keeps enforcing when dc1's servers are gone.
func TestACLReplication(t *testing.T) {
	f := startFederationWith(t, rootSecret, aclArgs, 1, 1)
	s1, s2 := f.dcs["dc1"].Servers()[0], f.dcs["dc2"].Servers()[0]
	root1, root2 := clientWith(t, s1, rootSecret), clientWith(t, s2, rootSecret)
	anon2 := client(t, s2)

	// dc2 knows the root token once it has replicated.
	waitFor(t, 20*time.Second, func(r *testutil.R) {
		if _, _, err := root2.ACL().TokenReadSelf(nil); err != nil {
			r.Fatalf("root token in dc2: %v", err)
		}
	})
	waitFor(t, 10*time.Second, func(r *testutil.R) {
		st, _, err := root2.ACL().Replication(nil)
		if err != nil || !st.Enabled || !st.Running || st.SourceDatacenter != "dc1" || st.ReplicationType != "tokens" ||
			st.ReplicatedTokenIndex == 0 || st.LastSuccess.IsZero() {
			r.Fatalf("dc2 ACL().Replication() = %+v, %v; want enabled, running, from dc1, tokens, a success", st, err)
		}
	})
	if st, _, err := root1.ACL().Replication(nil); err != nil || st.Enabled || st.SourceDatacenter != "dc1" {
		t.Errorf("dc1 ACL().Replication() = %+v, %v; want not enabled, source dc1", st, err)
	}
	mustOK(t, "root puts app/color in dc2", errOf(root2.KV().Put(&consul.KVPair{Key: "app/color", Value: []byte("green")}, nil)))

	// A policy and a token made in dc1 work in dc2.
	policy, _, err := root1.ACL().PolicyCreate(&consul.ACLPolicy{Name: "app-read", Rules: `key_prefix "app/" { policy = "read" }`}, nil)
	mustOK(t, "PolicyCreate in dc1", err)
	link := []*consul.ACLTokenPolicyLink{{ID: policy.ID}}
	var delays []time.Duration
	var reader *consul.ACLToken
	for range 5 {
		tok, _, err := root1.ACL().TokenCreate(&consul.ACLToken{Policies: link}, nil)
		mustOK(t, "TokenCreate in dc1", err)
		delays = append(delays, untilReads(t, clientWith(t, s2, tok.SecretID), "app/color"))
		reader = tok
	}
	slices.Sort(delays)
	t.Logf("replication delay, token created in dc1 → usable in dc2: median %v (of %v)", delays[len(delays)/2], delays)

	c2 := clientWith(t, s2, reader.SecretID)
	if _, err := c2.KV().Put(&consul.KVPair{Key: "app/color", Value: []byte("red")}, nil); !denied(err) {
		t.Errorf("read-only token's KV put in dc2: %v, want permission denied", err)
	}
	if _, _, err := anon2.KV().Get("app/color", nil); !denied(err) {
		t.Errorf("anonymous KV get in dc2: %v, want permission denied", err)
	}

	t.Run("writes in dc2 are made in dc1", func(t *testing.T) {
		p, _, err := root2.ACL().PolicyCreate(&consul.ACLPolicy{Name: "made-in-dc2", Rules: `key_prefix "app/" { policy = "write" }`}, nil)
		mustOK(t, "PolicyCreate via dc2", err)
		if got, _, err := root1.ACL().PolicyReadByName("made-in-dc2", nil); err != nil || got == nil || got.ID != p.ID {
			t.Fatalf("dc1 PolicyReadByName(made-in-dc2) = %v, %v; want %s", got, err, p.ID)
		}
		tok, _, err := root2.ACL().TokenCreate(&consul.ACLToken{Policies: []*consul.ACLTokenPolicyLink{{ID: p.ID}}}, nil)
		mustOK(t, "TokenCreate via dc2", err)
		if got, _, err := root1.ACL().TokenRead(tok.AccessorID, nil); err != nil || got.SecretID != tok.SecretID {
			t.Fatalf("dc1 TokenRead(token made via dc2) = %v, %v; want it", got, err)
		}
		writer := clientWith(t, s2, tok.SecretID)
		waitFor(t, 10*time.Second, func(r *testutil.R) {
			if _, err := writer.KV().Put(&consul.KVPair{Key: "app/size", Value: []byte("L")}, nil); err != nil {
				r.Fatalf("KV put in dc2 with the token made via dc2: %v", err)
			}
		})
	})

	t.Run("local tokens stay in their datacenter", func(t *testing.T) {
		local, _, err := root2.ACL().TokenCreate(&consul.ACLToken{Local: true, Policies: link}, nil)
		mustOK(t, "local TokenCreate in dc2", err)
		if v, _, err := clientWith(t, s2, local.SecretID).KV().Get("app/color", nil); err != nil || v == nil {
			t.Errorf("KV get in dc2 with dc2's local token = %v, %v; want the key", v, err)
		}
		if got, _, err := root1.ACL().TokenRead(local.AccessorID, nil); err == nil {
			t.Errorf("dc1 TokenRead(dc2's local token) = %+v; want not found", got)
		}
		if _, _, err := clientWith(t, s1, local.SecretID).ACL().TokenReadSelf(nil); err == nil {
			t.Errorf("dc2's local token works in dc1")
		}
		// Replication leaves it alone.
		tok, _, err := root1.ACL().TokenCreate(&consul.ACLToken{Policies: link}, nil)
		mustOK(t, "TokenCreate in dc1", err)
		untilReads(t, clientWith(t, s2, tok.SecretID), "app/color")
		if got, _, err := root2.ACL().TokenRead(local.AccessorID, nil); err != nil || !got.Local {
			t.Errorf("dc2 TokenRead(local token) after replicating = %+v, %v; want it, local", got, err)
		}
	})

	t.Run("a deleted token stops working in dc2", func(t *testing.T) {
		tok, _, err := root1.ACL().TokenCreate(&consul.ACLToken{Policies: link}, nil)
		mustOK(t, "TokenCreate in dc1", err)
		c := clientWith(t, s2, tok.SecretID)
		untilReads(t, c, "app/color")
		_, err = root1.ACL().TokenDelete(tok.AccessorID, nil)
		mustOK(t, "TokenDelete in dc1", err)
		waitFor(t, 10*time.Second, func(r *testutil.R) {
			if _, _, err := c.KV().Get("app/color", nil); !denied(err) {
				r.Fatalf("KV get in dc2 with a token deleted in dc1: %v, want refused", err)
			}
		})
	})

	t.Run("auth methods stay in their datacenter", func(t *testing.T) {
		testAuthMethods(t, root1, root2, s1, s2, policy.Name)
	})

	t.Run("dc2 enforces with dc1 down", func(t *testing.T) {
		s1.Stop()
		waitFor(t, 15*time.Second, func(r *testutil.R) {
			st, _, err := root2.ACL().Replication(nil)
			if err != nil || st.LastErrorMessage == "" || st.LastError.Before(st.LastSuccess) {
				r.Fatalf("dc2 ACL().Replication() = %+v, %v; want a last error after the last success", st, err)
			}
		})
		if v, _, err := c2.KV().Get("app/color", nil); err != nil || v == nil || string(v.Value) != "green" {
			t.Errorf("KV get in dc2 with the replicated token, dc1 down = %v, %v; want green", v, err)
		}
		if _, _, err := anon2.KV().Get("app/color", nil); !denied(err) {
			t.Errorf("anonymous KV get in dc2, dc1 down: %v, want permission denied", err)
		}
		if _, _, err := root2.ACL().PolicyCreate(&consul.ACLPolicy{Name: "while-down"}, nil); err == nil {
			t.Errorf("PolicyCreate in dc2 with dc1 down succeeded; want an error (the primary writes policies)")
		}
	})
}

// untilReads polls, every 2ms for up to 10s, until c reads key, and
// returns how long that took (testutil.Run's 20ms steps would hide the
// replication delay it measures).
func untilReads(t *testing.T, c *consul.Client, key string) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		v, _, err := c.KV().Get(key, nil)
		if err == nil && v != nil {
			return time.Since(start)
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("KV get %s in dc2 with a token made in dc1 = %v, %v after 10s", key, v, err)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// denied reports whether err is a refusal for want of rights or of a
// known token (HTTP 403).
func denied(err error) bool { return err != nil && strings.Contains(err.Error(), "403") }

// TestReplicationTokenAtRunTime: dc2's replication token changes through
// PUT /v1/agent/token/replication on its server, without a restart:
// cleared, dc2 stops replicating (and says so); set to a new token made
// in dc1 for the purpose, it replicates again and a token made meanwhile
// in dc1 works in dc2. An ACL bootstrap in dc2, a secondary, is refused
// as Consul refuses it ("ACL support disabled").
func TestReplicationTokenAtRunTime(t *testing.T) {
	f := startFederationWith(t, rootSecret, aclArgs, 1, 1)
	s1, s2 := f.dcs["dc1"].Servers()[0], f.dcs["dc2"].Servers()[0]
	root1, root2 := clientWith(t, s1, rootSecret), clientWith(t, s2, rootSecret)
	replication := func(r fataler, enabled bool) {
		st, _, err := root2.ACL().Replication(nil)
		if err != nil || st.Enabled != enabled || st.Running != enabled {
			r.Fatalf("dc2 ACL().Replication() = %+v, %v; want Enabled and Running %v", st, err, enabled)
		}
	}
	waitFor(t, 20*time.Second, func(r *testutil.R) { replication(r, true) })
	mustOK(t, "root puts app/color in dc2", errOf(root2.KV().Put(&consul.KVPair{Key: "app/color", Value: []byte("green")}, nil)))

	mustOK(t, "clear dc2's replication token", errOf(root2.Agent().UpdateReplicationACLToken("", nil)))
	waitFor(t, 10*time.Second, func(r *testutil.R) { replication(r, false) })

	policy, _, err := root1.ACL().PolicyCreate(&consul.ACLPolicy{Name: "replicator", Rules: `acl = "write"
service_prefix "" { policy = "read" }
node_prefix "" { policy = "read" }`}, nil)
	mustOK(t, "PolicyCreate replicator in dc1", err)
	repl, _, err := root1.ACL().TokenCreate(&consul.ACLToken{Description: "dc2 replication", Policies: []*consul.ACLTokenPolicyLink{{ID: policy.ID}}}, nil)
	mustOK(t, "TokenCreate replication token in dc1", err)
	readPolicy, _, err := root1.ACL().PolicyCreate(&consul.ACLPolicy{Name: "app-read", Rules: `key_prefix "app/" { policy = "read" }`}, nil)
	mustOK(t, "PolicyCreate app-read in dc1", err)
	reader, _, err := root1.ACL().TokenCreate(&consul.ACLToken{Policies: []*consul.ACLTokenPolicyLink{{ID: readPolicy.ID}}}, nil)
	mustOK(t, "TokenCreate reader in dc1", err)

	mustOK(t, "set dc2's replication token", errOf(root2.Agent().UpdateReplicationACLToken(repl.SecretID, nil)))
	waitFor(t, 10*time.Second, func(r *testutil.R) { replication(r, true) })
	untilReads(t, clientWith(t, s2, reader.SecretID), "app/color")

	_, _, err = root2.ACL().Bootstrap()
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "ACL support disabled") {
		t.Errorf("ACL bootstrap in dc2 (a secondary) = %v; want 401 ACL support disabled", err)
	}
}
