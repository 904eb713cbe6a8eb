package httpapi_test

// End-to-end tests of the agent fields and endpoints Consul's own client
// tests (api/agent_test.go) look at: service registrations echoed with
// their newer fields, ContentHash and ?hash= blocking, node_meta in the
// catalog and ?node-meta filters, durations refused on check registration,
// Docker checks kept as their own type, DebugConfig and /v1/agent/host.

import (
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	consulapi "github.com/hashicorp/consul/api"

	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/testutil"
)

// TestAgentServiceFieldsEchoed registers a service with tagged addresses,
// a socket path, named ports and a locality but no Meta: the agent lists it
// with every field as given and Meta as {}, and the catalog's health view
// carries the same fields once anti-entropy has run.
func TestAgentServiceFieldsEchoed(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	reg := &consulapi.AgentServiceRegistration{
		ID: "api-1", Name: "api", SocketPath: "/tmp/api.sock",
		TaggedAddresses: map[string]consulapi.ServiceAddress{
			"lan": {Address: "192.168.0.43", Port: 8000},
			"wan": {Address: "198.18.0.1", Port: 80},
		},
		Ports:    consulapi.ServicePorts{{Name: "http", Port: 8080, Default: true}, {Name: "metrics", Port: 9090}},
		Locality: &consulapi.Locality{Region: "us-west-1", Zone: "us-west-1a"},
	}
	mustRegisterService(t, c, reg)

	services, err := c.Agent().Services()
	if err != nil {
		t.Fatalf("Agent.Services: %v", err)
	}
	got := services["api-1"]
	if got == nil {
		t.Fatalf("Agent.Services() = %v, want api-1", slices.Collect(maps.Keys(services)))
	}
	wantEchoed(t, "Agent.Services()[api-1]", got, reg)
	if got.Meta == nil || len(got.Meta) != 0 {
		t.Errorf("Agent.Services()[api-1].Meta = %#v, want an empty, non-nil map", got.Meta)
	}
	var raw map[string]map[string]any
	decodeJSON(t, "GET /v1/agent/services", doRaw(t, ta.HTTPAddr(), "GET", "/v1/agent/services", nil).Body, &raw)
	if m, ok := raw["api-1"]["Meta"].(map[string]any); !ok || len(m) != 0 {
		t.Errorf("GET /v1/agent/services: api-1's Meta = %#v, want {}", raw["api-1"]["Meta"])
	}

	testutil.Run(t, syncWait, func(r *testutil.R) {
		entries, _, err := c.Health().Service("api", "", false, nil)
		if err != nil {
			r.Fatalf("Health.Service(api): %v", err)
		}
		if len(entries) != 1 {
			r.Fatalf("Health.Service(api) = %d entries, want 1", len(entries))
		}
		wantEchoed(t, "Health.Service(api)[0].Service", entries[0].Service, reg)
	})
}

// wantEchoed checks that svc carries reg's newer fields.
func wantEchoed(t *testing.T, what string, svc *consulapi.AgentService, reg *consulapi.AgentServiceRegistration) {
	t.Helper()
	if svc.SocketPath != reg.SocketPath {
		t.Errorf("%s.SocketPath = %q, want %q", what, svc.SocketPath, reg.SocketPath)
	}
	if !maps.Equal(svc.TaggedAddresses, reg.TaggedAddresses) {
		t.Errorf("%s.TaggedAddresses = %v, want %v", what, svc.TaggedAddresses, reg.TaggedAddresses)
	}
	if !slices.Equal(svc.Ports, reg.Ports) {
		t.Errorf("%s.Ports = %v, want %v", what, svc.Ports, reg.Ports)
	}
	if svc.Locality == nil || *svc.Locality != *reg.Locality {
		t.Errorf("%s.Locality = %v, want %v", what, svc.Locality, reg.Locality)
	}
}

