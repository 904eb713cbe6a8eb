package httpapi_test

// End-to-end tests of /v1/catalog: registration and deregistration of
// nodes, services and checks, the reads the Consul client makes, blocking
// reads, and the anti-entropy repair of the agent's own node.
//
// Repair of a running agent's entries changed behind its back happens only
// on the periodic full sync (one minute, not configurable); a local change
// pushes only the entries it touched. That path is tested in
// internal/local (TestSyncFullRepairsCatalog and friends); here the full
// sync an agent runs at start repairs the catalog after a restart.

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	consulapi "github.com/hashicorp/consul/api"

	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/testutil"
)

// catalogRegister registers reg through the Consul client.
func catalogRegister(t *testing.T, c *consulapi.Client, reg *consulapi.CatalogRegistration) {
	t.Helper()
	if _, err := c.Catalog().Register(reg, nil); err != nil {
		t.Fatalf("Catalog.Register(node %s): %v", reg.Node, err)
	}
}

// catalogDeregister deregisters dereg through the Consul client.
func catalogDeregister(t *testing.T, c *consulapi.Client, dereg *consulapi.CatalogDeregistration) {
	t.Helper()
	if _, err := c.Catalog().Deregister(dereg, nil); err != nil {
		t.Fatalf("Catalog.Deregister(%+v): %v", dereg, err)
	}
}

// catalogInstance registers service instance id of name on node, with
// tags and one service check in status (none when status is "").
func catalogInstance(t *testing.T, c *consulapi.Client, node, name, id string, tags []string, status string) {
	t.Helper()
	reg := &consulapi.CatalogRegistration{
		Node: node, Address: "10.0.0.1",
		Service: &consulapi.AgentService{ID: id, Service: name, Tags: tags, Port: 80},
	}
	if status != "" {
		reg.Check = &consulapi.AgentCheck{Node: node, CheckID: "check:" + id, Name: "check of " + id, Status: status, ServiceID: id}
	}
	catalogRegister(t, c, reg)
}

// waitCatalogCheck waits until node's check id in the catalog
// (/v1/health/node) has status and an output containing output.
func waitCatalogCheck(t *testing.T, c *consulapi.Client, node, id, status, output string) *consulapi.HealthCheck {
	t.Helper()
	var got *consulapi.HealthCheck
	testutil.Run(t, syncWait, func(r *testutil.R) {
		list, _, err := c.Health().Node(node, nil)
		if err != nil {
			r.Fatalf("Health.Node(%s): %v", node, err)
		}
		got = findCheck(list, id)
		if got == nil || got.Status != status || !strings.Contains(got.Output, output) {
			r.Fatalf("Health.Node(%s) check %q = %+v, want status %q with output containing %q", node, id, got, status, output)
		}
	})
	return got
}

// waitCatalogNodeChecks waits until the catalog holds exactly the check IDs
// want for node (order ignored).
func waitCatalogNodeChecks(t *testing.T, c *consulapi.Client, node string, want ...string) {
	t.Helper()
	slices.Sort(want)
	testutil.Run(t, syncWait, func(r *testutil.R) {
		list, _, err := c.Health().Node(node, nil)
		if err != nil {
			r.Fatalf("Health.Node(%s): %v", node, err)
		}
		var ids []string
		for _, hc := range list {
			ids = append(ids, hc.CheckID)
		}
		slices.Sort(ids)
		if !slices.Equal(ids, want) {
			r.Fatalf("Health.Node(%s) check IDs = %q, want %q", node, ids, want)
		}
	})
}

// waitCatalogServiceIDs waits until /v1/catalog/service/<name> lists
// exactly the instance IDs want, and returns the instances.
func waitCatalogServiceIDs(t *testing.T, c *consulapi.Client, name string, want ...string) []*consulapi.CatalogService {
	t.Helper()
	slices.Sort(want)
	var list []*consulapi.CatalogService
	testutil.Run(t, syncWait, func(r *testutil.R) {
		var err error
		list, _, err = c.Catalog().Service(name, "", nil)
		if err != nil {
			r.Fatalf("Catalog.Service(%s): %v", name, err)
		}
		var ids []string
		for _, s := range list {
			ids = append(ids, s.ServiceID)
		}
		slices.Sort(ids)
		if !slices.Equal(ids, want) {
			r.Fatalf("Catalog.Service(%s) IDs = %q, want %q", name, ids, want)
		}
	})
	return list
}

