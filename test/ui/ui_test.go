// Package ui_test drives the web UI in a real headless Chromium (Debian's
// chromium package, which .ci/run installs) through chromedp, against an
// in-process agent with registered services, nodes, keys and sessions. It
// saves a screenshot of each view to $CONCORD_ARTIFACTS, or test/ui/artifacts.
package ui_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	consulapi "github.com/hashicorp/consul/api"

	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/testutil"
)

const chromiumPath = "/usr/bin/chromium"

// stepTimeout bounds one browser step: a click, typing, a screenshot.
const stepTimeout = 10 * time.Second

// page is one browser tab on the UI of one agent.
type page struct {
	t         *testing.T
	ctx       context.Context // the tab; derive a timeout for each step
	base      string          // http://host:port of the agent
	artifacts string          // where screenshots go

	mu       sync.Mutex
	problems []string // uncaught exceptions and console errors of the page; guarded by mu
}

// openBrowser starts Chromium with a fresh profile and returns a tab. It
// skips the test when Chromium is missing, unless CONCORD_REQUIRE_CHROMIUM=1.
func openBrowser(t *testing.T, base string) *page {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CONCORD_REQUIRE_CHROMIUM") == "1" {
			t.Fatalf("CONCORD_REQUIRE_CHROMIUM=1 but %s is missing: %v", chromiumPath, err)
		}
		t.Skipf("%s not installed (apt-get install chromium); set CONCORD_REQUIRE_CHROMIUM=1 to fail instead", chromiumPath)
	}
	profile := t.TempDir() // created first, so it is removed after Chromium exits
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 860),
	)
	tabCtx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf), chromedp.WithErrorf(t.Logf))
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for the browser to exit
	})

	p := &page{t: t, ctx: tabCtx, base: base, artifacts: artifactsDir(t)}
	// The first action starts the browser; it must not run under a timeout,
	// which would end the browser with it. A watchdog bounds it instead.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(tabCtx, chromedp.Navigate("about:blank")) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("cannot start %s: %v", chromiumPath, err)
		}
	case <-time.After(30 * time.Second):
		cancelTab()
		t.Fatalf("%s did not start within 30s", chromiumPath)
	}
	messages := chromedp.Console(tabCtx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || (m.Type == chromedp.ConsoleError && m.Source == "") {
				p.mu.Lock()
				p.problems = append(p.problems, m.String())
				p.mu.Unlock()
			}
		}
	}()
	return p
}

// artifactsDir is $CONCORD_ARTIFACTS, or artifacts/ next to this file.
func artifactsDir(t *testing.T) string {
	dir := os.Getenv("CONCORD_ARTIFACTS")
	if dir == "" {
		dir = "artifacts"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("cannot create artifacts dir: %v", err)
	}
	return dir
}

// do runs browser steps, bounded by stepTimeout.
func (p *page) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.fail("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](p *page, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.fail("evaluate %s: %v", expr, err)
	}
	return v
}

// waitJS waits until the JavaScript expression is truthy, at most timeout,
// and returns how long that took.
func (p *page) waitJS(what, expr string, timeout time.Duration) time.Duration {
	p.t.Helper()
	start := time.Now()
	ctx, cancel := context.WithTimeout(p.ctx, timeout+time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(25*time.Millisecond)))
	if err != nil {
		p.fail("waiting %v for %s: %v", timeout, what, err)
	}
	return time.Since(start)
}

// goTo switches the UI to a view, as following a link would.
func (p *page) goTo(hash string) {
	p.t.Helper()
	eval[bool](p, "location.hash = "+strconv.Quote(hash)+", true")
}

// clear empties a text field as a user selecting all and deleting would,
// input event included.
func (p *page) clear(selector string) {
	p.t.Helper()
	eval[bool](p, fmt.Sprintf(`(el => { el.value = ''; el.dispatchEvent(new Event('input', {bubbles: true})); return true })(document.querySelector(%q))`, selector))
}

// screenshot saves the whole page as name.png in the artifacts directory.
func (p *page) screenshot(name string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(p.artifacts, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatalf("cannot save screenshot: %v", err)
	}
}

// fail stops the test with what the page shows, and saves a screenshot.
func (p *page) fail(format string, args ...any) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 3*time.Second)
	defer cancel()
	shown, _ := chromedp.Run(ctx, chromedp.Evaluate[string](
		"location.hash + '\\n' + (document.querySelector('.page')?.innerText ?? '')"))
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		os.WriteFile(filepath.Join(p.artifacts, "failure-"+sanitize(p.t.Name())+".png"), png, 0o644)
	}
	p.t.Fatalf(format+"\npage shows:\n%s", append(args, shown)...)
}