// TestAgentServiceRefusesBadPorts: named ports follow Consul's rules (one
// default, names set and unique, ports in range); a registration breaking
// them is refused with 400 and nothing is registered.
func TestAgentServiceRefusesBadPorts(t *testing.T) {
	t.Parallel()
	ta, _ := startDevAgent(t)
	tests := []struct{ name, ports string }{
		{"no default", `[{"Name":"a","Port":1},{"Name":"b","Port":2}]`},
		{"two defaults", `[{"Name":"a","Port":1,"Default":true},{"Name":"b","Port":2,"Default":true}]`},
		{"same name", `[{"Name":"a","Port":1,"Default":true},{"Name":"a","Port":2}]`},
		{"no name", `[{"Name":"","Port":1,"Default":true}]`},
		{"port zero", `[{"Name":"a","Port":0,"Default":true}]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"Name":"bad","Ports":` + tc.ports + `}`
			res := doRaw(t, ta.HTTPAddr(), "PUT", "/v1/agent/service/register", strings.NewReader(body))
			wantStatus(t, "PUT /v1/agent/service/register "+tc.ports, res, 400)
			if !strings.Contains(string(res.Body), "Invalid Ports") {
				t.Errorf("PUT /v1/agent/service/register %s = %q, want it to say Invalid Ports", tc.ports, res.Body)
			}
		})
	}
	res := doRaw(t, ta.HTTPAddr(), "GET", "/v1/agent/service/bad", nil)
	wantStatus(t, "GET /v1/agent/service/bad", res, 404)
}

// TestAgentServiceContentHash: /v1/agent/service/<id> gives the service
// with a ContentHash, the same in the X-Consul-ContentHash header, and the
// one Consul gives this registration (its TestAPI_AgentService); the hash
// is stable while the registration is, and changes with it. ?hash= with the
// current hash blocks for ?wait, and is woken by a change.
func TestAgentServiceContentHash(t *testing.T) {
	t.Parallel()
	_, c := startDevAgent(t)
	reg := &consulapi.AgentServiceRegistration{Name: "foo", Tags: []string{"bar", "baz"}, Port: 8000}
	mustRegisterService(t, c, reg)

	got, qm, err := c.Agent().Service("foo", nil)
	if err != nil {
		t.Fatalf("Agent.Service(foo): %v", err)
	}
	want := &consulapi.AgentService{
		ID: "foo", Service: "foo", Tags: []string{"bar", "baz"}, Port: 8000, Meta: map[string]string{},
		Weights: consulapi.AgentWeights{Passing: 1, Warning: 1}, Datacenter: "dc1", ContentHash: "1d5d568c14309fa8",
	}
	if got.ContentHash != want.ContentHash || qm.LastContentHash != want.ContentHash {
		t.Errorf("Agent.Service(foo) ContentHash %q, header %q; want Consul's %q in both", got.ContentHash, qm.LastContentHash, want.ContentHash)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Agent.Service(foo) = %+v, want %+v", got, want)
	}
	again, _, err := c.Agent().Service("foo", nil)
	if err != nil || again.ContentHash != got.ContentHash {
		t.Errorf("Agent.Service(foo) again: hash %q, %v; want %q (unchanged)", again.ContentHash, err, got.ContentHash)
	}

	// Unchanged: the read waits for the whole ?wait.
	const wait = 200 * time.Millisecond
	start := time.Now()
	if _, _, err := c.Agent().Service("foo", &consulapi.QueryOptions{WaitHash: got.ContentHash, WaitTime: wait}); err != nil {
		t.Fatalf("Agent.Service(foo, hash): %v", err)
	}
	if elapsed := time.Since(start); elapsed < wait {
		t.Errorf("Agent.Service(foo, hash) returned after %v, want at least %v", elapsed, wait)
	}

	// Changed while waiting: the read returns the new registration.
	type result struct {
		svc *consulapi.AgentService
		err error
	}
	done := make(chan result, 1)
	go func() {
		svc, _, err := c.Agent().Service("foo", &consulapi.QueryOptions{WaitHash: got.ContentHash, WaitTime: time.Minute})
		done <- result{svc, err}
	}()
	// Whether the reader is already waiting (the change wakes it) or not
	// yet (the hash differs at once), it answers with the new version.
	reg.Port = 8001
	mustRegisterService(t, c, reg)
	select {
	case res := <-done:
		if res.err != nil || res.svc.Port != 8001 || res.svc.ContentHash == got.ContentHash {
			t.Fatalf("blocked Agent.Service(foo) = %+v, %v; want port 8001 and a new hash", res.svc, res.err)
		}
	case <-time.After(syncWait):
		t.Fatalf("blocked Agent.Service(foo) not woken by the change")
	}
}

