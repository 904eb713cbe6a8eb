package httpapi_test

// End-to-end tests of the agent endpoints (/v1/agent/service/*,
// /v1/agent/check/*, /v1/agent/health/*, maintenance): a real agent, the
// official Consul client, and real HTTP, TCP, UDP and gRPC servers for the
// checks to probe. Anti-entropy pushes local changes to the catalog at
// once, so the catalog side is polled with testutil.Run, never slept for.

import (
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	consulapi "github.com/hashicorp/consul/api"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/local"
	"github.com/concordhq/concord/internal/testutil"
)

// syncWait bounds every wait for anti-entropy or a check runner. Syncs
// take milliseconds; probes run within one interval (1s here).
const syncWait = 10 * time.Second

// mustRegisterService registers reg through the agent API.
func mustRegisterService(t *testing.T, c *consulapi.Client, reg *consulapi.AgentServiceRegistration) {
	t.Helper()
	if err := c.Agent().ServiceRegister(reg); err != nil {
		t.Fatalf("Agent.ServiceRegister(%s): %v", reg.Name, err)
	}
}

// mustRegisterCheck registers reg through the agent API.
func mustRegisterCheck(t *testing.T, c *consulapi.Client, reg *consulapi.AgentCheckRegistration) {
	t.Helper()
	if err := c.Agent().CheckRegister(reg); err != nil {
		t.Fatalf("Agent.CheckRegister(%s): %v", reg.Name, err)
	}
}

// agentChecks returns the agent's checks, failing the test on error.
func agentChecks(t *testing.T, c *consulapi.Client) map[string]*consulapi.AgentCheck {
	t.Helper()
	checks, err := c.Agent().Checks()
	if err != nil {
		t.Fatalf("Agent.Checks: %v", err)
	}
	return checks
}

// waitAgentCheck waits until the agent's check id has status and an output
// containing output, and returns it.
func waitAgentCheck(t *testing.T, c *consulapi.Client, id, status, output string) *consulapi.AgentCheck {
	t.Helper()
	var got *consulapi.AgentCheck
	testutil.Run(t, syncWait, func(r *testutil.R) {
		checks, err := c.Agent().Checks()
		if err != nil {
			r.Fatalf("Agent.Checks: %v", err)
		}
		got = checks[id]
		if got == nil || got.Status != status || !strings.Contains(got.Output, output) {
			r.Fatalf("Agent.Checks()[%q] = %s, want status %q with output containing %q", id, checkString(got), status, output)
		}
	})
	return got
}

// checkString shows the fields of an agent check that tests compare.
func checkString(c *consulapi.AgentCheck) string {
	if c == nil {
		return "<missing>"
	}
	return "{Status:" + c.Status + " Output:" + c.Output + " Notes:" + c.Notes + "}"
}

