package httpapi_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	consulapi "github.com/hashicorp/consul/api"
)

// webProxy is a connect-proxy with most of its Proxy block set, as a tool
// that runs its own proxies would register it.
func webProxy() *consulapi.AgentService {
	return &consulapi.AgentService{
		Kind: consulapi.ServiceKindConnectProxy, ID: "web-proxy1", Service: "web-proxy", Port: 8001,
		Proxy: &consulapi.AgentServiceConnectProxyConfig{
			DestinationServiceName: "web", DestinationServiceID: "web1",
			LocalServiceAddress: "127.0.0.2", LocalServicePort: 8080,
			Mode:             consulapi.ProxyModeTransparent,
			TransparentProxy: &consulapi.TransparentProxyConfig{OutboundListenerPort: 808},
			Upstreams: []consulapi.Upstream{
				{DestinationName: "db", LocalBindPort: 9191, Config: map[string]any{"connect_timeout_ms": float64(1000)}},
				{DestinationType: consulapi.UpstreamDestTypePreparedQuery, DestinationName: "geo", LocalBindPort: 8181},
			},
		},
	}
}

// TestCatalogKeepsMeshBlocks: a proxy registered in the catalog is listed
// with its Kind and Proxy block as registered (node, node services,
// service and health listings); a typical service has Consul's empty
// Proxy and Connect blocks. A connect-proxy without a destination is a 400.
func TestCatalogKeepsMeshBlocks(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	cat := c.Catalog()
	proxy := webProxy()
	if _, err := cat.Register(&consulapi.CatalogRegistration{Node: "ext", Address: "10.0.0.9", Service: proxy}, nil); err != nil {
		t.Fatalf("Register(proxy): %v", err)
	}
	if _, err := cat.Register(&consulapi.CatalogRegistration{Node: "ext", Address: "10.0.0.9",
		Service: &consulapi.AgentService{ID: "web1", Service: "web", Port: 8080}}, nil); err != nil {
		t.Fatalf("Register(web): %v", err)
	}

	node, _, err := cat.Node("ext", nil)
	if err != nil || node == nil {
		t.Fatalf("Node(ext) = %+v, %v", node, err)
	}
	got := node.Services["web-proxy1"]
	if got == nil || got.Kind != consulapi.ServiceKindConnectProxy || !reflect.DeepEqual(got.Proxy, proxy.Proxy) {
		t.Errorf("Node(ext) proxy = %+v, want Kind %s and Proxy %+v", got, proxy.Kind, proxy.Proxy)
	}
	if web := node.Services["web1"]; web == nil || !reflect.DeepEqual(web.Proxy, &consulapi.AgentServiceConnectProxyConfig{}) ||
		!reflect.DeepEqual(web.Connect, &consulapi.AgentServiceConnect{}) || web.Kind != "" {
		t.Errorf("Node(ext) web1 = %+v, want empty Proxy and Connect blocks", web)
	}
	list, _, err := cat.NodeServiceList("ext", nil)
	if err != nil || len(list.Services) != 2 {
		t.Fatalf("NodeServiceList(ext) = %+v, %v", list, err)
	}
	for _, s := range list.Services {
		if s.ID == "web-proxy1" && !reflect.DeepEqual(s.Proxy, proxy.Proxy) {
			t.Errorf("NodeServiceList(ext) proxy = %+v, want %+v", s.Proxy, proxy.Proxy)
		}
	}
	svcs, _, err := cat.Service("web-proxy", "", nil)
	if err != nil || len(svcs) != 1 || !reflect.DeepEqual(svcs[0].ServiceProxy, proxy.Proxy) {
		t.Errorf("Service(web-proxy) = %+v, %v; want the proxy with its Proxy block", svcs, err)
	}
	// The Go client has no ServiceKind; Consul's server sends it.
	var raw []map[string]any
	decodeJSON(t, "GET /v1/catalog/service/web-proxy", doRaw(t, ta.HTTPAddr(), "GET", "/v1/catalog/service/web-proxy", nil).Body, &raw)
	if len(raw) != 1 || raw[0]["ServiceKind"] != string(consulapi.ServiceKindConnectProxy) {
		t.Errorf("GET /v1/catalog/service/web-proxy = %v, want ServiceKind connect-proxy", raw)
	}
	entries, _, err := c.Health().Service("web-proxy", "", false, nil)
	if err != nil || len(entries) != 1 || !reflect.DeepEqual(entries[0].Service.Proxy, proxy.Proxy) {
		t.Errorf("Health().Service(web-proxy) = %+v, %v; want the proxy with its Proxy block", entries, err)
	}

	bad := webProxy()
	bad.Proxy.DestinationServiceName = ""
	_, err = cat.Register(&consulapi.CatalogRegistration{Node: "ext", Address: "10.0.0.9", Service: bad}, nil)
	if err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), "DestinationServiceName") {
		t.Errorf("Register(proxy without destination) = %v, want a 400 naming DestinationServiceName", err)
	}
}