// TestNodeMetaInCatalog: node_meta, with consul-version and
// consul-network-segment, is on the node in the catalog and in
// /v1/agent/self's Meta, and ?node-meta filters nodes, services, service
// instances, health entries and checks.
func TestNodeMetaInCatalog(t *testing.T) {
	t.Parallel()
	ta := testutil.StartAgent(t, "", devConfig(func(c *config.Config) {
		c.NodeMeta = map[string]string{"rack": "r1", "env": "test"}
	}))
	c := newConsulClient(t, ta.HTTPAddr(), nil)
	mustRegisterService(t, c, &consulapi.AgentServiceRegistration{Name: "web", Port: 80,
		Check: &consulapi.AgentServiceCheck{TTL: "15s"}})
	node := ta.Config.NodeName

	testutil.Run(t, syncWait, func(r *testutil.R) {
		cn, _, err := c.Catalog().Node(node, nil)
		if err != nil || cn == nil {
			r.Fatalf("Catalog.Node(%s) = %v, %v", node, cn, err)
		}
		m := cn.Node.Meta
		if m["rack"] != "r1" || m["env"] != "test" || m["consul-version"] == "" {
			r.Fatalf("Catalog.Node(%s).Meta = %v, want rack=r1, env=test and consul-version", node, m)
		}
		if _, ok := m["consul-network-segment"]; !ok {
			r.Fatalf("Catalog.Node(%s).Meta = %v, want consul-network-segment", node, m)
		}
		if checks, _, err := c.Health().Checks("web", nil); err != nil || len(checks) != 1 {
			r.Fatalf("Health.Checks(web) = %d checks, %v; want web's TTL check synced", len(checks), err)
		}
		if checks, _, err := c.Health().State("any", nil); err != nil || len(checks) != 2 {
			r.Fatalf("Health.State(any) = %d checks, %v; want serfHealth and web's TTL check", len(checks), err)
		}
	})

	self, err := c.Agent().Self()
	if err != nil {
		t.Fatalf("Agent.Self: %v", err)
	}
	if m := self["Meta"]; m["rack"] != "r1" || m["consul-version"] == nil {
		t.Errorf("Agent.Self()[Meta] = %v, want rack=r1 and consul-version", m)
	}

	for _, tc := range []struct {
		meta string
		want int
	}{{"rack:r1", 1}, {"rack:r2", 0}, {"env:test", 1}} {
		k, v, _ := strings.Cut(tc.meta, ":")
		q := &consulapi.QueryOptions{NodeMeta: map[string]string{k: v}}
		nodes, _, err := c.Catalog().Nodes(q)
		if err != nil || len(nodes) != tc.want {
			t.Errorf("Catalog.Nodes(node-meta=%s) = %d nodes, %v; want %d", tc.meta, len(nodes), err, tc.want)
		}
		names, _, err := c.Catalog().Services(q)
		if _, ok := names["web"]; err != nil || ok != (tc.want == 1) {
			t.Errorf("Catalog.Services(node-meta=%s) = %v, %v; want web listed: %v", tc.meta, names, err, tc.want == 1)
		}
		svcs, _, err := c.Catalog().Service("web", "", q)
		if err != nil || len(svcs) != tc.want {
			t.Errorf("Catalog.Service(web, node-meta=%s) = %d, %v; want %d", tc.meta, len(svcs), err, tc.want)
		}
		entries, _, err := c.Health().Service("web", "", false, q)
		if err != nil || len(entries) != tc.want {
			t.Errorf("Health.Service(web, node-meta=%s) = %d, %v; want %d", tc.meta, len(entries), err, tc.want)
		}
		checks, _, err := c.Health().Checks("web", q)
		if err != nil || len(checks) != tc.want {
			t.Errorf("Health.Checks(web, node-meta=%s) = %d, %v; want %d", tc.meta, len(checks), err, tc.want)
		}
		// The node's gossip check and web's TTL check.
		checks, _, err = c.Health().State("any", q)
		if err != nil || len(checks) != 2*tc.want {
			t.Errorf("Health.State(any, node-meta=%s) = %d, %v; want %d", tc.meta, len(checks), err, 2*tc.want)
		}
	}
}

