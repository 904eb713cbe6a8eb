package httpapi_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	consulapi "github.com/hashicorp/consul/api"

	"github.com/concordhq/concord/internal/testutil"
)

// selfSignedPEM is a throwaway CA certificate, for a kubernetes method's
// CACert (only parsed, never dialled, in the CRUD tests).
func selfSignedPEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// hs256JWT is a JWT signed with a shared secret: what a kubernetes method
// needs for its ServiceAccountJWT and bearer tokens (the API server, not
// Concord, checks them).
func hs256JWT(t *testing.T, sub string) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte("0123456789abcdef0123456789abcdef")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jwt.Signed(sig).Claims(jwt.Claims{Subject: sub}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func kubeConfig(t *testing.T, host, caPEM string) map[string]any {
	return map[string]any{"Host": host, "CACert": caPEM, "ServiceAccountJWT": hs256JWT(t, "concord")}
}

// TestAuthMethodCRUD: auth methods are created, read, listed, updated and
// deleted through the official client; bad ones are refused with Consul's
// texts and status (500, as Consul answers its validation errors), and a
// token without acl write cannot write them.
func TestAuthMethodCRUD(t *testing.T) {
	t.Parallel()
	ta, rootTok, root := bootstrappedACLAgent(t)
	ca := selfSignedPEM(t)

	created, _, err := root.AuthMethodCreate(&consulapi.ACLAuthMethod{Name: "k8s", Type: "kubernetes", DisplayName: "K8s",
		Description: "cluster one", MaxTokenTTL: 260 * time.Second, TokenLocality: "global",
		Config: kubeConfig(t, "https://192.0.2.42:8443", ca)}, nil)
	if err != nil {
		t.Fatalf("AuthMethodCreate(k8s) = %v", err)
	}
	if created.Name != "k8s" || created.MaxTokenTTL != 260*time.Second || created.TokenLocality != "global" ||
		created.CreateIndex == 0 || created.ModifyIndex != created.CreateIndex || created.Config["Host"] != "https://192.0.2.42:8443" {
		t.Errorf("AuthMethodCreate(k8s) = %+v", created)
	}
	if _, _, err := root.AuthMethodCreate(&consulapi.ACLAuthMethod{Name: "k8s-2", Type: "kubernetes",
		Config: kubeConfig(t, "192.0.2.43", ca)}, nil); err != nil {
		t.Fatalf("AuthMethodCreate(k8s-2) = %v", err)
	}

	got, _, err := root.AuthMethodRead("k8s", nil)
	if err != nil || got == nil || got.DisplayName != "K8s" || got.Config["CACert"] != ca {
		t.Errorf("AuthMethodRead(k8s) = %+v, %v", got, err)
	}
	list, _, err := root.AuthMethodList(nil)
	if err != nil || len(list) != 2 || list[0].Name != "k8s" || list[0].MaxTokenTTL != 260*time.Second ||
		list[1].Name != "k8s-2" || list[1].MaxTokenTTL != 0 {
		t.Errorf("AuthMethodList() = %+v, %v", list, err)
	}

	// An update without Type keeps it; DisplayName changes.
	upd, _, err := root.AuthMethodUpdate(&consulapi.ACLAuthMethod{Name: "k8s", DisplayName: "K8s two",
		Config: kubeConfig(t, "https://192.0.2.42:8443", ca)}, nil)
	if err != nil || upd.Type != "kubernetes" || upd.DisplayName != "K8s two" || upd.CreateIndex != created.CreateIndex ||
		upd.ModifyIndex <= created.ModifyIndex {
		t.Errorf("AuthMethodUpdate(k8s) = %+v, %v", upd, err)
	}

	for _, tc := range []struct {
		name   string
		method consulapi.ACLAuthMethod
		text   string
	}{
		{"unknown type", consulapi.ACLAuthMethod{Name: "x", Type: "ldap"}, "Invalid Auth Method: Type should be one of: [jwt kubernetes]"},
		{"type change", consulapi.ACLAuthMethod{Name: "k8s", Type: "jwt"}, "the Type field of an Auth Method is immutable"},
		{"bad name", consulapi.ACLAuthMethod{Name: "a b", Type: "kubernetes"}, "Invalid Auth Method: invalid Name"},
		{"no host", consulapi.ACLAuthMethod{Name: "x", Type: "kubernetes", Config: map[string]any{"CACert": ca}},
			"Invalid Auth Method: Config.Host is required"},
		{"bad CA", consulapi.ACLAuthMethod{Name: "x", Type: "kubernetes", Config: map[string]any{"Host": "h", "CACert": "nope"}},
			"Invalid Auth Method: error parsing kubernetes ca cert"},
		{"no JWT", consulapi.ACLAuthMethod{Name: "x", Type: "kubernetes", Config: map[string]any{"Host": "h", "CACert": ca}},
			"Invalid Auth Method: Config.ServiceAccountJWT is required"},
		{"bad JWT", consulapi.ACLAuthMethod{Name: "x", Type: "kubernetes",
			Config: map[string]any{"Host": "h", "CACert": ca, "ServiceAccountJWT": "not-a-jwt"}},
			"Invalid Auth Method: Config.ServiceAccountJWT is not a valid JWT"},
		{"unknown key", consulapi.ACLAuthMethod{Name: "x", Type: "kubernetes",
			Config: map[string]any{"Host": "h", "CACert": ca, "ServiceAccountJWT": hs256JWT(t, "a"), "Bogus": 1}},
			`Invalid Auth Method: error decoding config: json: unknown field "Bogus"`},
		{"jwt without keys", consulapi.ACLAuthMethod{Name: "x", Type: "jwt", Config: map[string]any{}},
			"exactly one of 'JWTValidationPubKeys', 'JWKSURL', or 'OIDCDiscoveryURL' must be set"},
		{"jwt bad key", consulapi.ACLAuthMethod{Name: "x", Type: "jwt", Config: map[string]any{"JWTValidationPubKeys": []string{"x"}}},
			"error parsing public key JWTValidationPubKeys[0]"},
		{"jwt JWKS unreachable", consulapi.ACLAuthMethod{Name: "x", Type: "jwt", Config: map[string]any{"JWKSURL": "https://127.0.0.1:1/keys"}},
			"Invalid Auth Method: error checking JWKSURL: "},
		{"jwt JWKS bad CA", consulapi.ACLAuthMethod{Name: "x", Type: "jwt", Config: map[string]any{"JWKSURL": "https://127.0.0.1:1/keys",
			"JWKSCACert": "nope"}}, "Invalid Auth Method: error checking JWKSCACert: could not parse CA PEM value successfully"},
		{"jwt OIDC key", consulapi.ACLAuthMethod{Name: "x", Type: "jwt", Config: map[string]any{"OIDCClientID": "c"}},
			`'OIDCClientID' must not be set for type "jwt"`},
		{"TTL too long", consulapi.ACLAuthMethod{Name: "x", Type: "kubernetes", MaxTokenTTL: 1000 * time.Hour},
			"MaxTokenTTL 1000h0m0s cannot be more than 24h0m0s"},
		{"bad locality", consulapi.ACLAuthMethod{Name: "x", Type: "kubernetes", TokenLocality: "planet"},
			"Invalid Auth Method: TokenLocality should be one of 'local' or 'global'"},
	} {
		_, _, err := root.AuthMethodCreate(&tc.method, nil)
		wantACLError(t, tc.name, err, http.StatusInternalServerError, tc.text)
	}

	// Bad bodies and a path/body mismatch are the client's fault: 400.
	resp := doRaw(t, ta.HTTPAddr(), "PUT", "/v1/acl/auth-method/k8s?token="+rootTok.SecretID, strings.NewReader(`{"Name":"other"}`))
	if resp.Code != http.StatusBadRequest || !strings.Contains(string(resp.Body), "AuthMethod Name in URL and payload do not match") {
		t.Errorf("PUT auth-method/k8s with Name other = %d %q", resp.Code, resp.Body)
	}
	resp = doRaw(t, ta.HTTPAddr(), "PUT", "/v1/acl/auth-method?token="+rootTok.SecretID, strings.NewReader(`{"Name":`))
	if resp.Code != http.StatusBadRequest || !strings.Contains(string(resp.Body), "AuthMethod decoding failed") {
		t.Errorf("PUT auth-method with a cut body = %d %q", resp.Code, resp.Body)
	}

	// A token that may only read ACLs reads methods and cannot write them.
	reader := tokenWithRules(t, root, `acl = "read"`)
	ro := aclClient(t, ta.HTTPAddr(), reader)
	if _, _, err := ro.AuthMethodList(nil); err != nil {
		t.Errorf("AuthMethodList(acl read) = %v", err)
	}
	_, _, err = ro.AuthMethodCreate(&consulapi.ACLAuthMethod{Name: "y", Type: "kubernetes"}, nil)
	wantACLError(t, "AuthMethodCreate(acl read)", err, http.StatusForbidden, "Permission denied")
	_, _, err = aclClient(t, ta.HTTPAddr(), "").AuthMethodList(nil)
	wantACLError(t, "AuthMethodList(anonymous)", err, http.StatusForbidden, "Permission denied")

	if _, err := root.AuthMethodDelete("k8s", nil); err != nil {
		t.Fatalf("AuthMethodDelete(k8s) = %v", err)
	}
	if _, err := root.AuthMethodDelete("k8s", nil); err != nil {
		t.Errorf("AuthMethodDelete(k8s) again = %v, want nil (Consul answers true)", err)
	}
	if got, _, err := root.AuthMethodRead("k8s", nil); err != nil || got != nil {
		t.Errorf("AuthMethodRead(deleted) = %+v, %v; want nil, nil (404)", got, err)
	}
}

// tokenWithRules makes a policy of rules and a token linked to it, and
// returns the token's secret.
func tokenWithRules(t *testing.T, root *consulapi.ACL, rules string) string {
	t.Helper()
	p, _, err := root.PolicyCreate(&consulapi.ACLPolicy{Name: "p-" + strings.ReplaceAll(time.Now().Format("150405.000000000"), ".", ""), Rules: rules}, nil)
	if err != nil {
		t.Fatalf("PolicyCreate(%q) = %v", rules, err)
	}
	tok, _, err := root.TokenCreate(&consulapi.ACLToken{Policies: []*consulapi.ACLTokenPolicyLink{{ID: p.ID}}}, nil)
	if err != nil {
		t.Fatalf("TokenCreate = %v", err)
	}
	return tok.SecretID
}

// TestBindingRuleCRUD: binding rules are checked against their auth
// method (selector fields, bind type, the variables a bind name may use),
// listed by method, updated, deleted, and go with their method.
func TestBindingRuleCRUD(t *testing.T) {
	t.Parallel()
	_, _, root := bootstrappedACLAgent(t)
	iss := testutil.NewJWTIssuer(t)
	for _, name := range []string{"jwt-a", "jwt-b"} {
		if _, _, err := root.AuthMethodCreate(&consulapi.ACLAuthMethod{Name: name, Type: "jwt", Config: map[string]any{
			"JWTValidationPubKeys": []string{iss.PublicKeyPEM}, "ClaimMappings": map[string]string{"sub": "name"},
			"ListClaimMappings": map[string]string{"groups": "groups"}}}, nil); err != nil {
			t.Fatalf("AuthMethodCreate(%s) = %v", name, err)
		}
	}
	rule, _, err := root.BindingRuleCreate(&consulapi.ACLBindingRule{AuthMethod: "jwt-a", Description: "web",
		Selector: `value.name == "web" and "ops" in list.groups`, BindType: consulapi.BindingRuleBindTypeService,
		BindName: "svc-${value.name}"}, nil)
	if err != nil {
		t.Fatalf("BindingRuleCreate = %v", err)
	}
	if rule.ID == "" || rule.CreateIndex == 0 || rule.BindName != "svc-${value.name}" {
		t.Errorf("BindingRuleCreate = %+v", rule)
	}
	if _, _, err := root.BindingRuleCreate(&consulapi.ACLBindingRule{AuthMethod: "jwt-b",
		BindType: consulapi.BindingRuleBindTypeRole, BindName: "admins"}, nil); err != nil {
		t.Fatalf("BindingRuleCreate(jwt-b) = %v", err)
	}
	for _, tc := range []struct {
		name string
		rule consulapi.ACLBindingRule
		text string
	}{
		{"no method", consulapi.ACLBindingRule{BindType: "service", BindName: "a"}, "Invalid Binding Rule: no AuthMethod is set"},
		{"unknown method", consulapi.ACLBindingRule{AuthMethod: "nope", BindType: "service", BindName: "a"},
			`cannot find auth method with name "nope"`},
		{"no type", consulapi.ACLBindingRule{AuthMethod: "jwt-a", BindName: "a"}, "Invalid Binding Rule: no BindType is set"},
		{"no name", consulapi.ACLBindingRule{AuthMethod: "jwt-a", BindType: "service"}, "Invalid Binding Rule: no BindName is set"},
		{"bad type", consulapi.ACLBindingRule{AuthMethod: "jwt-a", BindType: "planet", BindName: "a"},
			`Invalid Binding Rule: unknown BindType "planet"`},
		{"unknown variable", consulapi.ACLBindingRule{AuthMethod: "jwt-a", BindType: "service", BindName: "${value.team}"},
			"Invalid Binding Rule: invalid BindName"},
		{"invalid name", consulapi.ACLBindingRule{AuthMethod: "jwt-a", BindType: "service", BindName: "No Spaces"},
			"Invalid Binding Rule: invalid BindName"},
		{"bad selector", consulapi.ACLBindingRule{AuthMethod: "jwt-a", Selector: "value.name ==", BindType: "service", BindName: "a"},
			"invalid Binding Rule: Selector is invalid"},
		{"unknown field", consulapi.ACLBindingRule{AuthMethod: "jwt-a", Selector: `serviceaccount.name == "x"`, BindType: "service", BindName: "a"},
			"invalid Binding Rule: Selector is invalid"},
	} {
		_, _, err := root.BindingRuleCreate(&tc.rule, nil)
		wantACLError(t, tc.name, err, http.StatusInternalServerError, tc.text)
	}

	if rules, _, err := root.BindingRuleList("jwt-a", nil); err != nil || len(rules) != 1 || rules[0].ID != rule.ID {
		t.Errorf("BindingRuleList(jwt-a) = %+v, %v; want the one rule", rules, err)
	}
	if rules, _, err := root.BindingRuleList("", nil); err != nil || len(rules) != 2 {
		t.Errorf("BindingRuleList() = %+v, %v; want 2", rules, err)
	}

	rule.BindType, rule.BindName = consulapi.BindingRuleBindTypeNode, "node-${value.name}"
	rule.AuthMethod = ""
	upd, _, err := root.BindingRuleUpdate(rule, nil)
	if err != nil || upd.AuthMethod != "jwt-a" || upd.BindType != "node" || upd.CreateIndex != rule.CreateIndex || upd.ModifyIndex <= rule.CreateIndex {
		t.Errorf("BindingRuleUpdate = %+v, %v", upd, err)
	}
	upd.AuthMethod = "jwt-b"
	_, _, err = root.BindingRuleUpdate(upd, nil)
	wantACLError(t, "BindingRuleUpdate(other method)", err, http.StatusInternalServerError, "the AuthMethod field of an Binding Rule is immutable")

	if got, _, err := root.BindingRuleRead(rule.ID, nil); err != nil || got == nil || got.BindName != "node-${value.name}" {
		t.Errorf("BindingRuleRead = %+v, %v", got, err)
	}
	if _, err := root.BindingRuleDelete(rule.ID, nil); err != nil {
		t.Fatalf("BindingRuleDelete = %v", err)
	}
	if got, _, err := root.BindingRuleRead(rule.ID, nil); err != nil || got != nil {
		t.Errorf("BindingRuleRead(deleted) = %+v, %v; want nil (404)", got, err)
	}
	// Deleting a method deletes its rules.
	if _, err := root.AuthMethodDelete("jwt-b", nil); err != nil {
		t.Fatalf("AuthMethodDelete(jwt-b) = %v", err)
	}
	if rules, _, err := root.BindingRuleList("", nil); err != nil || len(rules) != 0 {
		t.Errorf("BindingRuleList() after deleting jwt-b = %+v, %v; want none", rules, err)
	}
}

// TestLoginJWT: a login through a jwt method checks the bearer token's
// signature, times, audience and issuer; the matching binding rules give
// the token its service identity, role and policy (bind names filled
// from the mapped claims); the token carries the method, expires after
// MaxTokenTTL and works; logout deletes it, and only login tokens may log
// out; deleting the method deletes its tokens.
func TestLoginJWT(t *testing.T) {
	t.Parallel()
	ta, rootTok, root := bootstrappedACLAgent(t)
	iss := testutil.NewJWTIssuer(t)
	if _, _, err := root.AuthMethodCreate(&consulapi.ACLAuthMethod{Name: "jwt", Type: "jwt", MaxTokenTTL: 10 * time.Minute,
		Config: map[string]any{
			"JWTValidationPubKeys": []string{iss.PublicKeyPEM}, "BoundAudiences": []string{"concord"}, "BoundIssuer": "https://issuer.test",
			"ClaimMappings":     map[string]string{"sub": "name", "/org/team": "team"},
			"ListClaimMappings": map[string]string{"groups": "groups"},
		}}, nil); err != nil {
		t.Fatalf("AuthMethodCreate(jwt) = %v", err)
	}
	role, _, err := root.RoleCreate(&consulapi.ACLRole{Name: "ops-role"}, nil)
	if err != nil {
		t.Fatalf("RoleCreate = %v", err)
	}
	policy, _, err := root.PolicyCreate(&consulapi.ACLPolicy{Name: "team-web", Rules: `key_prefix "web/" { policy = "write" }`}, nil)
	if err != nil {
		t.Fatalf("PolicyCreate = %v", err)
	}
	for _, r := range []consulapi.ACLBindingRule{
		{Selector: `value.team == "web"`, BindType: consulapi.BindingRuleBindTypeService, BindName: "svc-${value.name}"},
		{Selector: `"ops" in list.groups`, BindType: consulapi.BindingRuleBindTypeRole, BindName: "${value.name}-role"},
		{Selector: `"ops" in list.groups`, BindType: consulapi.BindingRuleBindTypeRole, BindName: "no-such-role"},
		{Selector: `value.team == "web"`, BindType: consulapi.BindingRuleBindTypePolicy, BindName: "team-${value.team}"},
		{Selector: `value.team == "db"`, BindType: consulapi.BindingRuleBindTypeNode, BindName: "db-${value.name}"},
	} {
		r.AuthMethod = "jwt"
		if _, _, err := root.BindingRuleCreate(&r, nil); err != nil {
			t.Fatalf("BindingRuleCreate(%s %s) = %v", r.BindType, r.BindName, err)
		}
	}

	now := time.Now()
	good := jwt.Claims{Subject: "OPS", Issuer: "https://issuer.test", Audience: jwt.Audience{"concord"},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Hour))}
	anon := aclClient(t, ta.HTTPAddr(), "")
	login := func(bearer string, meta map[string]string) (*consulapi.ACLToken, error) {
		tok, _, err := anon.Login(&consulapi.ACLLoginParams{AuthMethod: "jwt", BearerToken: bearer, Meta: meta}, nil)
		return tok, err
	}
	tok, err := login(iss.Sign(t, "", good, map[string]any{"org": map[string]any{"team": "web"}, "groups": []string{"ops", "dev"}}),
		map[string]string{"host": "h1"})
	if err != nil {
		t.Fatalf("Login(good token) = %v", err)
	}
	if tok.AuthMethod != "jwt" || !tok.Local || tok.Description != `token created via login: {"host":"h1"}` ||
		len(tok.ServiceIdentities) != 1 || tok.ServiceIdentities[0].ServiceName != "svc-ops" ||
		len(tok.Roles) != 1 || tok.Roles[0].ID != role.ID || len(tok.Policies) != 1 || tok.Policies[0].ID != policy.ID ||
		len(tok.NodeIdentities) != 0 {
		t.Errorf("Login(good token) = %+v; want svc-ops, ops-role, team-web from jwt, local", tok)
	}
	if tok.ExpirationTime == nil || tok.ExpirationTime.Sub(now) < 9*time.Minute || tok.ExpirationTime.Sub(now) > 11*time.Minute {
		t.Errorf("Login ExpirationTime = %v, want about 10m from now", tok.ExpirationTime)
	}
	// The token works: it reads itself and writes under web/ (team-web).
	c, err := consulapi.NewClient(&consulapi.Config{Address: ta.HTTPAddr(), Token: tok.SecretID})
	if err != nil {
		t.Fatal(err)
	}
	if self, _, err := c.ACL().TokenReadSelf(nil); err != nil || self.AccessorID != tok.AccessorID {
		t.Errorf("TokenReadSelf(login token) = %+v, %v", self, err)
	}
	if _, err := c.KV().Put(&consulapi.KVPair{Key: "web/x", Value: []byte("1")}, nil); err != nil {
		t.Errorf("KV put web/x with the login token = %v", err)
	}
	if list, _, err := root.TokenListFiltered(consulapi.ACLTokenFilterOptions{AuthMethod: "jwt"}, nil); err != nil || len(list) != 1 {
		t.Errorf("TokenListFiltered(authmethod=jwt) = %d tokens, %v; want 1", len(list), err)
	}

	other := testutil.NewJWTIssuer(t)
	for _, tc := range []struct {
		name, bearer, text string
		code               int
	}{
		{"wrong key", other.Sign(t, "", good, nil), "no known key successfully validated the token signature", 500},
		{"expired", iss.Sign(t, "", jwt.Claims{Subject: "ops", Issuer: good.Issuer, Audience: good.Audience,
			Expiry: jwt.NewNumericDate(now.Add(-time.Hour))}, nil), "error validating claims", 500},
		{"not yet valid", iss.Sign(t, "", jwt.Claims{Subject: "ops", Issuer: good.Issuer, Audience: good.Audience,
			NotBefore: jwt.NewNumericDate(now.Add(time.Hour)), Expiry: jwt.NewNumericDate(now.Add(2 * time.Hour))}, nil), "error validating claims", 500},
		{"no times", iss.Sign(t, "", jwt.Claims{Subject: "ops", Issuer: good.Issuer, Audience: good.Audience}, nil),
			"no issue time, notbefore, or expiration time encoded in token", 500},
		{"wrong audience", iss.Sign(t, "", jwt.Claims{Subject: "ops", Issuer: good.Issuer, Audience: jwt.Audience{"other"},
			IssuedAt: good.IssuedAt, Expiry: good.Expiry}, nil), "aud claim does not match any bound audience", 500},
		{"wrong issuer", iss.Sign(t, "", jwt.Claims{Subject: "ops", Issuer: "https://evil.test", Audience: good.Audience,
			IssuedAt: good.IssuedAt, Expiry: good.Expiry}, nil), "error validating claims", 500},
		{"garbage", "not.a.jwt", "error parsing token", 500},
		// Valid, but no rule matches (team db has only a node rule, and
		// a name with a space is not a valid node name; team qa none).
		{"no rule matches", iss.Sign(t, "", good, map[string]any{"org": map[string]any{"team": "qa"}}), "Permission denied", 403},
	} {
		_, err := login(tc.bearer, nil)
		wantACLError(t, tc.name, err, tc.code, tc.text)
	}
	_, _, err = anon.Login(&consulapi.ACLLoginParams{AuthMethod: "nope", BearerToken: "x"}, nil)
	wantACLError(t, "Login(unknown method)", err, http.StatusForbidden, `ACL not found: auth method "nope" not found`)

	// Logout: only with a login token; then the token is gone.
	_, err = root.Logout(nil)
	wantACLError(t, "Logout(bootstrap token)", err, http.StatusForbidden, "Permission denied")
	_, err = anon.Logout(nil)
	wantACLError(t, "Logout(no token)", err, http.StatusForbidden, "ACL not found")
	if _, err := c.ACL().Logout(nil); err != nil {
		t.Fatalf("Logout(login token) = %v", err)
	}
	if got, _, err := root.TokenRead(tok.AccessorID, nil); err == nil {
		t.Errorf("TokenRead(logged out) = %+v, want ACL not found", got)
	}

	// Deleting the method deletes the tokens logins through it made.
	tok2, err := login(iss.Sign(t, "", good, map[string]any{"org": map[string]any{"team": "web"}}), nil)
	if err != nil {
		t.Fatalf("Login again = %v", err)
	}
	if _, err := root.AuthMethodDelete("jwt", nil); err != nil {
		t.Fatalf("AuthMethodDelete = %v", err)
	}
	if got, _, err := root.TokenRead(tok2.AccessorID, nil); err == nil {
		t.Errorf("TokenRead(token of deleted method) = %+v, want ACL not found", got)
	}
	if _, _, err := root.TokenReadSelf(nil); err != nil || rootTok == nil {
		t.Errorf("root token after deleting the method: %v", err)
	}
}

