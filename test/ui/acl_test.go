package ui_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	consulapi "github.com/hashicorp/consul/api"

	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/testutil"
)

// managementSecret is the agent's acl.tokens.initial_management.
const managementSecret = "5d7f0c8e-2b1a-4c3d-9e8f-0a1b2c3d4e5f"

// TestUIWithACLs logs in to the UI of an agent with ACLs on and a default
// policy of deny: without a token the Tokens view says permission denied;
// with the management token it lists the tokens, one token's policies and
// a policy's rules; the token outlives a reload; an app's token reads its
// keys but not the tokens.
func TestUIWithACLs(t *testing.T) {
	a := testutil.StartAgent(t, "", func(c *config.Config) {
		c.UI = true
		c.ACL.Enabled = true
		c.ACL.DefaultPolicy = "deny"
		c.ACL.Tokens.InitialManagement = managementSecret
		c.ACL.Tokens.Agent = managementSecret // for the agent's own registration
	})
	admin, err := consulapi.NewClient(&consulapi.Config{Address: a.HTTPAddr(), Token: managementSecret})
	if err != nil {
		t.Fatal(err)
	}
	// The leader creates the management token once ACLs are up.
	var policy *consulapi.ACLPolicy
	testutil.Run(t, 10*time.Second, func(r *testutil.R) {
		policy, _, err = admin.ACL().PolicyCreate(&consulapi.ACLPolicy{Name: "web-kv", Description: "The web app's keys",
			Rules: `key_prefix "web/" { policy = "write" }`}, nil)
		if err != nil {
			r.Fatalf("create policy web-kv: %v", err)
		}
	})
	app, _, err := admin.ACL().TokenCreate(&consulapi.ACLToken{Description: "web app",
		Policies: []*consulapi.ACLTokenPolicyLink{{Name: "web-kv"}}}, nil)
	if err != nil {
		t.Fatalf("create the app's token: %v", err)
	}
	if _, err := admin.KV().Put(&consulapi.KVPair{Key: "web/greeting", Value: []byte("hello")}, nil); err != nil {
		t.Fatalf("put web/greeting: %v", err)
	}

	p := openBrowser(t, "http://"+a.HTTPAddr())
	step := steps(t, p)
	login := func(secret string) {
		p.t.Helper()
		p.do("log in", chromedp.SendKeys(chromedp.CSS("#token-input"), secret), chromedp.Click(chromedp.CSS("#token-login")))
		p.waitJS("the login to be done", fmt.Sprintf(`document.querySelector('#token-who')?.textContent === %q`,
			"Token …"+secret[len(secret)-4:]), 10*time.Second)
	}
	appRow := fmt.Sprintf(`tr[data-token=%q]`, app.AccessorID)

	step("denied without a token", func(t *testing.T) {
		p.do("open Tokens", chromedp.Navigate(p.base+"/ui/#/dc1/acl/tokens"))
		p.waitJS("a permission denied message", `[...document.querySelectorAll('#errors .error.denied')].some(e =>
			e.dataset.status === '403' && e.textContent.startsWith('Permission denied: GET /v1/acl/tokens') &&
			e.textContent.includes('Log in with a token'))`, 10*time.Second)
		p.screenshot("acl-denied")
	})

	step("log in with the management token", func(t *testing.T) {
		login(managementSecret)
		p.waitJS("the tokens, the app's among them", fmt.Sprintf(`(row => row?.textContent.includes('web app') &&
			row.textContent.includes('web-kv') && !document.querySelector('#errors .error'))(document.querySelector(%q))`, appRow),
			10*time.Second)
		if got := eval[string](p, `localStorage.getItem('concord.token')`); got != managementSecret {
			t.Errorf("localStorage concord.token = %q, want the management token", got)
		}
		if got := eval[string](p, `document.querySelector('#token-input').hidden + ' ' + document.querySelector('#token-logout').hidden`); got != "true false" {
			t.Errorf("after login, field hidden / logout hidden = %s, want true false", got)
		}
		p.screenshot("tokens")
	})

	step("a token", func(t *testing.T) {
		p.do("open the app's token", chromedp.Click(chromedp.CSS(appRow+" a")))
		p.waitJS("its fields and policy", fmt.Sprintf(`location.hash === %q &&
			document.querySelector('#token-facts')?.textContent.includes('web app') &&
			document.querySelector('#token-policies')?.textContent === 'web-kv'`, "#/dc1/acl/tokens/"+app.AccessorID), 10*time.Second)
		if got := eval[string](p, `document.querySelector('#token-secret').textContent`); strings.Contains(got, app.SecretID) {
			t.Errorf("the SecretID is shown before it is asked for")
		}
		p.do("reveal the secret", chromedp.Click(chromedp.CSS("#token-reveal")))
		p.waitJS("the SecretID", fmt.Sprintf(`document.querySelector('#token-secret').textContent === %q`, app.SecretID), 10*time.Second)
		p.screenshot("token")
	})

	step("a policy", func(t *testing.T) {
		p.do("open web-kv", chromedp.Click(chromedp.CSS("#token-policies a")))
		p.waitJS("its rules and the token using it", fmt.Sprintf(`location.hash === %q &&
			document.querySelector('h1')?.textContent === 'web-kv' &&
			document.querySelector('#policy-rules-text')?.textContent.includes('key_prefix "web/"') &&
			document.querySelector('section[aria-labelledby="policy-tokens"]')?.textContent.includes(%q)`,
			"#/dc1/acl/policies/"+policy.ID, app.AccessorID), 10*time.Second)
		p.screenshot("policy")

		p.do("open Policies", chromedp.Click(chromedp.CSS(`nav a[data-nav="policies"]`)))
		p.waitJS("the built-in policy and web-kv", `document.querySelector('tr[data-policy="global-management"]') &&
			document.querySelector('tr[data-policy="web-kv"]')?.textContent.includes("The web app's keys")`, 10*time.Second)
		p.screenshot("policies")
	})

	step("the token outlives a reload", func(t *testing.T) {
		p.do("reload", chromedp.Reload())
		p.waitJS("the policies, read with the stored token", `document.querySelector('tr[data-policy="web-kv"]') &&
			document.querySelector('#token-logout') && !document.querySelector('#token-logout').hidden`, 10*time.Second)
	})

	step("an app's token", func(t *testing.T) {
		p.do("log out", chromedp.Click(chromedp.CSS("#token-logout")))
		p.waitJS("the field back", `!document.querySelector('#token-input').hidden && localStorage.getItem('concord.token') === null`,
			10*time.Second)
		login(app.SecretID)
		p.waitJS("policies denied to the app", `[...document.querySelectorAll('#errors .error.denied')].some(e =>
			e.textContent.startsWith('Permission denied: GET /v1/acl/policies') && e.textContent.includes('does not allow'))`,
			10*time.Second)
		p.goTo("#/dc1/kv/web/greeting")
		p.waitJS("the app's key", `document.querySelector('#kv-value')?.textContent === 'hello'`, 10*time.Second)
	})

	step("an unknown token is refused", func(t *testing.T) {
		p.do("log out", chromedp.Click(chromedp.CSS("#token-logout")))
		p.do("log in with a made-up token", chromedp.SendKeys(chromedp.CSS("#token-input"), "00000000-1111-2222-3333-444444444444"),
			chromedp.Click(chromedp.CSS("#token-login")))
		p.waitJS("the refusal", `[...document.querySelectorAll('#errors .error')].some(e => e.textContent.includes('does not know this token')) &&
			localStorage.getItem('concord.token') === null`, 10*time.Second)
	})
}

// steps returns a function that runs one named step of a browser test on
// p: it fails on console errors, and a failed step stops the test, as
// later steps build on it.
func steps(t *testing.T, p *page) func(name string, fn func(t *testing.T)) {
	return func(name string, fn func(t *testing.T)) {
		ok := t.Run(name, func(t *testing.T) {
			p.t = t
			defer p.checkConsole()
			fn(t)
		})
		p.t = t
		if !ok {
			t.FailNow()
		}
	}
}