// checkIDsOf returns the sorted IDs of the agent's checks bound to serviceID.
func checkIDsOf(checks map[string]*consulapi.AgentCheck, serviceID string) []string {
	var ids []string
	for id, c := range checks {
		if c.ServiceID == serviceID {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// wantErrorCode fails unless err is a Consul client error for the HTTP
// status code (the client formats them "Unexpected response code: 400 (...)").
func wantErrorCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: err = nil, want a %s error", what, code)
	}
	if !strings.Contains(err.Error(), code) {
		t.Fatalf("%s: err = %v, want a %s error", what, err, code)
	}
}

func TestAgentServiceRegisterFields(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	meta := map[string]string{"build_id": "42", "team-name": "core", "UPPER_case": "x"}
	mustRegisterService(t, c, &consulapi.AgentServiceRegistration{
		ID: "web-1", Name: "web", Tags: []string{"v1", "prod"}, Address: "10.1.2.3", Port: 8080,
		Meta: meta, EnableTagOverride: true,
		Weights: &consulapi.AgentWeights{Passing: 10, Warning: 3},
		Check:   &consulapi.AgentServiceCheck{TTL: "5m", Status: consulapi.HealthPassing, Notes: "web notes"},
	})

	wantService := func(what string, s *consulapi.AgentService) {
		t.Helper()
		switch {
		case s == nil:
			t.Fatalf("%s = nil, want web-1", what)
		case s.ID != "web-1" || s.Service != "web" || s.Address != "10.1.2.3" || s.Port != 8080:
			t.Errorf("%s = ID %q Service %q Address %q Port %d, want web-1 web 10.1.2.3 8080", what, s.ID, s.Service, s.Address, s.Port)
		case !slices.Equal(s.Tags, []string{"v1", "prod"}):
			t.Errorf("%s.Tags = %q, want [v1 prod]", what, s.Tags)
		case !maps.Equal(s.Meta, meta):
			t.Errorf("%s.Meta = %v, want %v (keys as given)", what, s.Meta, meta)
		case !s.EnableTagOverride:
			t.Errorf("%s.EnableTagOverride = false, want true", what)
		case s.Weights != (consulapi.AgentWeights{Passing: 10, Warning: 3}):
			t.Errorf("%s.Weights = %+v, want {10 3}", what, s.Weights)
		case s.Datacenter != "dc1":
			t.Errorf("%s.Datacenter = %q, want dc1", what, s.Datacenter)
		}
	}
	services, err := c.Agent().Services()
	if err != nil {
		t.Fatalf("Agent.Services: %v", err)
	}
	wantService("Agent.Services()[web-1]", services["web-1"])
	one, _, err := c.Agent().Service("web-1", nil)
	if err != nil {
		t.Fatalf("Agent.Service(web-1): %v", err)
	}
	wantService("Agent.Service(web-1)", one)
	if _, _, err := c.Agent().Service("no-such-service", nil); err == nil {
		t.Errorf("Agent.Service(no-such-service): err = nil, want 404")
	}

	chk := agentChecks(t, c)["service:web-1"]
	switch {
	case chk == nil:
		t.Fatalf("Agent.Checks() has no service:web-1: %v", agentChecks(t, c))
	case chk.ServiceID != "web-1" || chk.ServiceName != "web" || chk.Name != "Service 'web' check":
		t.Errorf("check service:web-1 = ServiceID %q ServiceName %q Name %q, want web-1, web, \"Service 'web' check\"",
			chk.ServiceID, chk.ServiceName, chk.Name)
	case chk.Status != consulapi.HealthPassing || chk.Notes != "web notes" || chk.Type != "ttl":
		t.Errorf("check service:web-1 = Status %q Notes %q Type %q, want passing, \"web notes\", ttl", chk.Status, chk.Notes, chk.Type)
	}

	// The catalog gets the same instance, on the agent's node.
	list := waitCatalogServiceIDs(t, c, "web", "web-1")
	cs := list[0]
	switch {
	case cs.Node != ta.Config.NodeName:
		t.Errorf("Catalog.Service(web)[0].Node = %q, want the agent's node %q", cs.Node, ta.Config.NodeName)
	case cs.ServiceAddress != "10.1.2.3" || cs.ServicePort != 8080 || !slices.Equal(cs.ServiceTags, []string{"v1", "prod"}):
		t.Errorf("Catalog.Service(web)[0] = address %q port %d tags %q, want 10.1.2.3 8080 [v1 prod]", cs.ServiceAddress, cs.ServicePort, cs.ServiceTags)
	case !maps.Equal(cs.ServiceMeta, meta) || !cs.ServiceEnableTagOverride:
		t.Errorf("Catalog.Service(web)[0] = meta %v enable_tag_override %v, want %v true", cs.ServiceMeta, cs.ServiceEnableTagOverride, meta)
	}
	hc := waitCatalogCheck(t, c, ta.Config.NodeName, "service:web-1", consulapi.HealthPassing, "")
	if hc.ServiceID != "web-1" || hc.ServiceName != "web" || hc.Notes != "web notes" {
		t.Errorf("catalog check service:web-1 = ServiceID %q ServiceName %q Notes %q, want web-1 web \"web notes\"", hc.ServiceID, hc.ServiceName, hc.Notes)
	}
}

// TestAgentServiceWeightsInCatalog: Consul keeps a service's weights in
// the catalog (ServiceWeights, and Service.Weights in /v1/health/service),
// defaulting to {1 1}; DNS SRV answers and load balancers read them there.
func TestAgentServiceWeightsInCatalog(t *testing.T) {
	t.Parallel()
	_, c := startDevAgent(t)
	mustRegisterService(t, c, &consulapi.AgentServiceRegistration{
		ID: "heavy", Name: "weighted", Weights: &consulapi.AgentWeights{Passing: 10, Warning: 3},
	})
	mustRegisterService(t, c, &consulapi.AgentServiceRegistration{ID: "plain", Name: "weighted"})
	want := map[string]consulapi.Weights{"heavy": {Passing: 10, Warning: 3}, "plain": {Passing: 1, Warning: 1}}

	for _, s := range waitCatalogServiceIDs(t, c, "weighted", "heavy", "plain") {
		if s.ServiceWeights != want[s.ServiceID] {
			t.Errorf("Catalog.Service(weighted) %s: ServiceWeights = %+v, want %+v", s.ServiceID, s.ServiceWeights, want[s.ServiceID])
		}
	}
	entries, _, err := c.Health().Service("weighted", "", false, nil)
	if err != nil {
		t.Fatalf("Health.Service(weighted): %v", err)
	}
	for _, e := range entries {
		w := consulapi.Weights{Passing: e.Service.Weights.Passing, Warning: e.Service.Weights.Warning}
		if w != want[e.Service.ID] {
			t.Errorf("Health.Service(weighted) %s: Service.Weights = %+v, want %+v", e.Service.ID, e.Service.Weights, want[e.Service.ID])
		}
	}
}

// TestAgentServiceCheckIDs: checks inside a service registration get the
// IDs service:<id> (one check) or service:<id>:<n> (several, counting
// Check first, then Checks), unless they name their own.
func TestAgentServiceCheckIDs(t *testing.T) {
	t.Parallel()
	_, c := startDevAgent(t)
	ttl := func(id string) *consulapi.AgentServiceCheck {
		return &consulapi.AgentServiceCheck{CheckID: id, TTL: "5m"}
	}
	tests := []struct {
		name    string
		reg     consulapi.AgentServiceRegistration
		wantIDs []string
	}{
		{"Check alone", consulapi.AgentServiceRegistration{ID: "a", Name: "ids", Check: ttl("")},
			[]string{"service:a"}},
		{"one in Checks", consulapi.AgentServiceRegistration{ID: "b", Name: "ids", Checks: consulapi.AgentServiceChecks{ttl("")}},
			[]string{"service:b"}},
		{"two in Checks", consulapi.AgentServiceRegistration{ID: "c", Name: "ids", Checks: consulapi.AgentServiceChecks{ttl(""), ttl("")}},
			[]string{"service:c:1", "service:c:2"}},
		{"Check and Checks", consulapi.AgentServiceRegistration{ID: "d", Name: "ids", Check: ttl(""), Checks: consulapi.AgentServiceChecks{ttl(""), ttl("")}},
			[]string{"service:d:1", "service:d:2", "service:d:3"}},
		{"own CheckID kept", consulapi.AgentServiceRegistration{ID: "e", Name: "ids", Checks: consulapi.AgentServiceChecks{ttl("mine"), ttl("")}},
			[]string{"mine", "service:e:2"}},
		{"ID defaults to Name", consulapi.AgentServiceRegistration{Name: "named", Check: ttl("")},
			[]string{"service:named"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mustRegisterService(t, c, &tc.reg)
			id := tc.reg.ID
			if id == "" {
				id = tc.reg.Name
			}
			if got := checkIDsOf(agentChecks(t, c), id); !slices.Equal(got, tc.wantIDs) {
				t.Errorf("checks of service %q = %q, want %q", id, got, tc.wantIDs)
			}
		})
	}
}

// TestAgentServiceRegisterRawKeys sends registrations as python-consul and
// hand-written JSON do: lower-case keys and Consul's snake_case aliases.
func TestAgentServiceRegisterRawKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ta := testutil.StartAgent(t, dir, nil)
	c := newConsulClient(t, ta.HTTPAddr(), nil)

	t.Run("snake_case", func(t *testing.T) {
		body := `{"id":"snake-1","name":"snake","tags":["a"],"port":9000,"enable_tag_override":true,
			"meta":{"my_key":"v","Other_Key":"w"},
			"check":{"check_id":"snake-check","name":"snake ttl","ttl":"5m","status":"passing",
				"deregister_critical_service_after":"90m"}}`
		r := doRaw(t, ta.HTTPAddr(), "PUT", "/v1/agent/service/register", strings.NewReader(body))
		wantStatus(t, "PUT /v1/agent/service/register (snake_case)", r, 200)
		if len(r.Body) != 0 {
			t.Errorf("PUT /v1/agent/service/register body = %q, want empty", r.Body)
		}
		svc, _, err := c.Agent().Service("snake-1", nil)
		if err != nil {
			t.Fatalf("Agent.Service(snake-1): %v", err)
		}
		if !svc.EnableTagOverride || svc.Port != 9000 || !slices.Equal(svc.Tags, []string{"a"}) {
			t.Errorf("Agent.Service(snake-1) = EnableTagOverride %v Port %d Tags %q, want true 9000 [a]", svc.EnableTagOverride, svc.Port, svc.Tags)
		}
		if want := map[string]string{"my_key": "v", "Other_Key": "w"}; !maps.Equal(svc.Meta, want) {
			t.Errorf("Agent.Service(snake-1).Meta = %v, want %v (user keys untouched)", svc.Meta, want)
		}
		chk := agentChecks(t, c)["snake-check"]
		if chk == nil || chk.ServiceID != "snake-1" || chk.Status != consulapi.HealthPassing || chk.Name != "snake ttl" {
			t.Fatalf("Agent.Checks()[snake-check] = %+v, want the service's passing TTL check named \"snake ttl\"", chk)
		}
		// DeregisterCriticalServiceAfter shows in no read endpoint; the
		// definition the agent saved for the check carries it.
		_, saved, err := local.LoadPersisted(dir)
		if err != nil {
			t.Fatalf("LoadPersisted: %v", err)
		}
		var def *api.AgentServiceCheck
		for _, pc := range saved {
			if pc.Check.CheckID == "snake-check" {
				def = pc.Definition
			}
		}
		if def == nil || def.DeregisterCriticalServiceAfter != "90m" || def.TTL != "5m" {
			t.Errorf("saved definition of snake-check = %+v, want TTL 5m and DeregisterCriticalServiceAfter 90m", def)
		}
	})

	t.Run("lower case", func(t *testing.T) {
		body := `{"name":"lower","port":1234,"tags":["x"],"address":"127.0.0.2","weights":{"passing":5,"warning":2},
			"checks":[{"name":"lower ttl","ttl":"5m","notes":"n1"},{"name":"lower ttl 2","ttl":"5m"}]}`
		r := doRaw(t, ta.HTTPAddr(), "PUT", "/v1/agent/service/register", strings.NewReader(body))
		wantStatus(t, "PUT /v1/agent/service/register (lower case)", r, 200)
		svc, _, err := c.Agent().Service("lower", nil)
		if err != nil {
			t.Fatalf("Agent.Service(lower): %v", err)
		}
		if svc.Service != "lower" || svc.Port != 1234 || svc.Address != "127.0.0.2" || svc.Weights != (consulapi.AgentWeights{Passing: 5, Warning: 2}) {
			t.Errorf("Agent.Service(lower) = %+v, want name lower, port 1234, address 127.0.0.2, weights {5 2}", svc)
		}
		checks := agentChecks(t, c)
		if got := checkIDsOf(checks, "lower"); !slices.Equal(got, []string{"service:lower:1", "service:lower:2"}) {
			t.Errorf("checks of lower = %q, want [service:lower:1 service:lower:2]", got)
		}
		if chk := checks["service:lower:1"]; chk == nil || chk.Notes != "n1" || chk.Name != "lower ttl" {
			t.Errorf("Agent.Checks()[service:lower:1] = %s, want Name \"lower ttl\" Notes n1", checkString(chk))
		}

		// A standalone check, snake_case, bound to the service.
		body = `{"name":"side","service_id":"lower","ttl":"5m","status":"warning"}`
		r = doRaw(t, ta.HTTPAddr(), "PUT", "/v1/agent/check/register", strings.NewReader(body))
		wantStatus(t, "PUT /v1/agent/check/register (snake_case)", r, 200)
		if chk := agentChecks(t, c)["side"]; chk == nil || chk.ServiceID != "lower" || chk.Status != consulapi.HealthWarning {
			t.Errorf("Agent.Checks()[side] = %+v, want a warning check of service lower", chk)
		}
		waitCatalogServiceIDs(t, c, "lower", "lower")
	})
}