// findCheck returns the check id of list, or nil.
func findCheck(list consulapi.HealthChecks, id string) *consulapi.HealthCheck {
	for _, hc := range list {
		if hc.CheckID == id {
			return hc
		}
	}
	return nil
}

// checkIDs returns the IDs of list, in its order.
func checkIDs(list consulapi.HealthChecks) []string {
	var ids []string
	for _, hc := range list {
		ids = append(ids, hc.CheckID)
	}
	return ids
}

func TestCatalogDatacenters(t *testing.T) {
	t.Parallel()
	_, c := startDevAgent(t)
	dcs, err := c.Catalog().Datacenters()
	if err != nil || !slices.Equal(dcs, []string{"dc1"}) {
		t.Errorf("Catalog.Datacenters() = %q, %v; want [dc1]", dcs, err)
	}
}

func TestCatalogRegisterDeregister(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	catalogRegister(t, c, &consulapi.CatalogRegistration{
		Node: "cat-n1", Address: "10.0.0.1", NodeMeta: map[string]string{"rack": "r1"},
		TaggedAddresses: map[string]string{"wan": "198.51.100.1"},
		Service:         &consulapi.AgentService{ID: "db-1", Service: "db", Tags: []string{"primary"}, Port: 5432, Address: "10.0.0.11"},
		Checks: consulapi.HealthChecks{
			{CheckID: "db-1-alive", Name: "db alive", Status: consulapi.HealthPassing, ServiceID: "db-1", Output: "ok"},
			{CheckID: "disk", Name: "disk", Status: consulapi.HealthWarning},
		},
	})

	nodes, meta, err := c.Catalog().Nodes(nil)
	if err != nil {
		t.Fatalf("Catalog.Nodes: %v", err)
	}
	var names []string
	for _, n := range nodes {
		names = append(names, n.Node)
		if n.Node == "cat-n1" && (n.Address != "10.0.0.1" || n.Meta["rack"] != "r1" || n.TaggedAddresses["wan"] != "198.51.100.1" || n.Datacenter != "dc1") {
			t.Errorf("Catalog.Nodes() cat-n1 = %+v, want address 10.0.0.1, meta rack=r1, wan 198.51.100.1, dc1", n)
		}
	}
	if !slices.Contains(names, "cat-n1") || !slices.Contains(names, ta.Config.NodeName) {
		t.Errorf("Catalog.Nodes() = %q, want cat-n1 and the agent's node %q", names, ta.Config.NodeName)
	}
	if meta.LastIndex == 0 {
		t.Errorf("Catalog.Nodes() LastIndex = 0, want > 0")
	}

	cn, _, err := c.Catalog().Node("cat-n1", nil)
	if err != nil || cn == nil || cn.Node == nil {
		t.Fatalf("Catalog.Node(cat-n1) = %+v, %v", cn, err)
	}
	svc := cn.Services["db-1"]
	if cn.Node.Node != "cat-n1" || len(cn.Services) != 1 || svc == nil || svc.Service != "db" || svc.Port != 5432 || svc.Address != "10.0.0.11" {
		t.Errorf("Catalog.Node(cat-n1) = node %+v services %v, want db-1 (db, 5432, 10.0.0.11)", cn.Node, cn.Services)
	}
	checks, _, err := c.Health().Node("cat-n1", nil)
	if err != nil || len(checks) != 2 {
		t.Fatalf("Health.Node(cat-n1) = %d checks, %v; want 2", len(checks), err)
	}
	if hc := findCheck(checks, "db-1-alive"); hc == nil || hc.ServiceName != "db" || !slices.Equal(hc.ServiceTags, []string{"primary"}) || hc.Output != "ok" {
		t.Errorf("Health.Node(cat-n1) db-1-alive = %+v, want ServiceName db, ServiceTags [primary], output ok", hc)
	}

	// Deregister the check, then the service (with its checks), then the node.
	catalogDeregister(t, c, &consulapi.CatalogDeregistration{Node: "cat-n1", CheckID: "disk"})
	if checks, _, _ := c.Health().Node("cat-n1", nil); len(checks) != 1 || checks[0].CheckID != "db-1-alive" {
		t.Errorf("after deregistering check disk, Health.Node(cat-n1) = %q, want [db-1-alive]", checkIDs(checks))
	}
	catalogDeregister(t, c, &consulapi.CatalogDeregistration{Node: "cat-n1", ServiceID: "db-1"})
	if cn, _, _ := c.Catalog().Node("cat-n1", nil); cn == nil || len(cn.Services) != 0 {
		t.Errorf("after deregistering db-1, Catalog.Node(cat-n1) = %+v, want the node without services", cn)
	}
	if checks, _, _ := c.Health().Node("cat-n1", nil); len(checks) != 0 {
		t.Errorf("after deregistering db-1, Health.Node(cat-n1) = %q, want its check gone too", checkIDs(checks))
	}
	catalogRegister(t, c, &consulapi.CatalogRegistration{Node: "cat-n1", Address: "10.0.0.1",
		Service: &consulapi.AgentService{ID: "db-2", Service: "db"}})
	catalogDeregister(t, c, &consulapi.CatalogDeregistration{Node: "cat-n1"})
	if cn, _, err := c.Catalog().Node("cat-n1", nil); err != nil || cn != nil {
		t.Errorf("after deregistering node cat-n1, Catalog.Node(cat-n1) = %+v, %v; want nil", cn, err)
	}
	if list, _, _ := c.Catalog().Service("db", "", nil); len(list) != 0 {
		t.Errorf("after deregistering node cat-n1, Catalog.Service(db) = %d instances, want none", len(list))
	}
	r := doRaw(t, ta.HTTPAddr(), "GET", "/v1/catalog/node/cat-n1", nil)
	wantStatus(t, "GET /v1/catalog/node/cat-n1 (unknown)", r, 200)
	if strings.TrimSpace(string(r.Body)) != "null" {
		t.Errorf("GET /v1/catalog/node/<unknown> = %q, want null", r.Body)
	}
}