// TestCheckRegisterRefusesBadDurations: a duration that does not parse,
// in any of the four duration fields and whatever the check's type, is
// refused with 400 and Consul's text; nothing is registered.
func TestCheckRegisterRefusesBadDurations(t *testing.T) {
	t.Parallel()
	_, c := startDevAgent(t)
	mustRegisterService(t, c, &consulapi.AgentServiceRegistration{Name: "redis"})
	tests := []struct {
		field string
		set   func(*consulapi.AgentServiceCheck)
	}{
		{"Interval", func(d *consulapi.AgentServiceCheck) { d.Interval = "nope" }},
		{"Timeout", func(d *consulapi.AgentServiceCheck) { d.Timeout = "nope" }},
		{"TTL", func(d *consulapi.AgentServiceCheck) { d.TTL = "nope" }},
		{"DeregisterCriticalServiceAfter", func(d *consulapi.AgentServiceCheck) { d.DeregisterCriticalServiceAfter = "nope" }},
	}
	for _, tc := range tests {
		t.Run(tc.field, func(t *testing.T) {
			reg := &consulapi.AgentCheckRegistration{ID: "bad-" + tc.field, Name: "redischeck", ServiceID: "redis"}
			if tc.field != "TTL" {
				reg.TTL = "15s"
			}
			tc.set(&reg.AgentServiceCheck)
			err := c.Agent().CheckRegister(reg)
			const want = `Unexpected response code: 400 (Request decode failed: time: invalid duration "nope")`
			if err == nil || err.Error() != want {
				t.Errorf("CheckRegister(%s=nope) = %v, want %s", tc.field, err, want)
			}
		})
	}
	if checks := agentChecks(t, c); len(checks) != 0 {
		t.Errorf("Agent.Checks() = %v after refused registrations, want none", slices.Collect(maps.Keys(checks)))
	}
	// A good value is accepted.
	reg := &consulapi.AgentCheckRegistration{Name: "redischeck", ServiceID: "redis"}
	reg.TTL, reg.DeregisterCriticalServiceAfter = "15s", "90m"
	mustRegisterCheck(t, c, reg)
	if got := agentChecks(t, c)["redischeck"]; got == nil || got.Type != "ttl" || got.ServiceID != "redis" {
		t.Errorf("Agent.Checks()[redischeck] = %s, want a ttl check on redis", checkString(got))
	}
}

// TestDockerCheckKeptAsDocker: a Docker check is accepted where script
// checks are allowed and listed with Type "docker"; it is run through the
// Docker daemon, and a container that cannot be reached (no daemon here,
// or no such container) makes it critical with the reason. Where script
// checks are not allowed it is refused. (internal/checks runs it against
// a fake daemon.)
func TestDockerCheckKeptAsDocker(t *testing.T) {
	t.Parallel()
	ta := testutil.StartAgent(t, "", devConfig(func(c *config.Config) { c.EnableScriptChecks = true }))
	c := newConsulClient(t, ta.HTTPAddr(), nil)
	mustRegisterService(t, c, &consulapi.AgentServiceRegistration{Name: "redis"})
	reg := &consulapi.AgentCheckRegistration{Name: "redischeck", ServiceID: "redis",
		AgentServiceCheck: consulapi.AgentServiceCheck{
			DockerContainerID: "f972c95ebf0e", Args: []string{"/bin/true"}, Shell: "/bin/bash", Interval: "10s",
		}}
	mustRegisterCheck(t, c, reg)
	got := waitAgentCheck(t, c, "redischeck", "critical", "cannot create exec in container f972c95ebf0e")
	if got.Type != "docker" || got.ServiceID != "redis" {
		t.Errorf("Agent.Checks()[redischeck] = %s, want a docker check on redis", checkString(got))
	}

	_, plain := startDevAgent(t)
	mustRegisterService(t, plain, &consulapi.AgentServiceRegistration{Name: "redis"})
	if err := plain.Agent().CheckRegister(reg); err == nil || !strings.Contains(err.Error(), "enable_script_checks") {
		t.Errorf("CheckRegister(docker) without script checks = %v, want a 400 naming enable_script_checks", err)
	}
}