// TestAgentServiceReplaceExistingChecks: re-registering a service keeps
// its other checks, unless ?replace-existing-checks, which drops every
// check of the service the new registration does not name.
func TestAgentServiceReplaceExistingChecks(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	node := ta.Config.NodeName
	ttl := func(id string) *consulapi.AgentServiceCheck {
		return &consulapi.AgentServiceCheck{CheckID: id, TTL: "5m", Status: consulapi.HealthPassing}
	}
	mustRegisterService(t, c, &consulapi.AgentServiceRegistration{
		ID: "rep", Name: "rep", Checks: consulapi.AgentServiceChecks{ttl("rep-a"), ttl("rep-b")},
	})
	mustRegisterCheck(t, c, &consulapi.AgentCheckRegistration{
		ID: "rep-c", Name: "rep c", ServiceID: "rep",
		AgentServiceCheck: consulapi.AgentServiceCheck{TTL: "5m", Status: consulapi.HealthPassing},
	})
	waitCatalogNodeChecks(t, c, node, "serfHealth", "rep-a", "rep-b", "rep-c")

	only := &consulapi.AgentServiceRegistration{ID: "rep", Name: "rep", Tags: []string{"v2"}, Checks: consulapi.AgentServiceChecks{ttl("rep-a")}}
	mustRegisterService(t, c, only)
	if got := checkIDsOf(agentChecks(t, c), "rep"); !slices.Equal(got, []string{"rep-a", "rep-b", "rep-c"}) {
		t.Fatalf("after re-register without replace, checks of rep = %q, want [rep-a rep-b rep-c]", got)
	}

	if err := c.Agent().ServiceRegisterOpts(only, consulapi.ServiceRegisterOpts{ReplaceExistingChecks: true}); err != nil {
		t.Fatalf("Agent.ServiceRegisterOpts(replace-existing-checks): %v", err)
	}
	if got := checkIDsOf(agentChecks(t, c), "rep"); !slices.Equal(got, []string{"rep-a"}) {
		t.Errorf("after replace-existing-checks, checks of rep = %q, want [rep-a]", got)
	}
	waitCatalogNodeChecks(t, c, node, "serfHealth", "rep-a")
	list := waitCatalogServiceIDs(t, c, "rep", "rep")
	testutil.Run(t, syncWait, func(r *testutil.R) {
		list, _, _ = c.Catalog().Service("rep", "", nil)
		if len(list) != 1 || !slices.Equal(list[0].ServiceTags, []string{"v2"}) {
			r.Fatalf("Catalog.Service(rep) = %d instances, want one tagged [v2]", len(list))
		}
	})
}