func TestCatalogRegisterErrors(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	tests := []struct {
		name string
		body string
	}{
		{"no node", `{"Address":"10.0.0.1"}`},
		{"bad check status", `{"Node":"bad","Address":"10.0.0.1","Check":{"CheckID":"c","Status":"sideways"}}`},
		{"check without ID or name", `{"Node":"bad","Address":"10.0.0.1","Check":{"Status":"passing"}}`},
		{"service without ID or name", `{"Node":"bad","Address":"10.0.0.1","Service":{"Port":80}}`},
		{"not JSON", `{"Node":`},
	}
	for _, tc := range tests {
		r := doRaw(t, ta.HTTPAddr(), "PUT", "/v1/catalog/register", strings.NewReader(tc.body))
		wantStatus(t, "PUT /v1/catalog/register ("+tc.name+")", r, 400)
	}
	if cn, _, _ := c.Catalog().Node("bad", nil); cn != nil {
		t.Errorf("after refused registrations, Catalog.Node(bad) = %+v, want nil", cn)
	}
	r := doRaw(t, ta.HTTPAddr(), "PUT", "/v1/catalog/deregister", strings.NewReader(`{}`))
	wantStatus(t, "PUT /v1/catalog/deregister without a node", r, 400)
}

// TestCatalogServices: /v1/catalog/services maps each name to the union of
// its instances' tags, [] (not null) when there are none.
func TestCatalogServices(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	catalogInstance(t, c, "svc-n1", "api", "api-1", []string{"a", "b"}, "")
	catalogInstance(t, c, "svc-n2", "api", "api-2", []string{"b", "c"}, "")
	catalogInstance(t, c, "svc-n2", "bare", "bare-1", nil, "")

	services, meta, err := c.Catalog().Services(nil)
	if err != nil {
		t.Fatalf("Catalog.Services: %v", err)
	}
	got := services["api"]
	slices.Sort(got)
	if !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("Catalog.Services()[api] = %q, want [a b c]", services["api"])
	}
	if tags, ok := services["bare"]; !ok || len(tags) != 0 {
		t.Errorf("Catalog.Services()[bare] = %q (present %v), want []", tags, ok)
	}
	if meta.LastIndex == 0 {
		t.Errorf("Catalog.Services() LastIndex = 0")
	}
	r := doRaw(t, ta.HTTPAddr(), "GET", "/v1/catalog/services", nil)
	wantStatus(t, "GET /v1/catalog/services", r, 200)
	var raw map[string]json.RawMessage
	decodeJSON(t, "catalog services", r.Body, &raw)
	if got := strings.TrimSpace(string(raw["bare"])); got != "[]" {
		t.Errorf("GET /v1/catalog/services: \"bare\" = %s, want []", got)
	}
}

