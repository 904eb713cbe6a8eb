package acl_test

import (
	"testing"
	"time"

	"github.com/concordhq/concord/internal/testutil"
	"github.com/go-jose/go-jose/v4/jwt"
	consul "github.com/hashicorp/consul/api"
)

// testLoginViaClient: auth methods and binding rules are managed, and a
// login and logout made, through the client agent, whose calls reach the
// server over RPC; the login's token works through either agent.
func testLoginViaClient(t *testing.T, c *aclCluster) {
	iss := testutil.NewJWTIssuer(t)
	root := c.api(t, c.client, rootSecret).ACL()
	if _, _, err := root.AuthMethodCreate(&consul.ACLAuthMethod{Name: "ci", Type: "jwt", MaxTokenTTL: time.Hour,
		Config: map[string]any{"JWTValidationPubKeys": []string{iss.PublicKeyPEM},
			"ClaimMappings": map[string]string{"sub": "name"}}}, nil); err != nil {
		t.Fatalf("AuthMethodCreate via client = %v", err)
	}
	if m, _, err := c.api(t, c.server, rootSecret).ACL().AuthMethodRead("ci", nil); err != nil || m == nil || m.MaxTokenTTL != time.Hour {
		t.Errorf("AuthMethodRead via server = %+v, %v", m, err)
	}
	if _, _, err := root.BindingRuleCreate(&consul.ACLBindingRule{AuthMethod: "ci", BindType: "service",
		BindName: "${value.name}"}, nil); err != nil {
		t.Fatalf("BindingRuleCreate via client = %v", err)
	}
	now := time.Now()
	bearer := iss.Sign(t, "", jwt.Claims{Subject: "builder", IssuedAt: jwt.NewNumericDate(now),
		Expiry: jwt.NewNumericDate(now.Add(time.Minute))}, nil)
	tok, _, err := c.api(t, c.client, "").ACL().Login(&consul.ACLLoginParams{AuthMethod: "ci", BearerToken: bearer}, nil)
	if err != nil {
		t.Fatalf("Login via client = %v", err)
	}
	if tok.AuthMethod != "ci" || len(tok.ServiceIdentities) != 1 || tok.ServiceIdentities[0].ServiceName != "builder" {
		t.Errorf("Login via client = %+v", tok)
	}
	// A service identity may register its service.
	if err := c.api(t, c.client, tok.SecretID).Agent().ServiceRegister(&consul.AgentServiceRegistration{ID: "builder-1", Name: "builder"}); err != nil {
		t.Errorf("ServiceRegister(builder) with the login token = %v", err)
	}
	if _, err := c.api(t, c.client, tok.SecretID).ACL().Logout(nil); err != nil {
		t.Fatalf("Logout via client = %v", err)
	}
	if _, _, err := c.api(t, c.server, tok.SecretID).ACL().TokenReadSelf(nil); outcome(err) != "acl-not-found" {
		t.Errorf("TokenReadSelf after logout = %v, want ACL not found", err)
	}
	if _, err := root.AuthMethodDelete("ci", nil); err != nil {
		t.Errorf("AuthMethodDelete via client = %v", err)
	}
}