func TestAgentServiceDeregister(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	node := ta.Config.NodeName
	mustRegisterService(t, c, &consulapi.AgentServiceRegistration{
		ID: "gone", Name: "gone", Checks: consulapi.AgentServiceChecks{
			{TTL: "5m", Status: consulapi.HealthPassing}, {TTL: "5m"},
		},
	})
	mustRegisterService(t, c, &consulapi.AgentServiceRegistration{ID: "stays", Name: "stays", Check: &consulapi.AgentServiceCheck{TTL: "5m"}})
	mustRegisterCheck(t, c, &consulapi.AgentCheckRegistration{Name: "node-level", AgentServiceCheck: consulapi.AgentServiceCheck{TTL: "5m"}})
	waitCatalogServiceIDs(t, c, "gone", "gone")
	waitCatalogNodeChecks(t, c, node, "serfHealth", "service:gone:1", "service:gone:2", "service:stays", "node-level")

	if err := c.Agent().ServiceDeregister("gone"); err != nil {
		t.Fatalf("Agent.ServiceDeregister(gone): %v", err)
	}
	services, err := c.Agent().Services()
	if err != nil {
		t.Fatalf("Agent.Services: %v", err)
	}
	if _, ok := services["gone"]; ok || services["stays"] == nil {
		t.Errorf("Agent.Services() after deregister = %v, want stays only", services)
	}
	if got := checkIDsOf(agentChecks(t, c), "gone"); len(got) != 0 {
		t.Errorf("agent checks of gone after deregister = %q, want none", got)
	}
	waitCatalogServiceIDs(t, c, "gone")
	waitCatalogNodeChecks(t, c, node, "serfHealth", "service:stays", "node-level")
	if checks, _, _ := c.Health().Checks("gone", nil); len(checks) != 0 {
		t.Errorf("Health.Checks(gone) = %d checks, want none", len(checks))
	}

	wantErrorCode(t, "Agent.ServiceDeregister(gone) again", c.Agent().ServiceDeregister("gone"), "404")
	wantErrorCode(t, "Agent.CheckDeregister(no-such-check)", c.Agent().CheckDeregister("no-such-check"), "404")

	if err := c.Agent().CheckDeregister("node-level"); err != nil {
		t.Fatalf("Agent.CheckDeregister(node-level): %v", err)
	}
	waitCatalogNodeChecks(t, c, node, "serfHealth", "service:stays")
}

// TestAgentCheckTTLUpdates drives a TTL check through the legacy
// pass/warn/fail endpoints and the newer update endpoint; each result, and
// the check's notes, must show on the agent at once and in the catalog
// soon after.
func TestAgentCheckTTLUpdates(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	mustRegisterService(t, c, &consulapi.AgentServiceRegistration{ID: "ttl-svc", Name: "ttl-svc"})
	mustRegisterCheck(t, c, &consulapi.AgentCheckRegistration{
		ID: "ttl-1", Name: "ttl one", Notes: "the notes", ServiceID: "ttl-svc",
		AgentServiceCheck: consulapi.AgentServiceCheck{TTL: "5m"},
	})
	if chk := agentChecks(t, c)["ttl-1"]; chk == nil || chk.Status != consulapi.HealthCritical {
		t.Fatalf("new TTL check = %s, want critical (Consul's default initial status)", checkString(chk))
	}

	steps := []struct {
		name   string
		update func() error
		status string
		output string
	}{
		{"PassTTL", func() error { return c.Agent().PassTTL("ttl-1", "pass note") }, consulapi.HealthPassing, "pass note"},
		{"WarnTTL", func() error { return c.Agent().WarnTTL("ttl-1", "warn note") }, consulapi.HealthWarning, "warn note"},
		{"FailTTL", func() error { return c.Agent().FailTTL("ttl-1", "fail note") }, consulapi.HealthCritical, "fail note"},
		{"UpdateTTL passing", func() error { return c.Agent().UpdateTTL("ttl-1", "updated output", consulapi.HealthPassing) }, consulapi.HealthPassing, "updated output"},
		{"UpdateTTL warn", func() error { return c.Agent().UpdateTTL("ttl-1", "legacy name", "warn") }, consulapi.HealthWarning, "legacy name"},
		{"UpdateTTL same status, new output", func() error { return c.Agent().UpdateTTL("ttl-1", "second output", "warning") }, consulapi.HealthWarning, "second output"},
	}
	for _, st := range steps {
		if err := st.update(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		chk := agentChecks(t, c)["ttl-1"]
		if chk == nil || chk.Status != st.status || chk.Output != st.output || chk.Notes != "the notes" {
			t.Fatalf("after %s, Agent.Checks()[ttl-1] = %s, want status %q output %q notes \"the notes\"", st.name, checkString(chk), st.status, st.output)
		}
		testutil.Run(t, syncWait, func(r *testutil.R) {
			list, _, err := c.Health().Checks("ttl-svc", nil)
			if err != nil {
				r.Fatalf("Health.Checks(ttl-svc): %v", err)
			}
			hc := findCheck(list, "ttl-1")
			if hc == nil || hc.Status != st.status || hc.Output != st.output || hc.Notes != "the notes" || hc.Name != "ttl one" {
				r.Fatalf("after %s, /v1/health/checks/ttl-svc ttl-1 = %+v, want status %q output %q notes \"the notes\"", st.name, hc, st.status, st.output)
			}
		})
	}

	r := doRaw(t, ta.HTTPAddr(), "PUT", "/v1/agent/check/update/ttl-1", strings.NewReader(`{"Status":"bogus"}`))
	wantStatus(t, "PUT /v1/agent/check/update/ttl-1 with a bad status", r, 400)
}

func TestAgentCheckTTLExpires(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	mustRegisterCheck(t, c, &consulapi.AgentCheckRegistration{
		ID: "short", Name: "short ttl", AgentServiceCheck: consulapi.AgentServiceCheck{TTL: "1s"},
	})
	if err := c.Agent().PassTTL("short", "alive"); err != nil {
		t.Fatalf("PassTTL(short): %v", err)
	}
	if chk := agentChecks(t, c)["short"]; chk == nil || chk.Status != consulapi.HealthPassing {
		t.Fatalf("after PassTTL, check short = %s, want passing", checkString(chk))
	}
	waitAgentCheck(t, c, "short", consulapi.HealthCritical, "TTL expired")
	waitCatalogCheck(t, c, ta.Config.NodeName, "short", consulapi.HealthCritical, "TTL expired")

	// An update after expiry brings it back.
	if err := c.Agent().PassTTL("short", "back"); err != nil {
		t.Fatalf("PassTTL(short) after expiry: %v", err)
	}
	waitCatalogCheck(t, c, ta.Config.NodeName, "short", consulapi.HealthPassing, "back")
}

// TestAgentCheckRegisterErrors: bad check definitions are refused with 400
// and leave nothing behind; updates of unknown checks fail.
func TestAgentCheckRegisterErrors(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t) // script checks disabled, as by default
	mustRegisterService(t, c, &consulapi.AgentServiceRegistration{ID: "owner", Name: "owner"})
	tests := []struct {
		name    string
		reg     consulapi.AgentCheckRegistration
		wantMsg string // in the error, besides the 400
	}{
		{"missing name", consulapi.AgentCheckRegistration{AgentServiceCheck: consulapi.AgentServiceCheck{TTL: "10s"}}, "name"},
		{"no type", consulapi.AgentCheckRegistration{Name: "typeless"}, ""},
		{"script disabled", consulapi.AgentCheckRegistration{Name: "script",
			AgentServiceCheck: consulapi.AgentServiceCheck{Args: []string{"true"}, Interval: "10s"}}, "enable_script_checks"},

		{"bad TTL", consulapi.AgentCheckRegistration{Name: "bad-ttl", AgentServiceCheck: consulapi.AgentServiceCheck{TTL: "soon"}}, ""},
		{"HTTP without interval", consulapi.AgentCheckRegistration{Name: "no-interval",
			AgentServiceCheck: consulapi.AgentServiceCheck{HTTP: "http://127.0.0.1:1/"}}, ""},
		{"two types", consulapi.AgentCheckRegistration{Name: "two",
			AgentServiceCheck: consulapi.AgentServiceCheck{TTL: "10s", TCP: "127.0.0.1:1", Interval: "10s"}}, ""},
		{"bad status", consulapi.AgentCheckRegistration{Name: "bad-status",
			AgentServiceCheck: consulapi.AgentServiceCheck{TTL: "10s", Status: "sideways"}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := c.Agent().CheckRegister(&tc.reg)
			wantErrorCode(t, "Agent.CheckRegister("+tc.name+")", err, "400")
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("Agent.CheckRegister(%s) error = %v, want it to mention %q", tc.name, err, tc.wantMsg)
			}
		})
	}
	// A check for a service the agent does not have: an error naming it
	// (Concord answers 400; the code is not pinned, as Consul's varies).
	err := c.Agent().CheckRegister(&consulapi.AgentCheckRegistration{Name: "orphan", ServiceID: "no-such-service",
		AgentServiceCheck: consulapi.AgentServiceCheck{TTL: "10s"}})
	if err == nil || !strings.Contains(err.Error(), "no-such-service") {
		t.Errorf("Agent.CheckRegister for an unknown service: err = %v, want an error naming no-such-service", err)
	}
	if checks := agentChecks(t, c); len(checks) != 0 {
		t.Errorf("after refused registrations, Agent.Checks() = %v, want none", checks)
	}

	// A service whose check is refused is refused too.
	err = c.Agent().ServiceRegister(&consulapi.AgentServiceRegistration{Name: "scripted",
		Check: &consulapi.AgentServiceCheck{Args: []string{"true"}, Interval: "10s"}})
	wantErrorCode(t, "Agent.ServiceRegister with a script check", err, "400")
	if !strings.Contains(err.Error(), "enable_script_checks") {
		t.Errorf("Agent.ServiceRegister with a script check: error = %v, want it to name enable_script_checks", err)
	}
	r := doRaw(t, ta.HTTPAddr(), "PUT", "/v1/agent/service/register", strings.NewReader(`{"Port":80}`))
	wantStatus(t, "PUT /v1/agent/service/register without a name", r, 400)

	// Updates of checks that do not exist, or are not TTL checks.
	wantErrorCode(t, "PassTTL(no-such-check)", c.Agent().PassTTL("no-such-check", ""), "404")
	wantErrorCode(t, "UpdateTTL(no-such-check)", c.Agent().UpdateTTL("no-such-check", "", consulapi.HealthPassing), "404")
	mustRegisterCheck(t, c, &consulapi.AgentCheckRegistration{Name: "tcp-check",
		AgentServiceCheck: consulapi.AgentServiceCheck{TCP: "127.0.0.1:1", Interval: "30s"}})
	if err := c.Agent().UpdateTTL("tcp-check", "", consulapi.HealthPassing); err == nil {
		t.Errorf("UpdateTTL(tcp-check) on a TCP check: err = nil, want an error")
	}
}