// TestCatalogServiceTags: /v1/catalog/service/<name>?tag=..&tag=.. keeps
// the instances carrying every tag.
func TestCatalogServiceTags(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	catalogInstance(t, c, "tag-n1", "api", "api-ab", []string{"a", "b"}, "")
	catalogInstance(t, c, "tag-n2", "api", "api-bc", []string{"b", "c"}, "")
	catalogInstance(t, c, "tag-n3", "api", "api-none", nil, "")

	ids := func(list []*consulapi.CatalogService) []string {
		var out []string
		for _, s := range list {
			out = append(out, s.ServiceID)
		}
		slices.Sort(out)
		return out
	}
	tests := []struct {
		tags []string
		want []string
	}{
		{nil, []string{"api-ab", "api-bc", "api-none"}},
		{[]string{"a"}, []string{"api-ab"}},
		{[]string{"b"}, []string{"api-ab", "api-bc"}},
		{[]string{"a", "b"}, []string{"api-ab"}},
		{[]string{"a", "c"}, nil},
		{[]string{"zzz"}, nil},
	}
	for _, tc := range tests {
		list, _, err := c.Catalog().ServiceMultipleTags("api", tc.tags, nil)
		if err != nil {
			t.Fatalf("Catalog.ServiceMultipleTags(api, %q): %v", tc.tags, err)
		}
		if got := ids(list); !slices.Equal(got, tc.want) {
			t.Errorf("Catalog.ServiceMultipleTags(api, %q) = %q, want %q", tc.tags, got, tc.want)
		}
		if len(tc.tags) == 1 {
			list, _, err := c.Catalog().Service("api", tc.tags[0], nil)
			if got := ids(list); err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("Catalog.Service(api, %q) = %q, %v; want %q", tc.tags[0], got, err, tc.want)
			}
		}
	}

	r := doRaw(t, ta.HTTPAddr(), "GET", "/v1/catalog/service/api?tag=a&tag=b", nil)
	wantStatus(t, "GET /v1/catalog/service/api?tag=a&tag=b", r, 200)
	var raw []consulapi.CatalogService
	decodeJSON(t, "catalog service", r.Body, &raw)
	if len(raw) != 1 || raw[0].ServiceID != "api-ab" || raw[0].Node != "tag-n1" || raw[0].Address != "10.0.0.1" {
		t.Errorf("GET /v1/catalog/service/api?tag=a&tag=b = %s, want api-ab on tag-n1", truncate(r.Body))
	}
	r = doRaw(t, ta.HTTPAddr(), "GET", "/v1/catalog/service/no-such-service", nil)
	wantStatus(t, "GET /v1/catalog/service/no-such-service", r, 200)
	if strings.TrimSpace(string(r.Body)) != "[]" {
		t.Errorf("GET /v1/catalog/service/<unknown> = %q, want []", r.Body)
	}
	if r.Header.Get("X-Consul-Index") == "" || r.Header.Get("X-Consul-Index") == "0" {
		t.Errorf("GET /v1/catalog/service/<unknown> X-Consul-Index = %q, want >= 1", r.Header.Get("X-Consul-Index"))
	}
}