// fakeKubeAPI is an httptest TLS server answering Kubernetes' TokenReview
// and ServiceAccount APIs: the bearer token good is the service account
// default/web (annotated to be the service "web-svc"), bad is not valid;
// every call must carry the method's ServiceAccountJWT.
func fakeKubeAPI(t *testing.T, saJWT, good, bad string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var reviews atomic.Int32
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+saJWT {
			http.Error(w, `{"kind":"Status","message":"Unauthorized"}`, http.StatusUnauthorized)
			return
		}
		switch {
		case r.Method == "POST" && r.URL.Path == "/apis/authentication.k8s.io/v1/tokenreviews":
			reviews.Add(1)
			var req struct {
				Kind string `json:"kind"`
				Spec struct {
					Token string `json:"token"`
				} `json:"spec"`
			}
			if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Kind != "TokenReview" {
				http.Error(w, "bad review", http.StatusBadRequest)
				return
			}
			status := map[string]any{"authenticated": false}
			switch req.Spec.Token {
			case good:
				status = map[string]any{"authenticated": true,
					"user": map[string]any{"username": "system:serviceaccount:default:web", "uid": "uid-1"}}
			case bad:
				status = map[string]any{"authenticated": false, "error": "token has expired"}
			}
			json.NewEncoder(w).Encode(map[string]any{"kind": "TokenReview", "status": status})
		case r.Method == "GET" && r.URL.Path == "/api/v1/namespaces/default/serviceaccounts/web":
			json.NewEncoder(w).Encode(map[string]any{"kind": "ServiceAccount", "metadata": map[string]any{
				"name": "web", "annotations": map[string]string{"consul.hashicorp.com/service-name": "web-svc"}}})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(ts.Close)
	return ts, &reviews
}

// TestLoginKubernetes: a login through a kubernetes method asks the API
// server (a real TLS exchange, checked against the method's CACert) to
// review the bearer token, reads the service account's annotation, and
// binds by the account's namespace and (annotated) name.
func TestLoginKubernetes(t *testing.T) {
	t.Parallel()
	ta, _, root := bootstrappedACLAgent(t)
	saJWT, good, bad, unknown := hs256JWT(t, "concord"), hs256JWT(t, "good"), hs256JWT(t, "bad"), hs256JWT(t, "unknown")
	kube, reviews := fakeKubeAPI(t, saJWT, good, bad)
	caPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: kube.Certificate().Raw}))
	if _, _, err := root.AuthMethodCreate(&consulapi.ACLAuthMethod{Name: "k8s", Type: "kubernetes", Config: map[string]any{
		"Host": kube.URL, "CACert": caPEM, "ServiceAccountJWT": saJWT}}, nil); err != nil {
		t.Fatalf("AuthMethodCreate(k8s) = %v", err)
	}
	if _, _, err := root.BindingRuleCreate(&consulapi.ACLBindingRule{AuthMethod: "k8s",
		Selector: `serviceaccount.namespace == "default"`, BindType: "service", BindName: "${serviceaccount.name}"}, nil); err != nil {
		t.Fatalf("BindingRuleCreate = %v", err)
	}
	anon := aclClient(t, ta.HTTPAddr(), "")
	tok, _, err := anon.Login(&consulapi.ACLLoginParams{AuthMethod: "k8s", BearerToken: good}, nil)
	if err != nil {
		t.Fatalf("Login(good) = %v", err)
	}
	if tok.AuthMethod != "k8s" || len(tok.ServiceIdentities) != 1 || tok.ServiceIdentities[0].ServiceName != "web-svc" ||
		tok.ExpirationTime != nil || !tok.Local {
		t.Errorf("Login(good) = %+v; want the service identity web-svc, local, no expiry", tok)
	}
	_, _, err = anon.Login(&consulapi.ACLLoginParams{AuthMethod: "k8s", BearerToken: bad}, nil)
	wantACLError(t, "Login(bad)", err, http.StatusInternalServerError, "lookup failed: token has expired")
	_, _, err = anon.Login(&consulapi.ACLLoginParams{AuthMethod: "k8s", BearerToken: unknown}, nil)
	wantACLError(t, "Login(unknown)", err, http.StatusInternalServerError, "lookup failed: service account jwt not valid")
	_, _, err = anon.Login(&consulapi.ACLLoginParams{AuthMethod: "k8s", BearerToken: "plain"}, nil)
	wantACLError(t, "Login(not a JWT)", err, http.StatusInternalServerError, "failed to parse and validate JWT")
	if n := reviews.Load(); n != 3 {
		t.Errorf("the API server saw %d token reviews, want 3 (the malformed token is refused before)", n)
	}

	// A method whose CA does not sign the API server's certificate
	// cannot reach it.
	if _, _, err := root.AuthMethodCreate(&consulapi.ACLAuthMethod{Name: "k8s-wrong-ca", Type: "kubernetes", Config: map[string]any{
		"Host": kube.URL, "CACert": selfSignedPEM(t), "ServiceAccountJWT": saJWT}}, nil); err != nil {
		t.Fatalf("AuthMethodCreate(k8s-wrong-ca) = %v", err)
	}
	_, _, err = anon.Login(&consulapi.ACLLoginParams{AuthMethod: "k8s-wrong-ca", BearerToken: good}, nil)
	wantACLError(t, "Login(wrong CA)", err, http.StatusInternalServerError, "certificate")
}

