package httpapi_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	consulapi "github.com/hashicorp/consul/api"

	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/testutil"
)

const managementPolicyID = "00000000-0000-0000-0000-000000000001"

// startACLAgent starts a dev agent with ACLs on and default deny; tokens
// may expire after as little as 100ms, so expiry is quick to test.
func startACLAgent(t *testing.T) *testutil.TestAgent {
	t.Helper()
	return testutil.StartAgent(t, "", devConfig(func(c *config.Config) {
		c.ACL.Enabled = true
		c.ACL.DefaultPolicy = "deny"
		c.ACL.TokenMinExpirationTTL = 100 * time.Millisecond
	}))
}

// bootstrappedACLAgent starts an ACL agent, bootstraps it and returns it
// with the bootstrap token and a client using that token.
func bootstrappedACLAgent(t *testing.T) (*testutil.TestAgent, *consulapi.ACLToken, *consulapi.ACL) {
	t.Helper()
	ta := startACLAgent(t)
	root, _, err := aclClient(t, ta.HTTPAddr(), "").Bootstrap()
	if err != nil {
		t.Fatalf("Bootstrap() = %v", err)
	}
	return ta, root, aclClient(t, ta.HTTPAddr(), root.SecretID)
}

// aclClient is a Consul client for the agent at addr using token.
func aclClient(t *testing.T, addr, token string) *consulapi.ACL {
	t.Helper()
	c, err := consulapi.NewClient(&consulapi.Config{Address: addr, Token: token})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c.ACL()
}

// wantACLError checks that err is the client's error for an HTTP reply with
// code and a body containing text.
func wantACLError(t *testing.T, what string, err error, code int, text string) {
	t.Helper()
	var se consulapi.StatusError
	if !errors.As(err, &se) || se.Code != code || !strings.Contains(se.Body, text) {
		t.Errorf("%s: error = %v, want HTTP %d with %q", what, err, code, text)
	}
}

// TestACLBootstrapOnce: the first bootstrap gives a management token; the
// second is refused with Consul's 403 naming the reset index.
func TestACLBootstrapOnce(t *testing.T) {
	t.Parallel()
	ta := startACLAgent(t)
	anon := aclClient(t, ta.HTTPAddr(), "")
	_, _, err := aclClient(t, ta.HTTPAddr(), "0d0f0cc1-4b3f-4d44-9c32-4e1f0a7b8e3b").TokenList(nil)
	wantACLError(t, "TokenList(unknown token) before bootstrap", err, http.StatusForbidden,
		"ACL system must be bootstrapped before making any requests that require authorization: ACL not found")
	if repl, _, err := anon.Replication(nil); err != nil || repl.Enabled || repl.Running || repl.SourceDatacenter != "dc1" {
		t.Errorf("Replication() = %+v, %v; want not enabled, not running, from dc1", repl, err)
	}
	root, _, err := anon.Bootstrap()
	if err != nil {
		t.Fatalf("Bootstrap() = %v", err)
	}
	if root.SecretID == "" || len(root.Policies) != 1 || root.Policies[0].ID != managementPolicyID ||
		root.Policies[0].Name != "global-management" || root.CreateIndex == 0 || root.CreateTime.IsZero() || len(root.Hash) == 0 {
		t.Errorf("Bootstrap() = %+v, want a global-management token with indexes, time and hash", root)
	}
	_, _, err = anon.Bootstrap()
	wantACLError(t, "second Bootstrap()", err, http.StatusForbidden, "Permission denied: ACL bootstrap no longer allowed (reset index: ")

	// The bootstrap token reads itself; the built-ins are there.
	mgmt := aclClient(t, ta.HTTPAddr(), root.SecretID)
	self, _, err := mgmt.TokenReadSelf(nil)
	if err != nil || self.AccessorID != root.AccessorID || self.SecretID != root.SecretID {
		t.Errorf("TokenReadSelf() = %+v, %v; want the bootstrap token", self, err)
	}
	anonTok, _, err := mgmt.TokenRead("00000000-0000-0000-0000-000000000002", nil)
	if err != nil || anonTok.SecretID != "anonymous" || anonTok.Description != "Anonymous Token" {
		t.Errorf("TokenRead(anonymous) = %+v, %v", anonTok, err)
	}
	_, err = mgmt.TokenDelete("00000000-0000-0000-0000-000000000002", nil)
	wantACLError(t, "TokenDelete(anonymous)", err, http.StatusBadRequest, "Delete operation not permitted on the anonymous token")
	// (The client's PolicyDelete drops the body of an error, so raw HTTP.)
	resp := doRaw(t, ta.HTTPAddr(), "DELETE", "/v1/acl/policy/"+managementPolicyID+"?token="+root.SecretID, nil)
	if resp.Code != http.StatusBadRequest || string(resp.Body) != "Delete operation not permitted on the builtin global-management policy" {
		t.Errorf("DELETE the global-management policy = %d %q, want 400 and Consul's text", resp.Code, resp.Body)
	}
}