// TestAgentServiceRegisterRefusedLeavesNothing: a service registration
// whose check the agent cannot run is refused with 400, and, as in Consul
// (which validates every check before adding anything), the service is
// not registered either.
func TestAgentServiceRegisterRefusedLeavesNothing(t *testing.T) {
	t.Parallel()
	_, c := startDevAgent(t)
	tests := []struct {
		name  string
		check consulapi.AgentServiceCheck
	}{
		{"HTTP without interval", consulapi.AgentServiceCheck{HTTP: "http://127.0.0.1:1/"}},
		{"bad TTL", consulapi.AgentServiceCheck{TTL: "soon"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := "refused-" + strings.ReplaceAll(tc.name, " ", "-")
			err := c.Agent().ServiceRegister(&consulapi.AgentServiceRegistration{ID: id, Name: "refused", Check: &tc.check})
			wantErrorCode(t, "Agent.ServiceRegister("+tc.name+")", err, "400")
			services, err := c.Agent().Services()
			if err != nil {
				t.Fatalf("Agent.Services: %v", err)
			}
			if _, ok := services[id]; ok {
				t.Errorf("after a refused registration (%s), Agent.Services() has %q, want it absent", tc.name, id)
			}
		})
	}
}

// TestAgentMaintenance: node and service maintenance add a critical
// check, so /v1/health/service?passing drops the instance and the agent
// health endpoints answer 503 with the status "maintenance".
func TestAgentMaintenance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		checkID string
		enable  func(c *consulapi.Client) error
		disable func(c *consulapi.Client) error
	}{
		{"node", "_node_maintenance",
			func(c *consulapi.Client) error { return c.Agent().EnableNodeMaintenance("kernel upgrade") },
			func(c *consulapi.Client) error { return c.Agent().DisableNodeMaintenance() }},
		{"service", "_service_maintenance:maint-1",
			func(c *consulapi.Client) error {
				return c.Agent().EnableServiceMaintenance("maint-1", "kernel upgrade")
			},
			func(c *consulapi.Client) error { return c.Agent().DisableServiceMaintenance("maint-1") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ta, c := startDevAgent(t)
			addr := ta.HTTPAddr()
			mustRegisterService(t, c, &consulapi.AgentServiceRegistration{ID: "maint-1", Name: "maint",
				Check: &consulapi.AgentServiceCheck{TTL: "5m", Status: consulapi.HealthPassing}})
			waitHealthyIDs(t, c, "maint", "maint-1")

			if err := tc.enable(c); err != nil {
				t.Fatalf("enable %s maintenance: %v", tc.name, err)
			}
			chk := agentChecks(t, c)[tc.checkID]
			if chk == nil || chk.Status != consulapi.HealthCritical || chk.Notes != "kernel upgrade" {
				t.Fatalf("Agent.Checks()[%s] = %s, want critical with notes \"kernel upgrade\"", tc.checkID, checkString(chk))
			}
			waitHealthyIDs(t, c, "maint")
			all, _, err := c.Health().Service("maint", "", false, nil)
			if err != nil || len(all) != 1 {
				t.Fatalf("Health.Service(maint, passingOnly=false) = %d entries, %v; want the instance", len(all), err)
			}
			if got := all[0].Checks.AggregatedStatus(); got != consulapi.HealthMaint {
				t.Errorf("Health.Service(maint) Checks.AggregatedStatus() = %q, want %q", got, consulapi.HealthMaint)
			}

			for _, path := range []string{"/v1/agent/health/service/name/maint", "/v1/agent/health/service/id/maint-1"} {
				r := doRaw(t, addr, "GET", path+"?format=text", nil)
				wantStatus(t, "GET "+path+"?format=text in maintenance", r, 503)
				if string(r.Body) != "maintenance" {
					t.Errorf("GET %s?format=text = %q, want \"maintenance\"", path, r.Body)
				}
				r = doRaw(t, addr, "GET", path, nil)
				wantStatus(t, "GET "+path+" in maintenance", r, 503)
			}
			status, infos, err := c.Agent().AgentHealthServiceByName("maint")
			if err != nil || status != consulapi.HealthCritical || len(infos) != 1 {
				t.Fatalf("AgentHealthServiceByName(maint) = %q, %d entries, %v; want critical (503) and one entry", status, len(infos), err)
			}
			if infos[0].AggregatedStatus != consulapi.HealthMaint {
				t.Errorf("AgentHealthServiceByName(maint)[0].AggregatedStatus = %q, want maintenance", infos[0].AggregatedStatus)
			}
			// Consul lists the node's checks with the service's here, so
			// the entry's own checks agree with its AggregatedStatus.
			if got := infos[0].Checks.AggregatedStatus(); got != infos[0].AggregatedStatus || findCheck(infos[0].Checks, tc.checkID) == nil {
				t.Errorf("AgentHealthServiceByName(maint)[0].Checks = %s (aggregated %q), want them to include %s and aggregate to %q",
					checkIDs(infos[0].Checks), got, tc.checkID, infos[0].AggregatedStatus)
			}

			if err := tc.disable(c); err != nil {
				t.Fatalf("disable %s maintenance: %v", tc.name, err)
			}
			if _, ok := agentChecks(t, c)[tc.checkID]; ok {
				t.Errorf("after disabling, Agent.Checks() still has %s", tc.checkID)
			}
			waitHealthyIDs(t, c, "maint", "maint-1")
			r := doRaw(t, addr, "GET", "/v1/agent/health/service/name/maint?format=text", nil)
			wantStatus(t, "GET /v1/agent/health/service/name/maint after maintenance", r, 200)
		})
	}
}