// jwksServer is an httptest TLS server publishing iss's public key (with
// key ID kid) at /keys and an OIDC discovery document naming it.
func jwksServer(t *testing.T, iss *testutil.JWTIssuer, kid string) *httptest.Server {
	t.Helper()
	var ts *httptest.Server
	ts = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/keys":
			json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{iss.JWK(kid)}})
		case "/.well-known/openid-configuration":
			json.NewEncoder(w).Encode(map[string]string{"issuer": ts.URL, "jwks_uri": ts.URL + "/keys"})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(ts.Close)
	return ts
}

// TestLoginJWKSAndOIDC: a jwt method may take its keys from a JWKS URL or
// an OIDC provider's discovery document (fetched over TLS, checked
// against the configured CA); logins are checked against them, and with
// OIDC the token's issuer must be the provider.
func TestLoginJWKSAndOIDC(t *testing.T) {
	t.Parallel()
	ta, _, root := bootstrappedACLAgent(t)
	iss := testutil.NewJWTIssuer(t)
	ts := jwksServer(t, iss, "k1")
	caPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}))
	for _, m := range []consulapi.ACLAuthMethod{
		{Name: "jwks", Type: "jwt", Config: map[string]any{"JWKSURL": ts.URL + "/keys", "JWKSCACert": caPEM,
			"BoundIssuer": "https://ci.test", "ClaimMappings": map[string]string{"name": "name"}}},
		{Name: "oidc", Type: "jwt", Config: map[string]any{"OIDCDiscoveryURL": ts.URL, "OIDCDiscoveryCACert": caPEM,
			"BoundAudiences": []string{"concord"}, "ClaimMappings": map[string]string{"name": "name"}}},
	} {
		if _, _, err := root.AuthMethodCreate(&m, nil); err != nil {
			t.Fatalf("AuthMethodCreate(%s) = %v", m.Name, err)
		}
		if _, _, err := root.BindingRuleCreate(&consulapi.ACLBindingRule{AuthMethod: m.Name, BindType: "service",
			BindName: "${value.name}"}, nil); err != nil {
			t.Fatalf("BindingRuleCreate(%s) = %v", m.Name, err)
		}
	}
	// Without the server's CA, the keys cannot be fetched.
	_, _, err := root.AuthMethodCreate(&consulapi.ACLAuthMethod{Name: "no-ca", Type: "jwt",
		Config: map[string]any{"JWKSURL": ts.URL + "/keys"}}, nil)
	wantACLError(t, "AuthMethodCreate(JWKS without its CA)", err, http.StatusInternalServerError, "error checking JWKSURL: ")

	deploy := map[string]any{"name": "deploy"}
	now := time.Now()
	times := jwt.Claims{IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Hour))}
	anon := aclClient(t, ta.HTTPAddr(), "")
	login := func(method, bearer string) (*consulapi.ACLToken, error) {
		tok, _, err := anon.Login(&consulapi.ACLLoginParams{AuthMethod: method, BearerToken: bearer}, nil)
		return tok, err
	}
	jwksClaims := times
	jwksClaims.Issuer = "https://ci.test"
	if tok, err := login("jwks", iss.Sign(t, "k1", jwksClaims, deploy)); err != nil || len(tok.ServiceIdentities) != 1 ||
		tok.ServiceIdentities[0].ServiceName != "deploy" {
		t.Errorf("Login(jwks) = %+v, %v; want the service identity deploy", tok, err)
	}
	oidcClaims := times
	oidcClaims.Issuer, oidcClaims.Audience = ts.URL, jwt.Audience{"concord"}
	if tok, err := login("oidc", iss.Sign(t, "k1", oidcClaims, deploy)); err != nil || len(tok.ServiceIdentities) != 1 {
		t.Errorf("Login(oidc) = %+v, %v", tok, err)
	}
	other := testutil.NewJWTIssuer(t)
	_, err = login("jwks", other.Sign(t, "k1", jwksClaims, deploy))
	wantACLError(t, "Login(jwks, another key)", err, http.StatusInternalServerError, "no known key successfully validated the token signature")
	_, err = login("jwks", iss.Sign(t, "k2", jwksClaims, deploy))
	wantACLError(t, "Login(jwks, unknown kid)", err, http.StatusInternalServerError, "no known key successfully validated the token signature")
	wrongIss := oidcClaims
	wrongIss.Issuer = "https://evil.test"
	_, err = login("oidc", iss.Sign(t, "k1", wrongIss, deploy))
	wantACLError(t, "Login(oidc, another issuer)", err, http.StatusInternalServerError, "error validating signature")
	wrongAud := oidcClaims
	wrongAud.Audience = jwt.Audience{"other"}
	_, err = login("oidc", iss.Sign(t, "k1", wrongAud, deploy))
	wantACLError(t, "Login(oidc, another audience)", err, http.StatusInternalServerError, "aud claim does not match any bound audience")
}