// TestACLObjectsThroughTheGoClient: policies, roles and tokens — create,
// read (by ID and name), update, clone, list with filters, delete — as the
// official client drives them.
func TestACLObjectsThroughTheGoClient(t *testing.T) {
	t.Parallel()
	ta, _, acl := bootstrappedACLAgent(t)
	var err error

	// Policies.
	_, _, err = acl.PolicyCreate(&consulapi.ACLPolicy{Name: "bad", Rules: `key "a" { policy = "sometimes" }`}, nil)
	wantACLError(t, "PolicyCreate(bad rules)", err, http.StatusBadRequest, "sometimes")
	_, _, err = acl.PolicyCreate(&consulapi.ACLPolicy{Name: "bad name!", Rules: ``}, nil)
	wantACLError(t, "PolicyCreate(bad name)", err, http.StatusBadRequest, "Invalid Policy: invalid Name")
	pol, _, err := acl.PolicyCreate(&consulapi.ACLPolicy{Name: "app-kv", Description: "app keys",
		Rules: `key_prefix "app/" { policy = "write" }`}, nil)
	if err != nil || pol.ID == "" || pol.CreateIndex == 0 || len(pol.Hash) == 0 {
		t.Fatalf("PolicyCreate = %+v, %v", pol, err)
	}
	_, _, err = acl.PolicyCreate(&consulapi.ACLPolicy{Name: "APP-KV"}, nil)
	wantACLError(t, "PolicyCreate(same name)", err, http.StatusBadRequest, "already exists")
	byName, _, err := acl.PolicyReadByName("app-kv", nil)
	if err != nil || byName.ID != pol.ID || byName.Rules != pol.Rules {
		t.Errorf("PolicyReadByName = %+v, %v; want %s", byName, err, pol.ID)
	}
	pol.Description = "the app's keys"
	updated, _, err := acl.PolicyUpdate(pol, nil)
	if err != nil || updated.Description != pol.Description || updated.ModifyIndex <= pol.ModifyIndex || updated.CreateIndex != pol.CreateIndex {
		t.Errorf("PolicyUpdate = %+v, %v", updated, err)
	}
	policies, _, err := acl.PolicyList(nil)
	if err != nil || len(policies) != 3 {
		t.Errorf("PolicyList = %d policies, %v; want global-management, builtin/global-read-only and app-kv", len(policies), err)
	}
	_, _, err = acl.PolicyRead("8f246b77-f3e1-ff88-5b48-8ec93abf3e05", nil)
	wantACLError(t, "PolicyRead(missing)", err, http.StatusForbidden, "ACL not found")

	// Roles.
	role, _, err := acl.RoleCreate(&consulapi.ACLRole{Name: "app", Policies: []*consulapi.ACLRolePolicyLink{{Name: "app-kv"}},
		ServiceIdentities: []*consulapi.ACLServiceIdentity{{ServiceName: "web"}}}, nil)
	if err != nil || role.ID == "" || len(role.Policies) != 1 || role.Policies[0].ID != pol.ID {
		t.Fatalf("RoleCreate = %+v, %v", role, err)
	}
	_, _, err = acl.RoleCreate(&consulapi.ACLRole{Name: "x", Policies: []*consulapi.ACLRolePolicyLink{{Name: "nope"}}}, nil)
	wantACLError(t, "RoleCreate(missing policy)", err, http.StatusBadRequest, `No such ACL policy with name "nope"`)
	if got, _, err := acl.RoleReadByName("app", nil); err != nil || got == nil || got.ID != role.ID {
		t.Errorf("RoleReadByName = %+v, %v", got, err)
	}
	if got, _, err := acl.RoleRead("8f246b77-f3e1-ff88-5b48-8ec93abf3e05", nil); err != nil || got != nil {
		t.Errorf("RoleRead(missing) = %+v, %v; want nil, nil (404)", got, err)
	}
	if roles, _, err := acl.RoleList(nil); err != nil || len(roles) != 1 {
		t.Errorf("RoleList = %+v, %v", roles, err)
	}

	// Tokens.
	tok, _, err := acl.TokenCreate(&consulapi.ACLToken{Description: "app",
		Policies: []*consulapi.ACLTokenPolicyLink{{Name: "app-kv"}}, Roles: []*consulapi.ACLTokenRoleLink{{ID: role.ID}}}, nil)
	if err != nil || tok.AccessorID == "" || tok.SecretID == "" || tok.Policies[0].ID != pol.ID || tok.Roles[0].Name != "app" {
		t.Fatalf("TokenCreate = %+v, %v", tok, err)
	}
	read, _, err := acl.TokenRead(tok.AccessorID, nil)
	if err != nil || read.SecretID != tok.SecretID || read.Description != "app" {
		t.Errorf("TokenRead = %+v, %v", read, err)
	}
	expanded, _, err := acl.TokenReadExpanded(tok.AccessorID, nil)
	if err != nil || expanded.AccessorID != tok.AccessorID || len(expanded.ExpandedPolicies) != 1 ||
		expanded.ExpandedPolicies[0].Rules != pol.Rules || len(expanded.ExpandedRoles) != 1 || expanded.AgentACLDefaultPolicy != "deny" {
		t.Errorf("TokenReadExpanded = %+v, %v; want its one policy (through the token and its role) and role", expanded, err)
	}
	tok.Description = "app v2"
	tok.SecretID = ""
	up, _, err := acl.TokenUpdate(tok, nil)
	if err != nil || up.Description != "app v2" || up.SecretID != read.SecretID {
		t.Errorf("TokenUpdate = %+v, %v; want the new description and the old secret", up, err)
	}
	clone, _, err := acl.TokenClone(tok.AccessorID, "cloned", nil)
	if err != nil || clone.AccessorID == tok.AccessorID || clone.Description != "cloned" || len(clone.Policies) != 1 || len(clone.Roles) != 1 {
		t.Errorf("TokenClone = %+v, %v", clone, err)
	}
	filtered, _, err := acl.TokenListFiltered(consulapi.ACLTokenFilterOptions{Role: role.ID}, nil)
	if err != nil || len(filtered) != 2 {
		t.Errorf("TokenListFiltered(role) = %d tokens, %v; want the token and its clone", len(filtered), err)
	}
	all, _, err := acl.TokenList(&consulapi.QueryOptions{Filter: `Description == "cloned"`})
	if err != nil || len(all) != 1 || all[0].AccessorID != clone.AccessorID {
		t.Errorf("TokenList(?filter) = %+v, %v; want the clone", all, err)
	}
	_, _, err = acl.TokenCreate(&consulapi.ACLToken{Policies: []*consulapi.ACLTokenPolicyLink{{ID: "8f246b77-f3e1-ff88-5b48-8ec93abf3e05"}}}, nil)
	wantACLError(t, "TokenCreate(missing policy)", err, http.StatusBadRequest, "No such ACL policy with ID")

	// The token reads itself; a token with acl read only sees others'
	// secrets hidden.
	self, _, err := aclClient(t, ta.HTTPAddr(), read.SecretID).TokenReadSelf(nil)
	if err != nil || self.AccessorID != tok.AccessorID {
		t.Errorf("TokenReadSelf(app token) = %+v, %v", self, err)
	}
	reader, _, err := acl.PolicyCreate(&consulapi.ACLPolicy{Name: "acl-read", Rules: `acl = "read"`}, nil)
	if err != nil {
		t.Fatal(err)
	}
	readerTok, _, err := acl.TokenCreate(&consulapi.ACLToken{Policies: []*consulapi.ACLTokenPolicyLink{{ID: reader.ID}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, _, err := aclClient(t, ta.HTTPAddr(), readerTok.SecretID).TokenRead(tok.AccessorID, nil); err != nil || got.SecretID != "<hidden>" {
		t.Errorf("TokenRead by an acl-read token = %+v, %v; want the secret hidden", got, err)
	}

	// Deleting a policy drops it from its tokens; deleted objects are gone.
	if _, err := acl.PolicyDelete(pol.ID, nil); err != nil {
		t.Fatalf("PolicyDelete = %v", err)
	}
	if got, _, err := acl.TokenRead(tok.AccessorID, nil); err != nil || len(got.Policies) != 0 {
		t.Errorf("TokenRead after its policy went = %+v, %v; want no policy links", got, err)
	}
	if _, err := acl.TokenDelete(tok.AccessorID, nil); err != nil {
		t.Fatalf("TokenDelete = %v", err)
	}
	_, _, err = acl.TokenRead(tok.AccessorID, nil)
	wantACLError(t, "TokenRead(deleted)", err, http.StatusForbidden, "ACL not found")
	_, err = acl.TokenDelete(tok.AccessorID, nil)
	wantACLError(t, "TokenDelete(deleted)", err, http.StatusNotFound, "Cannot find token to delete")
	_, _, err = aclClient(t, ta.HTTPAddr(), read.SecretID).TokenReadSelf(nil)
	wantACLError(t, "TokenReadSelf(deleted token)", err, http.StatusForbidden, "ACL not found")
	if _, err := acl.RoleDelete(role.ID, nil); err != nil {
		t.Fatalf("RoleDelete = %v", err)
	}
}

// TestACLTokenExpiry: a token is refused from its expiration time on, and
// creating one with a bad TTL is a 400.
func TestACLTokenExpiry(t *testing.T) {
	t.Parallel()
	ta, root, acl := bootstrappedACLAgent(t)
	var err error
	_, _, err = acl.TokenCreate(&consulapi.ACLToken{ExpirationTTL: -time.Second}, nil)
	wantACLError(t, "TokenCreate(negative TTL)", err, http.StatusBadRequest, "should be > 0")
	_, _, err = acl.TokenCreate(&consulapi.ACLToken{ExpirationTTL: time.Millisecond}, nil)
	wantACLError(t, "TokenCreate(TTL under the minimum)", err, http.StatusBadRequest, "ExpirationTime cannot be less than")

	// Other clients write the TTL as a duration string.
	resp := doRaw(t, ta.HTTPAddr(), "PUT", "/v1/acl/token?token="+root.SecretID, strings.NewReader(`{"ExpirationTTL": "1h"}`))
	if resp.Code != http.StatusOK || !strings.Contains(string(resp.Body), `"ExpirationTime":`) {
		t.Errorf("PUT /v1/acl/token {ExpirationTTL: \"1h\"} = %d %s, want a token with an expiration time", resp.Code, resp.Body)
	}
	resp = doRaw(t, ta.HTTPAddr(), "PUT", "/v1/acl/token?token="+root.SecretID, strings.NewReader(`{"ExpirationTTL": "soon"}`))
	if resp.Code != http.StatusBadRequest || !strings.Contains(string(resp.Body), "ExpirationTTL") {
		t.Errorf("PUT /v1/acl/token {ExpirationTTL: \"soon\"} = %d %s, want 400 naming ExpirationTTL", resp.Code, resp.Body)
	}

	tok, _, err := acl.TokenCreate(&consulapi.ACLToken{ExpirationTTL: 500 * time.Millisecond}, nil)
	if err != nil || tok.ExpirationTime == nil || !tok.ExpirationTime.After(tok.CreateTime) {
		t.Fatalf("TokenCreate(TTL) = %+v, %v; want an expiration time", tok, err)
	}
	if got := tok.ExpirationTime.Sub(tok.CreateTime); got != 500*time.Millisecond {
		t.Errorf("ExpirationTime - CreateTime = %v, want 500ms", got)
	}
	own := aclClient(t, ta.HTTPAddr(), tok.SecretID)
	if _, _, err := own.TokenReadSelf(nil); err != nil && time.Now().Before(*tok.ExpirationTime) {
		t.Fatalf("TokenReadSelf before expiry = %v", err)
	}
	testutil.Run(t, 5*time.Second, func(r *testutil.R) {
		if _, _, err := own.TokenReadSelf(nil); err == nil {
			r.Fatalf("the expired token still reads itself")
		}
	})
	_, _, err = own.TokenReadSelf(nil)
	wantACLError(t, "TokenReadSelf(expired)", err, http.StatusForbidden, "ACL not found")

	// An expired token that could write keys reads and writes none.
	pol, _, err := acl.PolicyCreate(&consulapi.ACLPolicy{Name: "exp-keys", Rules: `key_prefix "exp/" { policy = "write" }`}, nil)
	if err != nil {
		t.Fatal(err)
	}
	keys, _, err := acl.TokenCreate(&consulapi.ACLToken{ExpirationTTL: 500 * time.Millisecond,
		Policies: []*consulapi.ACLTokenPolicyLink{{ID: pol.ID}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	kv := newConsulClient(t, ta.HTTPAddr(), nil).KV()
	wq := &consulapi.WriteOptions{Token: keys.SecretID}
	if _, err := kv.Put(&consulapi.KVPair{Key: "exp/a", Value: []byte("1")}, wq); err != nil && time.Now().Before(*keys.ExpirationTime) {
		t.Fatalf("put with the key token before expiry: %v", err)
	}
	testutil.Run(t, 5*time.Second, func(r *testutil.R) {
		if _, err := kv.Put(&consulapi.KVPair{Key: "exp/b", Value: []byte("2")}, wq); err == nil {
			r.Fatalf("the expired token still writes keys")
		}
	})
	_, err = kv.Put(&consulapi.KVPair{Key: "exp/c", Value: []byte("3")}, wq)
	wantACLError(t, "KV put with an expired token", err, http.StatusForbidden, "ACL not found")
	_, _, err = kv.Get("exp/a", &consulapi.QueryOptions{Token: keys.SecretID})
	wantACLError(t, "KV get with an expired token", err, http.StatusForbidden, "ACL not found")
	if list, _, err := acl.TokenList(nil); err != nil || len(list) != 3 {
		t.Errorf("TokenList = %d tokens, %v; want the bootstrap, anonymous and one-hour tokens only", len(list), err)
	}
}

// TestACLDisabled: with ACLs off, the ACL endpoints answer Consul's 401.
func TestACLDisabled(t *testing.T) {
	t.Parallel()
	ta, _ := startDevAgent(t)
	for _, path := range []string{"/v1/acl/tokens", "/v1/acl/policies", "/v1/acl/roles", "/v1/acl/token/self",
		"/v1/acl/auth-methods", "/v1/acl/binding-rules", "/v1/acl/auth-method/x"} {
		resp := doRaw(t, ta.HTTPAddr(), "GET", path, nil)
		if resp.Code != http.StatusUnauthorized || !strings.Contains(string(resp.Body), "ACL support disabled") {
			t.Errorf("GET %s = %d %q, want 401 ACL support disabled", path, resp.Code, resp.Body)
		}
	}
	for _, path := range []string{"PUT /v1/acl/bootstrap", "POST /v1/acl/login", "POST /v1/acl/logout?token=x"} {
		method, path, _ := strings.Cut(path, " ")
		resp := doRaw(t, ta.HTTPAddr(), method, path, strings.NewReader(`{"AuthMethod":"m","BearerToken":"b"}`))
		if resp.Code != http.StatusUnauthorized {
			t.Errorf("%s %s = %d %q, want 401", method, path, resp.Code, resp.Body)
		}
	}
}
