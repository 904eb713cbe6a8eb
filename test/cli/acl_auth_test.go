package cli_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/concordhq/concord/internal/testutil"
)

// TestAuthMethodCommands drives `concord acl auth-method`, `concord acl
// binding-rule`, `concord login` and `concord logout` as a user would: a
// jwt method from a config file, a binding rule, a login with a signed
// JWT that writes the new token to a sink file, the token used, then
// logout; output checked against consul's layout.
func TestAuthMethodCommands(t *testing.T) {
	t.Parallel()
	a := startACLAgent(t)
	res := concord(t, "acl", "bootstrap", "-http-addr="+a.Addr)
	if res.code != 0 {
		t.Fatalf("acl bootstrap = exit %d, stderr %q", res.code, res.stderr)
	}
	admin := run{env: []string{"CONSUL_HTTP_ADDR=" + a.Addr, "CONCORD_HTTP_TOKEN=" + field(t, secretLineRE, res.stdout)}}

	iss := testutil.NewJWTIssuer(t)
	config, _ := json.Marshal(map[string]any{
		"JWTValidationPubKeys": []string{iss.PublicKeyPEM},
		"BoundAudiences":       []string{"concord"}, "ClaimMappings": map[string]string{"sub": "name"},
	})
	dir := t.TempDir()
	configFile := writeFile(t, dir, "jwt.json", string(config))

	admin.concord(t, "acl", "auth-method", "create", "-type=jwt").want(t, "auth-method create without -name", 1, "",
		"Missing required '-name' flag\n")
	admin.concord(t, "acl", "auth-method", "create", "-type=kubernetes", "-name=k").want(t, "auth-method create k8s without host", 1, "",
		"Missing required '-kubernetes-host' flag\n")
	admin.concord(t, "acl", "auth-method", "create", "-type=ldap", "-name=x").wantErr(t, "auth-method create -type=ldap",
		"Failed to create new auth method: Unexpected response code: 500 (Invalid Auth Method: Type should be one of: [jwt kubernetes])")
	res = admin.concord(t, "acl", "auth-method", "create", "-type=jwt", "-name=ci", "-description=CI jobs",
		"-max-token-ttl=10m", "-config=@"+configFile)
	if res.code != 0 || !strings.HasPrefix(res.stdout, "Name:          ci\nType:          jwt\nDescription:   CI jobs\n"+
		"MaxTokenTTL:   10m0s\nConfig:\n{\n  \"BoundAudiences\": [\n    \"concord\"\n  ],\n") {
		t.Errorf("auth-method create = exit %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
	}
	admin.concord(t, "acl", "auth-method", "update", "-name=ci", "-display-name=CI").want(t, "auth-method update", 0,
		strings.Replace(res.stdout, "Description:", "DisplayName:   CI\nDescription:", 1), "")
	admin.concord(t, "acl", "auth-method", "list").want(t, "auth-method list", 0,
		"ci:\n   Type:         jwt\n   DisplayName:  CI\n   Description:  CI jobs\n", "")
	admin.concord(t, "acl", "auth-method", "read", "-name=nope").want(t, "auth-method read -name=nope", 1, "",
		"Auth method not found: nope\n")

	res = admin.concord(t, "acl", "binding-rule", "create", "-method=ci", "-bind-type=service",
		"-bind-name=ci-${value.name}", "-selector=value.name != \"\"")
	res.normalized().want(t, "binding-rule create", 0, "ID:           <uuid>\nAuthMethod:   ci\nDescription:  \n"+
		"BindType:     service\nBindName:     ci-${value.name}\nSelector:     value.name != \"\"\n", "")
	ruleID := field(t, idLineRE, res.stdout)
	admin.concord(t, "acl", "binding-rule", "update", "-id="+ruleID[:8], "-description=CI services").normalized().want(t,
		"binding-rule update", 0, "ID:           <uuid>\nAuthMethod:   ci\nDescription:  CI services\n"+
			"BindType:     service\nBindName:     ci-${value.name}\nSelector:     value.name != \"\"\n", "")
	admin.concord(t, "acl", "binding-rule", "list", "-method=ci").normalized().want(t, "binding-rule list", 0,
		"<uuid>:\n   AuthMethod:   ci\n   Description:  CI services\n   BindType:     service\n"+
			"   BindName:     ci-${value.name}\n   Selector:     value.name != \"\"\n", "")

	// Log in with a JWT the key signed: the sink file gets the secret.
	now := time.Now()
	bearer := iss.Sign(t, "", jwt.Claims{Subject: "build", Audience: jwt.Audience{"concord"},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Hour))}, nil)
	bearerFile := writeFile(t, dir, "bearer.jwt", bearer+"\n")
	sink := dir + "/token"
	concord(t, "login", "-http-addr="+a.Addr, "-method=ci", "-bearer-token-file="+bearerFile).want(t,
		"login without a sink", 1, "", "Missing required '-token-sink-file' flag\n")
	concord(t, "login", "-http-addr="+a.Addr, "-method=ci", "-bearer-token-file="+bearerFile,
		"-token-sink-file="+sink, "-meta=job=42").want(t, "login", 0, "", "")
	secret, err := os.ReadFile(sink)
	if err != nil || !uuidRE.Match(secret) {
		t.Fatalf("token sink = %q, %v; want a secret", secret, err)
	}
	if fi, err := os.Stat(sink); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("token sink mode = %v, %v; want 0600", fi.Mode(), err)
	}
	res = concord(t, "acl", "token", "read", "-http-addr="+a.Addr, "-token="+string(secret), "-self")
	if res.code != 0 || !strings.Contains(res.stdout, "Description:      token created via login: {\"job\":\"42\"}\n") ||
		!strings.Contains(res.stdout, "Service Identities:\n   ci-build (Datacenters: all)\n") {
		t.Errorf("acl token read -self with the login token = exit %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
	}
	concord(t, "logout", "-http-addr="+a.Addr, "-token-file="+sink).want(t, "logout", 0, "", "")
	concord(t, "logout", "-http-addr="+a.Addr, "-token-file="+sink).wantErr(t, "logout again",
		"Error destroying token: Unexpected response code: 403 (ACL not found)")

	admin.concord(t, "acl", "binding-rule", "delete", "-id="+ruleID).want(t, "binding-rule delete", 0,
		"Binding rule \""+ruleID+"\" deleted successfully\n", "")
	admin.concord(t, "acl", "auth-method", "delete", "-name=ci").want(t, "auth-method delete", 0,
		"Auth-method \"ci\" deleted successfully\n", "")
	admin.concord(t, "acl", "auth-method", "list").want(t, "auth-method list after delete", 0, "", "")
}