// TestAgentKeepsMeshBlocks: a gateway and a proxy registered on the agent
// are shown by the agent with their Kind and Proxy block, and reach the
// catalog with them; a sidecar registration is refused (Concord registers
// no sidecars), as is an unknown kind.
func TestAgentKeepsMeshBlocks(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	agent := c.Agent()
	reg := &consulapi.AgentServiceRegistration{
		Kind: consulapi.ServiceKindConnectProxy, ID: "web-proxy1", Name: "web-proxy", Port: 8001,
		Proxy: webProxy().Proxy,
	}
	if err := agent.ServiceRegister(reg); err != nil {
		t.Fatalf("ServiceRegister(proxy): %v", err)
	}
	svc, _, err := agent.Service("web-proxy1", nil)
	if err != nil || svc.Kind != reg.Kind || !reflect.DeepEqual(svc.Proxy, reg.Proxy) || svc.Connect != nil {
		t.Fatalf("Agent.Service(web-proxy1) = %+v, %v; want Kind %s, Proxy %+v, no Connect", svc, err, reg.Kind, reg.Proxy)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		svcs, _, err := c.Catalog().Service("web-proxy", "", nil)
		if err == nil && len(svcs) == 1 && reflect.DeepEqual(svcs[0].ServiceProxy, reg.Proxy) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("catalog Service(web-proxy) = %+v, %v; want the proxy synced with its Proxy block", svcs, err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// snake_case, as in a config file; the upstream's Config keeps its keys.
	body := `{"kind":"connect-proxy","name":"db-proxy","port":9000,"proxy":{"destination_service_name":"db",
		"upstreams":[{"destination_name":"cache","local_bind_port":7000,"config":{"connect_timeout_ms":500}}]}}`
	wantStatus(t, "register db-proxy", doRaw(t, ta.HTTPAddr(), "PUT", "/v1/agent/service/register", strings.NewReader(body)), 200)
	svc, _, err = agent.Service("db-proxy", nil)
	wantProxy := &consulapi.AgentServiceConnectProxyConfig{DestinationServiceName: "db", Upstreams: []consulapi.Upstream{
		{DestinationName: "cache", LocalBindPort: 7000, Config: map[string]any{"connect_timeout_ms": float64(500)}}}}
	if err != nil || !reflect.DeepEqual(svc.Proxy, wantProxy) {
		t.Errorf("Agent.Service(db-proxy) = %+v, %v; want Proxy %+v", svc, err, wantProxy)
	}

	for name, bad := range map[string]*consulapi.AgentServiceRegistration{
		"sidecar": {Name: "api", Port: 80, Connect: &consulapi.AgentServiceConnect{
			SidecarService: &consulapi.AgentServiceRegistration{}}},
		"unknown kind":      {Kind: "sidecar-thing", Name: "odd", Port: 80},
		"proxy, no port":    {Kind: consulapi.ServiceKindConnectProxy, Name: "p", Proxy: &consulapi.AgentServiceConnectProxyConfig{DestinationServiceName: "web"}},
		"proxy, no address": {Kind: consulapi.ServiceKindConnectProxy, Name: "p", Port: 1},
	} {
		if err := agent.ServiceRegister(bad); err == nil || !strings.Contains(err.Error(), "400") {
			t.Errorf("ServiceRegister(%s) = %v, want a 400", name, err)
		}
	}
}

// TestCatalogCheckDefinition: a check registered in the catalog keeps its
// Definition (durations both ways the client reads them), takes its Type
// from it when none is given, and is read back so by /v1/health and
// /v1/txn; a node set through /v1/txn is in the agent's datacenter.
func TestCatalogCheckDefinition(t *testing.T) {
	t.Parallel()
	_, c := startDevAgent(t)
	def := consulapi.HealthCheckDefinition{
		TCP: "10.0.0.9:5432", IntervalDuration: 5 * time.Second, TimeoutDuration: time.Second,
		DeregisterCriticalServiceAfterDuration: time.Minute,
	}
	_, err := c.Catalog().Register(&consulapi.CatalogRegistration{Node: "ext", Address: "10.0.0.9",
		Checks: consulapi.HealthChecks{{CheckID: "pg", Name: "pg", Status: "passing", Definition: def}}}, nil)
	if err != nil {
		t.Fatalf("Register(check with definition): %v", err)
	}
	want := consulapi.HealthCheckDefinition{
		TCP: def.TCP, IntervalDuration: 5 * time.Second, Interval: consulapi.ReadableDuration(5 * time.Second),
		TimeoutDuration: time.Second, Timeout: consulapi.ReadableDuration(time.Second),
		DeregisterCriticalServiceAfterDuration: time.Minute, DeregisterCriticalServiceAfter: consulapi.ReadableDuration(time.Minute),
	}
	checks, _, err := c.Health().Node("ext", nil)
	if err != nil || len(checks) != 1 || checks[0].Type != "tcp" || !reflect.DeepEqual(checks[0].Definition, want) {
		t.Fatalf("Health().Node(ext) = %+v, %v; want Type tcp and Definition %+v", checks, err, want)
	}

	ok, resp, _, err := c.Txn().Txn(consulapi.TxnOps{
		{Node: &consulapi.NodeTxnOp{Verb: consulapi.NodeSet, Node: consulapi.Node{Node: "ext2", Address: "10.0.0.10"}}},
		{Check: &consulapi.CheckTxnOp{Verb: consulapi.CheckGet, Check: consulapi.HealthCheck{Node: "ext", CheckID: "pg"}}},
		{Service: &consulapi.ServiceTxnOp{Verb: consulapi.ServiceSet, Node: "ext2",
			Service: consulapi.AgentService{ID: "s1", Service: "s1", Port: 1}}},
	}, nil)
	if err != nil || !ok || len(resp.Results) != 3 {
		t.Fatalf("Txn = %v, %+v, %v", ok, resp, err)
	}
	if n := resp.Results[0].Node; n.Datacenter != "dc1" {
		t.Errorf("Txn node set: Datacenter %q, want dc1", n.Datacenter)
	}
	if ch := resp.Results[1].Check; ch.Type != "tcp" || !reflect.DeepEqual(ch.Definition, want) {
		t.Errorf("Txn check get = %+v, want Type tcp and Definition %+v", ch, want)
	}
	if s := resp.Results[2].Service; !reflect.DeepEqual(s.Proxy, &consulapi.AgentServiceConnectProxyConfig{}) ||
		!reflect.DeepEqual(s.Connect, &consulapi.AgentServiceConnect{}) {
		t.Errorf("Txn service set = %+v, want Consul's empty Proxy and Connect blocks", s)
	}
}