// TestAgentSelfDebugConfig: DebugConfig carries the fields clients read,
// and the agent can join itself at SerfAdvertiseAddrLAN (as Consul's
// TestAPI_AgentJoin does); Member is this agent.
func TestAgentSelfDebugConfig(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	self, err := c.Agent().Self()
	if err != nil {
		t.Fatalf("Agent.Self: %v", err)
	}
	dc := self["DebugConfig"]
	if dc["NodeName"] != ta.Config.NodeName || dc["Datacenter"] != "dc1" || dc["ServerMode"] != true {
		t.Errorf("DebugConfig NodeName %v, Datacenter %v, ServerMode %v; want %s, dc1, true",
			dc["NodeName"], dc["Datacenter"], dc["ServerMode"], ta.Config.NodeName)
	}
	// No gRPC, no mesh (numbers are float64 in JSON).
	if dc["GRPCPort"] != -1.0 || dc["GRPCTLSPort"] != -1.0 || dc["ConnectEnabled"] != false || dc["ACLsEnabled"] != false {
		t.Errorf("DebugConfig GRPCPort %v, GRPCTLSPort %v, ConnectEnabled %v, ACLsEnabled %v; want -1, -1, false, false",
			dc["GRPCPort"], dc["GRPCTLSPort"], dc["ConnectEnabled"], dc["ACLsEnabled"])
	}
	if https, ok := dc["HTTPSAddrs"].([]any); !ok || len(https) != 0 {
		t.Errorf("DebugConfig HTTPSAddrs = %v, want [] (no HTTPS listener)", dc["HTTPSAddrs"])
	}
	addr, _ := dc["SerfAdvertiseAddrLAN"].(string)
	if addr != "tcp://"+ta.SerfAddr() {
		t.Fatalf("DebugConfig SerfAdvertiseAddrLAN = %q, want tcp://%s", addr, ta.SerfAddr())
	}
	if err := c.Agent().Join(strings.TrimPrefix(addr, "tcp://"), false); err != nil {
		t.Errorf("Agent.Join(SerfAdvertiseAddrLAN): %v", err)
	}
	if m := self["Member"]; m["Name"] != ta.Config.NodeName {
		t.Errorf("Agent.Self()[Member][Name] = %v, want %s", m["Name"], ta.Config.NodeName)
	}
}

// TestAgentHost: /v1/agent/host reports the collection time, memory,
// CPUs, host name and the data dir's disk.
func TestAgentHost(t *testing.T) {
	t.Parallel()
	_, c := startDevAgent(t)
	host, err := c.Agent().Host()
	if err != nil {
		t.Fatalf("Agent.Host: %v", err)
	}
	if host["CollectionTime"] == nil {
		t.Errorf("Agent.Host() has no CollectionTime: %v", host)
	}
	if errs, _ := host["Errors"].([]any); len(errs) != 0 {
		t.Errorf("Agent.Host() Errors = %v, want none", errs)
	}
	mem, _ := host["Memory"].(map[string]any)
	if total, _ := mem["total"].(float64); total <= 0 {
		t.Errorf("Agent.Host() Memory = %v, want a total", mem)
	}
	if cpus, _ := host["CPU"].([]any); len(cpus) == 0 {
		t.Errorf("Agent.Host() CPU = %v, want at least one", host["CPU"])
	}
	if h, _ := host["Host"].(map[string]any); h["hostname"] == "" || h["hostname"] == nil {
		t.Errorf("Agent.Host() Host = %v, want a hostname", h)
	}
	if d, _ := host["Disk"].(map[string]any); d["total"] == nil {
		t.Errorf("Agent.Host() Disk = %v, want a total", d)
	}
}
