package multidc_test

import (
	"strings"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/testutil"
	"github.com/go-jose/go-jose/v4/jwt"
	consul "github.com/hashicorp/consul/api"
)

// testAuthMethods: auth methods belong to their datacenter, as in
// Consul. A method in the primary may make global tokens, which dc2
// replicates; dc2 may not have one; dc2's own (local) method makes local
// tokens that work in dc2 only. Policies a binding rule names are looked
// up where the login happens (dc2 has dc1's, replicated).
func testAuthMethods(t *testing.T, root1, root2 *consul.Client, s1, s2 *testutil.Node, policy string) {
	iss := testutil.NewJWTIssuer(t)
	config := map[string]any{"JWTValidationPubKeys": []string{iss.PublicKeyPEM}}
	method := func(root *consul.Client, name, locality string) error {
		_, _, err := root.ACL().AuthMethodCreate(&consul.ACLAuthMethod{Name: name, Type: "jwt", TokenLocality: locality, Config: config}, nil)
		if err == nil {
			_, _, err = root.ACL().BindingRuleCreate(&consul.ACLBindingRule{AuthMethod: name, BindType: "policy", BindName: policy}, nil)
		}
		return err
	}
	now := time.Now()
	bearer := iss.Sign(t, "", jwt.Claims{IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Hour))}, nil)
	login := func(n *testutil.Node, name string) *consul.ACLToken {
		t.Helper()
		tok, _, err := client(t, n).ACL().Login(&consul.ACLLoginParams{AuthMethod: name, BearerToken: bearer}, nil)
		mustOK(t, "Login("+name+")", err)
		return tok
	}

	mustOK(t, "global method in dc1", method(root1, "ci-global", "global"))
	global := login(s1, "ci-global")
	if global.Local || global.AuthMethod != "ci-global" || len(global.Policies) != 1 {
		t.Errorf("Login(ci-global) in dc1 = %+v; want a global token with the policy", global)
	}
	untilReads(t, clientWith(t, s2, global.SecretID), "app/color")

	err := method(root2, "ci-global-2", "global")
	if err == nil || !contains(err, "TokenLocality 'global' can only be used in the primary datacenter") {
		t.Errorf("global method in dc2 = %v; want refused", err)
	}
	if m, _, err := root2.ACL().AuthMethodRead("ci-global", nil); err != nil || m != nil {
		t.Errorf("dc2 AuthMethodRead(dc1's method) = %+v, %v; want none (methods are not replicated)", m, err)
	}
	mustOK(t, "local method in dc2", method(root2, "ci-local", ""))
	local := login(s2, "ci-local")
	if !local.Local || len(local.Policies) != 1 {
		t.Errorf("Login(ci-local) in dc2 = %+v; want a local token with the policy", local)
	}
	if v, _, err := clientWith(t, s2, local.SecretID).KV().Get("app/color", nil); err != nil || v == nil {
		t.Errorf("KV get in dc2 with dc2's login token = %v, %v", v, err)
	}
	if _, _, err := clientWith(t, s1, local.SecretID).ACL().TokenReadSelf(nil); err == nil {
		t.Errorf("dc2's login token works in dc1")
	}
	_, err = clientWith(t, s2, local.SecretID).ACL().Logout(nil)
	mustOK(t, "Logout in dc2", err)
	// The global token logs out through dc2: deleted in dc1, then gone from dc2.
	_, err = clientWith(t, s2, global.SecretID).ACL().Logout(nil)
	mustOK(t, "Logout of the global token via dc2", err)
	if _, _, err := root1.ACL().TokenRead(global.AccessorID, nil); err == nil {
		t.Errorf("dc1 still holds the global login token after its logout via dc2")
	}
}

func contains(err error, text string) bool { return err != nil && strings.Contains(err.Error(), text) }