// checkConsole fails the test if the page threw or logged an error.
func (p *page) checkConsole() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range p.problems {
		p.t.Errorf("browser console: %s", m)
	}
	p.problems = nil
}

func sanitize(name string) string {
	return strings.NewReplacer("/", "_", " ", "_").Replace(name)
}

// fixture is what the test registers before opening the UI.
type fixture struct {
	node     string // the agent's node name
	deployID string // session "deploy-lock", which holds service/db/leader
	leaderID string // session "leader-election"
}

func register(t *testing.T, c *consulapi.Client, node string) fixture {
	t.Helper()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	ttl := func(id, name, status string) *consulapi.AgentServiceCheck {
		return &consulapi.AgentServiceCheck{CheckID: id, Name: name, TTL: "10m", Status: status}
	}
	agent := c.Agent()
	must("register web-1", agent.ServiceRegister(&consulapi.AgentServiceRegistration{
		ID: "web-1", Name: "web", Port: 8080, Tags: []string{"v1", "primary"}, Check: ttl("web-1-ttl", "web-1 heartbeat", "passing")}))
	must("register web-2", agent.ServiceRegister(&consulapi.AgentServiceRegistration{
		ID: "web-2", Name: "web", Port: 8081, Tags: []string{"v1"}, Check: ttl("web-2-ttl", "web-2 heartbeat", "passing")}))
	must("register db", agent.ServiceRegister(&consulapi.AgentServiceRegistration{
		ID: "db", Name: "db", Port: 5432, Tags: []string{"postgres"}, Check: ttl("db-ttl", "replication", "passing")}))
	must("register cache", agent.ServiceRegister(&consulapi.AgentServiceRegistration{
		ID: "cache", Name: "cache", Port: 6379, Tags: []string{"redis"}}))
	must("pass web-1", agent.UpdateTTL("web-1-ttl", "heartbeat ok", consulapi.HealthPassing))
	must("warn db", agent.UpdateTTL("db-ttl", "replication lag 4s", consulapi.HealthWarning))
	_, err := c.Catalog().Register(&consulapi.CatalogRegistration{
		Node: "edge-1", Address: "10.0.4.21", NodeMeta: map[string]string{"rack": "r2"},
		Service: &consulapi.AgentService{ID: "payments-1", Service: "payments", Port: 9090, Tags: []string{"v2"}},
		Check: &consulapi.AgentCheck{Node: "edge-1", CheckID: "edge-1-ping", Name: "ping", Status: consulapi.HealthPassing,
			Output: "PING ok, 0.4 ms"},
	}, nil)
	must("register edge-1", err)

	kv := c.KV()
	for key, value := range map[string]string{
		"app/config/color":   "blue",
		"app/config/limits":  `{"max_conns":100,"timeouts":{"read":"5s","write":"10s"}}`,
		"app/feature-flags/": "",
		"app/README":         "Settings of the app, read at start.",
	} {
		_, err := kv.Put(&consulapi.KVPair{Key: key, Value: []byte(value)}, nil)
		must("put "+key, err)
	}

	s := c.Session()
	f := fixture{node: node}
	f.deployID, _, err = s.Create(&consulapi.SessionEntry{Name: "deploy-lock", Node: node, TTL: "10m"}, nil)
	must("create session deploy-lock", err)
	f.leaderID, _, err = s.Create(&consulapi.SessionEntry{Name: "leader-election", Node: node, Behavior: "delete"}, nil)
	must("create session leader-election", err)
	ok, _, err := kv.Acquire(&consulapi.KVPair{Key: "service/db/leader", Value: []byte(node), Session: f.deployID}, nil)
	if err != nil || !ok {
		t.Fatalf("acquire service/db/leader = %v, %v; want true", ok, err)
	}
	return f
}