// TestAgentHealthEndpoints: /v1/agent/health/service/{id,name}/... answer
// 200, 429 or 503 for passing, warning or critical, with the status as
// text under ?format=text, and 404 for unknown services.
func TestAgentHealthEndpoints(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	addr := ta.HTTPAddr()
	mustRegisterService(t, c, &consulapi.AgentServiceRegistration{ID: "hs-1", Name: "hs",
		Checks: consulapi.AgentServiceChecks{{CheckID: "hs-1-ttl", TTL: "5m"}}})
	mustRegisterService(t, c, &consulapi.AgentServiceRegistration{ID: "hs-2", Name: "hs",
		Checks: consulapi.AgentServiceChecks{{CheckID: "hs-2-ttl", TTL: "5m", Status: consulapi.HealthPassing}}})

	tests := []struct {
		status string
		code   int
	}{
		{consulapi.HealthPassing, 200},
		{consulapi.HealthWarning, 429},
		{consulapi.HealthCritical, 503},
		{consulapi.HealthPassing, 200},
	}
	for _, tc := range tests {
		if err := c.Agent().UpdateTTL("hs-1-ttl", "now "+tc.status, tc.status); err != nil {
			t.Fatalf("UpdateTTL(hs-1-ttl, %s): %v", tc.status, err)
		}
		// By ID: JSON, then text.
		r := doRaw(t, addr, "GET", "/v1/agent/health/service/id/hs-1", nil)
		wantStatus(t, "GET /v1/agent/health/service/id/hs-1 ("+tc.status+")", r, tc.code)
		var info consulapi.AgentServiceChecksInfo
		decodeJSON(t, "agent health by id", r.Body, &info)
		if info.AggregatedStatus != tc.status || info.Service == nil || info.Service.ID != "hs-1" {
			t.Errorf("GET /v1/agent/health/service/id/hs-1 = %s, want AggregatedStatus %q and service hs-1", truncate(r.Body), tc.status)
		}
		if hc := findCheck(info.Checks, "hs-1-ttl"); hc == nil || hc.Output != "now "+tc.status {
			t.Errorf("GET /v1/agent/health/service/id/hs-1 checks = %s, want hs-1-ttl with output %q", truncate(r.Body), "now "+tc.status)
		}
		r = doRaw(t, addr, "GET", "/v1/agent/health/service/id/hs-1?format=text", nil)
		wantStatus(t, "GET /v1/agent/health/service/id/hs-1?format=text ("+tc.status+")", r, tc.code)
		if string(r.Body) != tc.status {
			t.Errorf("GET /v1/agent/health/service/id/hs-1?format=text = %q, want %q", r.Body, tc.status)
		}
		status, _, err := c.Agent().AgentHealthServiceByID("hs-1")
		if err != nil || status != tc.status {
			t.Errorf("AgentHealthServiceByID(hs-1) = %q, %v; want %q", status, err, tc.status)
		}

		// By name: the worst of both instances (hs-2 stays passing).
		r = doRaw(t, addr, "GET", "/v1/agent/health/service/name/hs?format=text", nil)
		wantStatus(t, "GET /v1/agent/health/service/name/hs?format=text ("+tc.status+")", r, tc.code)
		if string(r.Body) != tc.status {
			t.Errorf("GET /v1/agent/health/service/name/hs?format=text = %q, want %q", r.Body, tc.status)
		}
		status, infos, err := c.Agent().AgentHealthServiceByName("hs")
		if err != nil || status != tc.status || len(infos) != 2 {
			t.Errorf("AgentHealthServiceByName(hs) = %q, %d entries, %v; want %q and 2 entries", status, len(infos), err, tc.status)
		}
	}

	for _, path := range []string{"/v1/agent/health/service/id/no-such-id", "/v1/agent/health/service/name/no-such-name"} {
		r := doRaw(t, addr, "GET", path, nil)
		wantStatus(t, "GET "+path, r, 404)
	}
	status, info, err := c.Agent().AgentHealthServiceByID("no-such-id")
	if err != nil || status != consulapi.HealthCritical || info != nil {
		t.Errorf("AgentHealthServiceByID(no-such-id) = %q, %v, %v; want critical, nil, nil (the client's reading of 404)", status, info, err)
	}
}