// TestCatalogServiceBlocking: a blocking /v1/catalog/service read returns
// as soon as an instance is registered, with a higher index.
func TestCatalogServiceBlocking(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	catalogInstance(t, c, "blk-n1", "blk", "blk-1", nil, "")
	_, meta, err := c.Catalog().Service("blk", "", nil)
	if err != nil {
		t.Fatalf("Catalog.Service(blk): %v", err)
	}

	type result struct {
		list []*consulapi.CatalogService
		meta *consulapi.QueryMeta
		err  error
	}
	hc, wrote := signalOnWrite()
	blocking := newConsulClient(t, ta.HTTPAddr(), hc)
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		list, m, err := blocking.Catalog().Service("blk", "", &consulapi.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: 30 * time.Second})
		done <- result{list, m, err}
	}()
	waitSignal(t, wrote, "the blocking read to be sent")
	// An instance of another service does not wake it; one of blk does.
	catalogInstance(t, c, "blk-n2", "other", "other-1", nil, "")
	catalogInstance(t, c, "blk-n2", "blk", "blk-2", nil, "")
	select {
	case res := <-done:
		if res.err != nil {
			t.Fatalf("blocking Catalog.Service(blk): %v", res.err)
		}
		if len(res.list) != 2 || res.meta.LastIndex <= meta.LastIndex {
			t.Errorf("blocking Catalog.Service(blk) = %d instances at index %d, want 2 at an index > %d", len(res.list), res.meta.LastIndex, meta.LastIndex)
		}
		if waited := time.Since(start); waited > 10*time.Second {
			t.Errorf("blocking Catalog.Service(blk) returned after %v, want it woken by the registration", waited)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("blocking Catalog.Service(blk) did not wake on a registration")
	}
}

// TestCatalogRepairedAfterRestart: while an agent is down, someone
// deregisters its service from the catalog and registers a stray service
// and check on its node. The full sync the agent runs when it starts must
// put the service back and remove the strays (but keep serfHealth).
func TestCatalogRepairedAfterRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := testutil.StartAgent(t, dir, nil)
	node := first.Config.NodeName
	c := newConsulClient(t, first.HTTPAddr(), nil)
	mustRegisterService(t, c, &consulapi.AgentServiceRegistration{ID: "owned", Name: "owned", Port: 9100,
		Check: &consulapi.AgentServiceCheck{TTL: "10m", Status: consulapi.HealthPassing}})
	waitCatalogNodeChecks(t, c, node, "serfHealth", "service:owned")

	// Changes behind the agent's back, on its own node.
	catalogDeregister(t, c, &consulapi.CatalogDeregistration{Node: node, ServiceID: "owned"})
	catalogRegister(t, c, &consulapi.CatalogRegistration{Node: node, Address: "127.0.0.1", SkipNodeUpdate: true,
		Service: &consulapi.AgentService{ID: "stray", Service: "stray", Port: 1},
		Checks: consulapi.HealthChecks{
			{CheckID: "stray-node-check", Name: "stray", Status: consulapi.HealthCritical},
			{CheckID: "stray-svc-check", Name: "stray svc", Status: consulapi.HealthPassing, ServiceID: "stray"},
		}})
	waitCatalogNodeChecks(t, c, node, "serfHealth", "stray-node-check", "stray-svc-check")
	first.Stop(t)

	second := restartAgent(t, dir, func(cfg *config.Config) { cfg.NodeName = node })
	c = newConsulClient(t, second.HTTPAddr(), nil)
	waitCatalogServiceIDs(t, c, "owned", "owned")
	testutil.Run(t, syncWait, func(r *testutil.R) {
		cn, _, err := c.Catalog().Node(node, nil)
		if err != nil || cn == nil {
			r.Fatalf("Catalog.Node(%s) = %v, %v", node, cn, err)
		}
		var ids []string
		for id := range cn.Services {
			if id != "consul" { // a server's own service entry, not the agent's
				ids = append(ids, id)
			}
		}
		if !slices.Equal(ids, []string{"owned"}) {
			r.Fatalf("after restart, Catalog.Node(%s) services = %q, want [owned] (stray removed by the start-up full sync)", node, ids)
		}
	})
	waitCatalogNodeChecks(t, c, node, "serfHealth", "service:owned")
}