// TestUI walks through every view in one browser, one step after another,
// against one agent.
func TestUI(t *testing.T) {
	a := testutil.StartAgent(t, "", func(c *config.Config) { c.UI = true })
	client, err := consulapi.NewClient(&consulapi.Config{Address: a.HTTPAddr()})
	if err != nil {
		t.Fatal(err)
	}
	f := register(t, client, a.Config.NodeName)
	p := openBrowser(t, "http://"+a.HTTPAddr())
	step := func(name string, fn func(t *testing.T)) {
		ok := t.Run(name, func(t *testing.T) {
			p.t = t
			defer p.checkConsole()
			fn(t)
		})
		p.t = t
		if !ok {
			t.FailNow() // later steps build on this one
		}
	}

	step("services", func(t *testing.T) {
		// "/" redirects to /ui/, which opens on the Services view.
		p.do("open the agent's root", chromedp.Navigate(p.base+"/"))
		p.waitJS("the services list", `location.pathname === '/ui/' && location.hash === '#/dc1/services' &&
			document.querySelectorAll('tr[data-service]').length === 5`, 5*time.Second)
		p.waitJS("web to have 2 passing instances", `(() => {
			const row = document.querySelector('tr[data-service="web"]');
			return row?.querySelector('.health')?.dataset.status === 'passing' &&
				row.querySelector('td.num').textContent === '2' && row.textContent.includes('primary');
		})()`, 3*time.Second)
		// cache has no checks of its own: its health is its node's.
		p.waitJS("db to be warning and cache passing", `
			document.querySelector('tr[data-service="db"] .health')?.dataset.status === 'warning' &&
			document.querySelector('tr[data-service="cache"] .health')?.dataset.status === 'passing'`, 3*time.Second)
		if got := eval[string](p, `document.querySelector('#dc-select').value`); got != "dc1" {
			t.Errorf("datacenter selector shows %q, want dc1", got)
		}
		if got := eval[string](p, `document.querySelector('[aria-current="page"]')?.textContent`); got != "Services" {
			t.Errorf("current nav item = %q, want Services", got)
		}
		p.screenshot("services")

		p.do("filter by tag", chromedp.SendKeys(chromedp.CSS("#service-filter"), "postgres"))
		p.waitJS("only db to match", `[...document.querySelectorAll('tr[data-service]')].map(r => r.dataset.service).join() === 'db'`,
			2*time.Second)
		p.clear("#service-filter")
		p.do("filter by name", chromedp.SendKeys(chromedp.CSS("#service-filter"), "we"))
		p.waitJS("only web to match", `[...document.querySelectorAll('tr[data-service]')].map(r => r.dataset.service).join() === 'web'`,
			2*time.Second)
	})

	step("service", func(t *testing.T) {
		p.do("open web", chromedp.Click(chromedp.CSS(`tr[data-service="web"] a`)))
		p.waitJS("web's two instances with address and checks", `
			location.hash === '#/dc1/services/web' &&
			document.querySelector('[data-instance="web-1"]')?.textContent.includes('127.0.0.1:8080') &&
			document.querySelector('[data-instance="web-2"]')?.textContent.includes('127.0.0.1:8081') &&
			document.querySelector('[data-instance="web-1"] tr[data-check="web-1-ttl"]')?.textContent.includes('heartbeat ok')`,
			3*time.Second)
		p.screenshot("service")
	})

	step("check turns critical", func(t *testing.T) {
		start := time.Now()
		if err := client.Agent().UpdateTTL("web-1-ttl", "disk full", consulapi.HealthCritical); err != nil {
			t.Fatalf("fail web-1-ttl: %v", err)
		}
		p.waitJS("web-1's check to show critical", `(() => {
			const row = document.querySelector('[data-instance="web-1"] tr[data-check="web-1-ttl"]');
			return row?.querySelector('[data-status]')?.dataset.status === 'critical' && row.textContent.includes('disk full');
		})()`, 2*time.Second)
		t.Logf("service page showed the critical check %v after the API call", time.Since(start).Round(time.Millisecond))
		p.screenshot("service-critical")

		p.do("back to services", chromedp.Click(chromedp.CSS(`nav a[data-nav="services"]`)))
		p.waitJS("web's health to be critical in the list", `document.querySelector('tr[data-service="web"] .health')?.dataset.status === 'critical'`,
			3*time.Second)
		start = time.Now()
		if err := client.Agent().UpdateTTL("web-1-ttl", "recovered", consulapi.HealthPassing); err != nil {
			t.Fatalf("pass web-1-ttl: %v", err)
		}
		p.waitJS("web's health to be passing again in the list", `document.querySelector('tr[data-service="web"] .health')?.dataset.status === 'passing'`,
			2*time.Second)
		t.Logf("services list showed the recovery %v after the API call", time.Since(start).Round(time.Millisecond))
	})

	step("nodes", func(t *testing.T) {
		p.do("open Nodes", chromedp.Click(chromedp.CSS(`nav a[data-nav="nodes"]`)))
		p.waitJS("both nodes with their services", fmt.Sprintf(`
			document.querySelector('tr[data-node="edge-1"]')?.textContent.includes('10.0.4.21') &&
			document.querySelector('tr[data-node="edge-1"]')?.textContent.includes('payments') &&
			document.querySelector('tr[data-node=%q]')?.textContent.includes('web')`, f.node), 3*time.Second)
		p.screenshot("nodes")

		p.do("open the agent's node", chromedp.Click(chromedp.CSS(fmt.Sprintf(`tr[data-node=%q] th a`, f.node))))
		p.waitJS("the node's checks, services and sessions", `
			document.querySelector('#node-checks')?.parentElement.querySelector('tr[data-check="db-ttl"]')?.textContent.includes('replication lag 4s') &&
			document.querySelector('#node-services')?.parentElement.textContent.includes('127.0.0.1:5432') &&
			document.querySelectorAll('section[aria-labelledby="node-sessions"] tr[data-session]').length === 2`, 3*time.Second)
		p.screenshot("node")
	})

	step("key/value", func(t *testing.T) {
		kv := client.KV()
		value := func(key string) string {
			t.Helper()
			pair, _, err := kv.Get(key, nil)
			if err != nil {
				t.Fatalf("KV get %s: %v", key, err)
			}
			if pair == nil {
				return "<missing>"
			}
			return string(pair.Value)
		}

		p.do("open Key/Value", chromedp.Click(chromedp.CSS(`nav a[data-nav="kv"]`)))
		p.waitJS("the root folders", `document.querySelector('li[data-key="app/"]') && document.querySelector('li[data-key="service/"]')`,
			3*time.Second)
		p.do("open app/", chromedp.Click(chromedp.CSS(`li[data-key="app/"] a`)))
		p.waitJS("app/'s folders and keys", `document.querySelector('li[data-key="app/config/"]') &&
			document.querySelector('li[data-key="app/feature-flags/"]') && document.querySelector('li[data-key="app/README"]')`,
			3*time.Second)
		p.screenshot("kv-folder")

		// Create a key.
		p.do("create app/greeting",
			chromedp.Click(chromedp.CSS("#kv-create")),
			chromedp.SendKeys(chromedp.CSS("#kv-new-name"), "greeting"),
			chromedp.SendKeys(chromedp.CSS("#kv-new-value"), "hello"),
			chromedp.Click(chromedp.CSS("#kv-create-save")))
		p.waitJS("the new key's page", `location.hash === '#/dc1/kv/app/greeting' &&
			document.querySelector('#kv-value')?.textContent === 'hello'`, 3*time.Second)
		if got := value("app/greeting"); got != "hello" {
			t.Fatalf("after create, app/greeting = %q through the API, want hello", got)
		}

		// Edit it.
		p.do("edit app/greeting", chromedp.Click(chromedp.CSS("#kv-edit")))
		p.clear("#kv-edit-value")
		p.do("type and save",
			chromedp.SendKeys(chromedp.CSS("#kv-edit-value"), "hello, world"),
			chromedp.Click(chromedp.CSS("#kv-save")))
		p.waitJS("the edited value", `document.querySelector('#kv-edit-form').hidden &&
			document.querySelector('#kv-value')?.textContent === 'hello, world'`, 3*time.Second)
		if got := value("app/greeting"); got != "hello, world" {
			t.Fatalf("after edit, app/greeting = %q through the API, want %q", got, "hello, world")
		}
		p.screenshot("kv-key")

		// A change made elsewhere while the form is open is not overwritten.
		p.do("start editing", chromedp.Click(chromedp.CSS("#kv-edit")))
		if _, err := kv.Put(&consulapi.KVPair{Key: "app/greeting", Value: []byte("changed elsewhere")}, nil); err != nil {
			t.Fatalf("put app/greeting: %v", err)
		}
		p.waitJS("the form to warn that the key changed", `!document.querySelector('#kv-edit-changed').hidden`, 3*time.Second)
		p.clear("#kv-edit-value")
		p.do("save a stale edit",
			chromedp.SendKeys(chromedp.CSS("#kv-edit-value"), "stale edit"),
			chromedp.Click(chromedp.CSS("#kv-save")))
		p.waitJS("the CAS error", `!document.querySelector('#kv-edit-error').hidden &&
			document.querySelector('#kv-edit-error').textContent.startsWith('Not saved')`, 3*time.Second)
		if got := value("app/greeting"); got != "changed elsewhere" {
			t.Fatalf("after a stale save, app/greeting = %q through the API, want %q (not overwritten)", got, "changed elsewhere")
		}
		p.screenshot("kv-conflict")
		p.do("cancel the edit", chromedp.Click(chromedp.CSS("#kv-cancel")))
		p.waitJS("the current value", `document.querySelector('#kv-value')?.textContent === 'changed elsewhere'`, 3*time.Second)

		// Delete it.
		p.do("delete app/greeting", chromedp.Click(chromedp.CSS("#kv-delete")), chromedp.Click(chromedp.CSS(".confirm button.danger")))
		p.waitJS("the folder after delete", `location.hash === '#/dc1/kv/app/' && document.querySelector('li[data-key="app/config/"]') &&
			!document.querySelector('li[data-key="app/greeting"]')`, 3*time.Second)
		if got := value("app/greeting"); got != "<missing>" {
			t.Fatalf("after delete, app/greeting = %q through the API, want it gone", got)
		}

		// Create a folder and delete it with what is in it.
		p.do("create app/drafts/",
			chromedp.Click(chromedp.CSS("#kv-create")),
			chromedp.SendKeys(chromedp.CSS("#kv-new-name"), "drafts/"),
			chromedp.Click(chromedp.CSS("#kv-create-save")))
		p.waitJS("the new folder", `location.hash === '#/dc1/kv/app/drafts/' && document.querySelector('.empty')`, 3*time.Second)
		if _, err := kv.Put(&consulapi.KVPair{Key: "app/drafts/one", Value: []byte("1")}, nil); err != nil {
			t.Fatalf("put app/drafts/one: %v", err)
		}
		p.waitJS("the key added through the API", `document.querySelector('li[data-key="app/drafts/one"]')`, 3*time.Second)
		p.do("delete app/drafts/", chromedp.Click(chromedp.CSS("#kv-delete-folder")), chromedp.Click(chromedp.CSS(".confirm button.danger")))
		p.waitJS("app/ after deleting the folder", `location.hash === '#/dc1/kv/app/' && document.querySelector('li[data-key="app/config/"]') &&
			!document.querySelector('li[data-key="app/drafts/"]')`, 3*time.Second)
		if keys, _, err := kv.Keys("app/drafts/", "", nil); err != nil || len(keys) != 0 {
			t.Fatalf("after deleting the folder, keys under app/drafts/ = %q, %v; want none", keys, err)
		}

		// A JSON value is shown indented, and as text on request.
		p.goTo("#/dc1/kv/app/config/limits")
		p.waitJS("the JSON value", `document.querySelector('#kv-mode-json')?.checked &&
			document.querySelector('#kv-value')?.textContent.includes('\n  "max_conns": 100')`, 3*time.Second)
		p.screenshot("kv-json")
		p.do("show as text", chromedp.Click(chromedp.CSS(`label[for="kv-mode-text"]`)))
		p.waitJS("the raw value", `document.querySelector('#kv-value')?.textContent.startsWith('{"max_conns":100,')`, 2*time.Second)
	})

	step("sessions", func(t *testing.T) {
		p.do("open Sessions", chromedp.Click(chromedp.CSS(`nav a[data-nav="sessions"]`)))
		p.waitJS("both sessions", `document.querySelectorAll('tr[data-session]').length === 2`, 3*time.Second)
		eval[bool](p, fmt.Sprintf(`(s => { s.value = %q; s.dispatchEvent(new Event('change')); return true })(document.querySelector('#session-node'))`, f.node))
		p.waitJS("the node's sessions", fmt.Sprintf(`location.hash === %q && document.querySelectorAll('tr[data-session]').length === 2`,
			"#/dc1/sessions/"+f.node), 3*time.Second)
		p.screenshot("sessions")

		row := fmt.Sprintf(`tr[data-session=%q]`, f.deployID)
		p.do("invalidate deploy-lock",
			chromedp.Click(chromedp.CSS(row+` button[aria-label="Invalidate session deploy-lock"]`)),
			chromedp.Click(chromedp.CSS(row+` button.danger`)))
		p.waitJS("deploy-lock to be gone", fmt.Sprintf(`!document.querySelector(%q) && document.querySelectorAll('tr[data-session]').length === 1 &&
			document.querySelector('#status').textContent.includes('deploy-lock')`, row), 3*time.Second)
		if s, _, err := client.Session().Info(f.deployID, nil); err != nil || s != nil {
			t.Fatalf("after invalidate, session info = %+v, %v; want none", s, err)
		}
		if pair, _, err := client.KV().Get("service/db/leader", nil); err != nil || pair == nil || pair.Session != "" {
			t.Fatalf("service/db/leader after invalidating its holder = %+v, %v; want it released", pair, err)
		}
	})

	step("API errors are shown", func(t *testing.T) {
		p.goTo("#/elsewhere/services")
		p.waitJS("the agent's error", `[...document.querySelectorAll('#errors .error')].some(e => e.textContent.includes('No path to datacenter'))`,
			3*time.Second)
		p.screenshot("error")
	})
}