// TestAgentPersistenceAcrossRestart: services and checks registered through
// the API on a durable agent come back after a restart, and the new agent
// puts them in the catalog again. The restarted agent has a new node name
// (and new ports), so what the catalog shows under it was synced after the
// restart, not left over from before.
func TestAgentPersistenceAcrossRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := testutil.StartAgent(t, dir, nil)
	c := newConsulClient(t, first.HTTPAddr(), nil)
	mustRegisterService(t, c, &consulapi.AgentServiceRegistration{
		ID: "keep-1", Name: "keep", Tags: []string{"t1"}, Port: 7000, Meta: map[string]string{"some_key": "v"},
		Check: &consulapi.AgentServiceCheck{TTL: "5m", Notes: "keep notes"},
	})
	mustRegisterCheck(t, c, &consulapi.AgentCheckRegistration{ID: "keep-node", Name: "keep node",
		AgentServiceCheck: consulapi.AgentServiceCheck{TTL: "5m"}})
	mustRegisterService(t, c, &consulapi.AgentServiceRegistration{ID: "dropped", Name: "dropped",
		Check: &consulapi.AgentServiceCheck{TTL: "5m"}})
	if err := c.Agent().ServiceDeregister("dropped"); err != nil {
		t.Fatalf("Agent.ServiceDeregister(dropped): %v", err)
	}
	waitCatalogServiceIDs(t, c, "keep", "keep-1")
	first.Stop(t)

	second := restartAgent(t, dir, nil) // node "node-restarted"
	c = newConsulClient(t, second.HTTPAddr(), nil)
	services, err := c.Agent().Services()
	if err != nil {
		t.Fatalf("Agent.Services after restart: %v", err)
	}
	svc := services["keep-1"]
	if svc == nil || svc.Service != "keep" || svc.Port != 7000 || !slices.Equal(svc.Tags, []string{"t1"}) || svc.Meta["some_key"] != "v" {
		t.Errorf("after restart, Agent.Services()[keep-1] = %+v, want keep, port 7000, tags [t1], meta some_key=v", svc)
	}
	if _, ok := services["dropped"]; ok {
		t.Errorf("after restart, Agent.Services() has dropped, which was deregistered before")
	}
	checks := agentChecks(t, c)
	if chk := checks["service:keep-1"]; chk == nil || chk.ServiceID != "keep-1" || chk.Notes != "keep notes" {
		t.Errorf("after restart, Agent.Checks()[service:keep-1] = %s, want the service's check with its notes", checkString(chk))
	}
	if checks["keep-node"] == nil {
		t.Errorf("after restart, Agent.Checks() has no keep-node")
	}
	if _, ok := checks["service:dropped"]; ok {
		t.Errorf("after restart, Agent.Checks() has service:dropped")
	}

	node := second.Config.NodeName
	testutil.Run(t, syncWait, func(r *testutil.R) {
		cn, _, err := c.Catalog().Node(node, nil)
		if err != nil || cn == nil {
			r.Fatalf("Catalog.Node(%s) = %v, %v", node, cn, err)
		}
		if s := cn.Services["keep-1"]; s == nil || s.Port != 7000 {
			r.Fatalf("Catalog.Node(%s).Services = %v, want keep-1 on port 7000", node, cn.Services)
		}
	})
	waitCatalogNodeChecks(t, c, node, "serfHealth", "service:keep-1", "keep-node")

	// The restored checks run: a TTL update reaches the catalog.
	if err := c.Agent().PassTTL("service:keep-1", "alive again"); err != nil {
		t.Fatalf("PassTTL(service:keep-1) after restart: %v", err)
	}
	waitCatalogCheck(t, c, node, "service:keep-1", consulapi.HealthPassing, "alive again")
}

// TestAgentTTLStatusSurvivesRestart: Consul saves a TTL check's last
// status and restores it on restart while the TTL has not run out, so a
// restart does not flap a healthy service to critical.
func TestAgentTTLStatusSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := testutil.StartAgent(t, dir, nil)
	c := newConsulClient(t, first.HTTPAddr(), nil)
	mustRegisterService(t, c, &consulapi.AgentServiceRegistration{ID: "ttl-keep", Name: "ttl-keep",
		Check: &consulapi.AgentServiceCheck{TTL: "10m"}})
	if err := c.Agent().PassTTL("service:ttl-keep", "fine"); err != nil {
		t.Fatalf("PassTTL: %v", err)
	}
	first.Stop(t)

	second := restartAgent(t, dir, func(cfg *config.Config) { cfg.NodeName = first.Config.NodeName })
	c = newConsulClient(t, second.HTTPAddr(), nil)
	if chk := agentChecks(t, c)["service:ttl-keep"]; chk == nil || chk.Status != consulapi.HealthPassing {
		t.Errorf("after restart within the TTL, Agent.Checks()[service:ttl-keep] = %s, want passing as before the restart", checkString(chk))
	}
}

// TestAgentConfigFileDefinitions: services and checks from config files are
// registered at start; enable_local_script_checks lets their scripts run
// while the API still refuses scripts.
func TestAgentConfigFileDefinitions(t *testing.T) {
	t.Parallel()
	ta := testutil.StartAgent(t, "", devConfig(func(cfg *config.Config) {
		cfg.EnableLocalScriptChecks = true
		cfg.Services = []*api.AgentServiceRegistration{{
			ID: "file-svc", Name: "filesvc", Port: 7100, Tags: []string{"from-file"},
			Check: &api.AgentServiceCheck{Args: []string{"sh", "-c", "echo file ok"}, Interval: "1s"},
		}}
		cfg.Checks = []*api.AgentCheckRegistration{{
			ID: "file-check", AgentServiceCheck: api.AgentServiceCheck{Name: "file check", TTL: "5m", Status: api.HealthWarning},
		}}
	}))
	c := newConsulClient(t, ta.HTTPAddr(), nil)
	services, err := c.Agent().Services()
	if err != nil {
		t.Fatalf("Agent.Services: %v", err)
	}
	if s := services["file-svc"]; s == nil || s.Service != "filesvc" || s.Port != 7100 {
		t.Fatalf("Agent.Services()[file-svc] = %+v, want filesvc on port 7100", s)
	}
	waitAgentCheck(t, c, "service:file-svc", consulapi.HealthPassing, "file ok")
	if chk := agentChecks(t, c)["file-check"]; chk == nil || chk.Status != consulapi.HealthWarning || chk.Name != "file check" {
		t.Errorf("Agent.Checks()[file-check] = %s, want the file's warning TTL check", checkString(chk))
	}
	node := ta.Config.NodeName
	waitCatalogServiceIDs(t, c, "filesvc", "file-svc")
	waitCatalogCheck(t, c, node, "service:file-svc", consulapi.HealthPassing, "file ok")
	waitCatalogCheck(t, c, node, "file-check", consulapi.HealthWarning, "")

	err = c.Agent().CheckRegister(&consulapi.AgentCheckRegistration{Name: "api-script",
		AgentServiceCheck: consulapi.AgentServiceCheck{Args: []string{"true"}, Interval: "1s"}})
	wantErrorCode(t, "Agent.CheckRegister(script) with only enable_local_script_checks", err, "400")
}

// TestAgentCheckTypes runs every probing check type against servers the
// test starts: each must reach its status on the agent and in the catalog.
func TestAgentCheckTypes(t *testing.T) {
	t.Parallel()
	ta := testutil.StartAgent(t, "", devConfig(func(cfg *config.Config) { cfg.EnableScriptChecks = true }))
	c := newConsulClient(t, ta.HTTPAddr(), nil)

	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			w.Write([]byte("all good"))
		case "/busy":
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(web.Close)
	tcpOpen := listenAndAccept(t)
	tcpClosed := closedPort(t)
	hs, grpcAddr := testutil.GRPCHealthServer(t, false)
	hs.SetServingStatus("down", healthpb.HealthCheckResponse_NOT_SERVING)
	udpEcho := testutil.UDPServer(t, true)
	udpSilent := testutil.UDPServer(t, false)

	tests := []struct {
		id     string
		def    consulapi.AgentServiceCheck
		status string
		output string // part of the output, so the probe surely ran
	}{
		{"http-200", consulapi.AgentServiceCheck{HTTP: web.URL + "/ok"}, consulapi.HealthPassing, "all good"},
		{"http-429", consulapi.AgentServiceCheck{HTTP: web.URL + "/busy"}, consulapi.HealthWarning, "429"},
		{"http-500", consulapi.AgentServiceCheck{HTTP: web.URL + "/fail"}, consulapi.HealthCritical, "500"},
		{"tcp-open", consulapi.AgentServiceCheck{TCP: tcpOpen}, consulapi.HealthPassing, "Success"},
		{"tcp-closed", consulapi.AgentServiceCheck{TCP: tcpClosed, Status: consulapi.HealthPassing}, consulapi.HealthCritical, "TCP connect"},
		{"grpc-serving", consulapi.AgentServiceCheck{GRPC: grpcAddr}, consulapi.HealthPassing, "SERVING"},
		{"grpc-not-serving", consulapi.AgentServiceCheck{GRPC: grpcAddr + "/down", Status: consulapi.HealthPassing}, consulapi.HealthCritical, "NOT_SERVING"},
		{"udp-reply", consulapi.AgentServiceCheck{UDP: udpEcho}, consulapi.HealthPassing, "UDP"},
		{"udp-silent", consulapi.AgentServiceCheck{UDP: udpSilent, Timeout: "300ms"}, consulapi.HealthPassing, "UDP"},
		{"script-0", consulapi.AgentServiceCheck{Args: []string{"sh", "-c", "echo zero; exit 0"}}, consulapi.HealthPassing, "zero"},
		{"script-1", consulapi.AgentServiceCheck{Args: []string{"sh", "-c", "echo one; exit 1"}}, consulapi.HealthWarning, "one"},
		{"script-2", consulapi.AgentServiceCheck{Args: []string{"sh", "-c", "echo two; exit 2"}, Status: consulapi.HealthPassing}, consulapi.HealthCritical, "two"},
	}
	want := []string{"serfHealth"}
	for _, tc := range tests {
		tc.def.Interval = "1s"
		mustRegisterCheck(t, c, &consulapi.AgentCheckRegistration{ID: tc.id, Name: tc.id, AgentServiceCheck: tc.def})
		want = append(want, tc.id)
	}
	wantTypes := map[string]string{"http": "http", "tcp": "tcp", "grpc": "grpc", "udp": "udp", "script": "script"}
	for _, tc := range tests {
		chk := waitAgentCheck(t, c, tc.id, tc.status, tc.output)
		kind, _, _ := strings.Cut(tc.id, "-")
		if chk.Type != wantTypes[kind] {
			t.Errorf("Agent.Checks()[%s].Type = %q, want %q", tc.id, chk.Type, wantTypes[kind])
		}
	}
	node := ta.Config.NodeName
	waitCatalogNodeChecks(t, c, node, want...)
	for _, tc := range tests {
		waitCatalogCheck(t, c, node, tc.id, tc.status, tc.output)
	}
}

// listenAndAccept returns the address of a TCP listener that accepts and
// closes connections until the test ends.
func listenAndAccept(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conn.Close()
		}
	}()
	return ln.Addr().String()
}

// closedPort returns a loopback TCP address nothing listens on: a reserved
// port, which no other test binds.
func closedPort(t *testing.T) string {
	t.Helper()
	return "127.0.0.1:" + strconv.Itoa(testutil.FreePort(t))
}

// TestAgentMaintenanceSurvivesRestart: Consul documents maintenance mode
// as persistent, restored when the agent restarts, so that a node taken
// out for work does not take traffic again just because it rebooted.
func TestAgentMaintenanceSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := testutil.StartAgent(t, dir, nil)
	c := newConsulClient(t, first.HTTPAddr(), nil)
	mustRegisterService(t, c, &consulapi.AgentServiceRegistration{ID: "mr-1", Name: "mr",
		Check: &consulapi.AgentServiceCheck{TTL: "10m", Status: consulapi.HealthPassing}})
	if err := c.Agent().EnableNodeMaintenance("rack move"); err != nil {
		t.Fatalf("EnableNodeMaintenance: %v", err)
	}
	if err := c.Agent().EnableServiceMaintenance("mr-1", "upgrade"); err != nil {
		t.Fatalf("EnableServiceMaintenance(mr-1): %v", err)
	}
	first.Stop(t)

	second := restartAgent(t, dir, func(cfg *config.Config) { cfg.NodeName = first.Config.NodeName })
	c = newConsulClient(t, second.HTTPAddr(), nil)
	checks := agentChecks(t, c)
	for id, reason := range map[string]string{"_node_maintenance": "rack move", "_service_maintenance:mr-1": "upgrade"} {
		if chk := checks[id]; chk == nil || chk.Status != consulapi.HealthCritical || chk.Notes != reason {
			t.Errorf("after restart, Agent.Checks()[%s] = %s, want critical with notes %q (maintenance persists)", id, checkString(chk), reason)
		}
	}
}
