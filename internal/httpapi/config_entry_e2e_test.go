package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	consulapi "github.com/hashicorp/consul/api"
)

func ptr[T any](v T) *T { return &v }

// fullServiceDefaults sets every field of Consul's ServiceConfigEntry that
// Concord keeps, mesh settings included, so a round trip shows that none
// is lost or changed.
func fullServiceDefaults(name string) *consulapi.ServiceConfigEntry {
	phc := &consulapi.PassiveHealthCheck{Interval: 10 * time.Second, MaxFailures: 3,
		EnforcingConsecutive5xx: ptr[uint32](80), EnforcingConsecutiveGatewayFailure: ptr[uint32](70),
		Consecutive5xx: ptr[uint32](5), ConsecutiveGatewayFailure: ptr[uint32](4),
		MaxEjectionPercent: ptr[uint32](50), BaseEjectionTime: ptr(30 * time.Second)}
	return &consulapi.ServiceConfigEntry{
		Kind: consulapi.ServiceDefaults, Name: name, Protocol: "http",
		Mode:             consulapi.ProxyModeTransparent,
		TransparentProxy: &consulapi.TransparentProxyConfig{OutboundListenerPort: 15001, DialedDirectly: true},
		MutualTLSMode:    consulapi.MutualTLSModeStrict,
		MeshGateway:      consulapi.MeshGatewayConfig{Mode: consulapi.MeshGatewayModeLocal},
		Expose: consulapi.ExposeConfig{Checks: true, Paths: []consulapi.ExposePath{
			{ListenerPort: 21500, Path: "/metrics", LocalPathPort: 9102, Protocol: "http"}}},
		ExternalSNI: "web.example.com",
		UpstreamConfig: &consulapi.UpstreamConfiguration{
			Overrides: []*consulapi.UpstreamConfig{{Name: "db", Peer: "", EnvoyListenerJSON: `{"a":1}`,
				EnvoyClusterJSON: `{"b":2}`, Protocol: "grpc", ConnectTimeoutMs: 250,
				Limits: &consulapi.UpstreamLimits{MaxConnections: ptr(10), MaxPendingRequests: ptr(20),
					MaxConcurrentRequests: ptr(30), PassiveHealthCheck: phc},
				PassiveHealthCheck:         phc,
				MeshGateway:                consulapi.MeshGatewayConfig{Mode: consulapi.MeshGatewayModeRemote},
				BalanceOutboundConnections: "exact_balance"}},
			Defaults: &consulapi.UpstreamConfig{ConnectTimeoutMs: 1000, Protocol: "tcp"},
		},
		MaxInboundConnections: 5, LocalConnectTimeoutMs: 5000, LocalRequestTimeoutMs: 7000,
		BalanceInboundConnections: "exact_balance",
		RateLimits: &consulapi.RateLimits{InstanceLevel: consulapi.InstanceLevelRateLimits{
			RequestsPerSecond: 100, RequestsMaxBurst: 200,
			Routes: []consulapi.InstanceLevelRouteRateLimits{{PathPrefix: "/api", RequestsPerSecond: 10, RequestsMaxBurst: 20}}}},
		EnvoyExtensions: []consulapi.EnvoyExtension{{Name: "builtin/lua", Required: true,
			Arguments: map[string]any{"Script": "x", "Listener": "inbound"}, ConsulVersion: ">=1.15", EnvoyVersion: ">=1.25"}},
		Meta:                map[string]string{"owner": "team-a", "Mixed_Case": "kept"},
		MaxRequestHeadersKB: ptr[uint32](96),
	}
}

// fullProxyDefaults sets every field of Consul's ProxyConfigEntry.
func fullProxyDefaults() *consulapi.ProxyConfigEntry {
	return &consulapi.ProxyConfigEntry{
		Kind: consulapi.ProxyDefaults, Name: consulapi.ProxyConfigGlobal,
		Mode:             consulapi.ProxyModeDirect,
		TransparentProxy: &consulapi.TransparentProxyConfig{OutboundListenerPort: 15001},
		MutualTLSMode:    consulapi.MutualTLSModePermissive,
		Config:           map[string]any{"protocol": "http", "local_connect_timeout_ms": 1000.0, "Nested": map[string]any{"Key_A": []any{"v", 2.0}}},
		MeshGateway:      consulapi.MeshGatewayConfig{Mode: consulapi.MeshGatewayModeNone},
		Expose:           consulapi.ExposeConfig{Checks: true},
		AccessLogs: &consulapi.AccessLogsConfig{Enabled: true, DisableListenerLogs: true, Type: consulapi.FileLogSinkType,
			Path: "/var/log/envoy.log", TextFormat: "%START_TIME%"},
		EnvoyExtensions:      []consulapi.EnvoyExtension{{Name: "builtin/wasm", Arguments: map[string]any{"a": "b"}}},
		FailoverPolicy:       &consulapi.ServiceResolverFailoverPolicy{Mode: "order-by-locality", Regions: []string{"us-east-1"}},
		PrioritizeByLocality: &consulapi.ServiceResolverPrioritizeByLocality{Mode: "failover"},
		Meta:                 map[string]string{"k": "v"},
	}
}

// asJSON shows v, pointers followed, for a failure message.
func asJSON(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(data)
}

// TestConfigEntriesThroughTheGoClient drives service-defaults and
// proxy-defaults through Consul's client: every field round-trips with
// indexes added; CAS sets and deletes need the current ModifyIndex; a
// write that changes nothing answers true; lists are by name; a missing
// entry is Consul's 404.
func TestConfigEntriesThroughTheGoClient(t *testing.T) {
	t.Parallel()
	_, c := startDevAgent(t)
	ce := c.ConfigEntries()

	web := fullServiceDefaults("web")
	if ok, _, err := ce.Set(web, nil); err != nil || !ok {
		t.Fatalf("Set(web) = %v, %v", ok, err)
	}
	got, qm, err := ce.Get(consulapi.ServiceDefaults, "web", nil)
	if err != nil {
		t.Fatalf("Get(web) = %v", err)
	}
	read := got.(*consulapi.ServiceConfigEntry)
	if read.CreateIndex == 0 || read.ModifyIndex != read.CreateIndex || qm.LastIndex < read.ModifyIndex {
		t.Errorf("Get(web) indexes = %d/%d, X-Consul-Index %d; want equal, nonzero, index >= them",
			read.CreateIndex, read.ModifyIndex, qm.LastIndex)
	}
	want := *web
	want.CreateIndex, want.ModifyIndex = read.CreateIndex, read.ModifyIndex
	if !reflect.DeepEqual(read, &want) {
		t.Errorf("Get(web) =\n%s\nwant\n%s", asJSON(read), asJSON(&want))
	}

	proxy := fullProxyDefaults()
	if ok, _, err := ce.Set(proxy, nil); err != nil || !ok {
		t.Fatalf("Set(proxy-defaults) = %v, %v", ok, err)
	}
	got, _, err = ce.Get(consulapi.ProxyDefaults, consulapi.ProxyConfigGlobal, nil)
	if err != nil {
		t.Fatalf("Get(proxy-defaults) = %v", err)
	}
	readProxy := got.(*consulapi.ProxyConfigEntry)
	wantProxy := *proxy
	wantProxy.CreateIndex, wantProxy.ModifyIndex = readProxy.CreateIndex, readProxy.ModifyIndex
	if !reflect.DeepEqual(readProxy, &wantProxy) {
		t.Errorf("Get(proxy-defaults) =\n%s\nwant\n%s", asJSON(readProxy), asJSON(&wantProxy))
	}

	// CAS: 0 only creates; a stale index fails; the current one lands.
	web.Protocol = "grpc"
	if ok, _, err := ce.CAS(web, 0, nil); err != nil || ok {
		t.Errorf("CAS(web, 0) = %v, %v; want false", ok, err)
	}
	if ok, _, err := ce.CAS(web, read.ModifyIndex+100, nil); err != nil || ok {
		t.Errorf("CAS(web, stale) = %v, %v; want false", ok, err)
	}
	if ok, _, err := ce.CAS(web, read.ModifyIndex, nil); err != nil || !ok {
		t.Errorf("CAS(web, current) = %v, %v; want true", ok, err)
	}
	got, _, _ = ce.Get(consulapi.ServiceDefaults, "web", nil)
	updated := got.(*consulapi.ServiceConfigEntry)
	if updated.Protocol != "grpc" || updated.CreateIndex != read.CreateIndex || updated.ModifyIndex <= read.ModifyIndex {
		t.Errorf("after CAS: protocol %q, indexes %d/%d; want grpc, CreateIndex %d, a later ModifyIndex",
			updated.Protocol, updated.CreateIndex, updated.ModifyIndex, read.CreateIndex)
	}
	// Consul answers true for a write that would change nothing, even
	// with a stale index, and stores nothing.
	if ok, _, err := ce.CAS(web, 1, nil); err != nil || !ok {
		t.Errorf("CAS(unchanged, stale) = %v, %v; want true", ok, err)
	}
	if got, _, _ = ce.Get(consulapi.ServiceDefaults, "web", nil); got.GetModifyIndex() != updated.ModifyIndex {
		t.Errorf("unchanged write moved ModifyIndex %d -> %d", updated.ModifyIndex, got.GetModifyIndex())
	}

	// A list is by name; its entries are of their kinds.
	for _, name := range []string{"zeta", "Alpha", "mid"} {
		if _, _, err := ce.Set(&consulapi.ServiceConfigEntry{Kind: consulapi.ServiceDefaults, Name: name, Protocol: "TCP"}, nil); err != nil {
			t.Fatalf("Set(%s) = %v", name, err)
		}
	}
	list, _, err := ce.List(consulapi.ServiceDefaults, nil)
	if err != nil {
		t.Fatalf("List = %v", err)
	}
	var names []string
	for _, e := range list {
		names = append(names, e.GetName())
		if s, ok := e.(*consulapi.ServiceConfigEntry); ok && s.Name == "mid" && s.Protocol != "tcp" {
			t.Errorf("protocol of mid = %q, want it in lower case", s.Protocol)
		}
	}
	if strings.Join(names, ",") != "Alpha,mid,web,zeta" {
		t.Errorf("List names = %v, want Alpha,mid,web,zeta", names)
	}
	// ?filter selects on the entry's own fields (service-defaults only).
	list, _, err = ce.List(consulapi.ServiceDefaults, &consulapi.QueryOptions{Filter: `Protocol == "tcp"`})
	names = nil
	for _, e := range list {
		names = append(names, e.GetName())
	}
	if err != nil || strings.Join(names, ",") != "Alpha,mid,zeta" {
		t.Errorf("List with Protocol == tcp = %v, %v; want Alpha,mid,zeta", names, err)
	}

	// Deletes: a stale CAS fails, the current one deletes; Get is a 404.
	if ok, _, err := ce.DeleteCAS(consulapi.ServiceDefaults, "web", updated.ModifyIndex-1, nil); err != nil || ok {
		t.Errorf("DeleteCAS(stale) = %v, %v; want false", ok, err)
	}
	if ok, _, err := ce.DeleteCAS(consulapi.ServiceDefaults, "web", updated.ModifyIndex, nil); err != nil || !ok {
		t.Errorf("DeleteCAS(current) = %v, %v; want true", ok, err)
	}
	_, _, err = ce.Get(consulapi.ServiceDefaults, "web", nil)
	wantACLError(t, "Get(deleted)", err, http.StatusNotFound, `Config entry not found for "service-defaults" / "web"`)
	if _, err := ce.Delete(consulapi.ProxyDefaults, consulapi.ProxyConfigGlobal, nil); err != nil {
		t.Errorf("Delete(proxy-defaults) = %v", err)
	}
	if list, _, err := ce.List(consulapi.ProxyDefaults, nil); err != nil || len(list) != 0 {
		t.Errorf("List(proxy-defaults) after delete = %v, %v; want none", list, err)
	}
}

// TestConfigEntryListBlocks: a blocking list waits until an entry of its
// kind changes, and answers with the new index.
func TestConfigEntryListBlocks(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	ce := c.ConfigEntries()
	if _, _, err := ce.Set(&consulapi.ServiceConfigEntry{Kind: consulapi.ServiceDefaults, Name: "a"}, nil); err != nil {
		t.Fatalf("Set(a) = %v", err)
	}
	_, qm, err := ce.List(consulapi.ServiceDefaults, nil)
	if err != nil {
		t.Fatalf("List = %v", err)
	}
	hc, wrote := signalOnWrite()
	blocking := newConsulClient(t, ta.HTTPAddr(), hc).ConfigEntries()
	type result struct {
		list []consulapi.ConfigEntry
		meta *consulapi.QueryMeta
		err  error
	}
	done := make(chan result, 1)
	go func() {
		list, meta, err := blocking.List(consulapi.ServiceDefaults, &consulapi.QueryOptions{WaitIndex: qm.LastIndex, WaitTime: 20 * time.Second})
		done <- result{list, meta, err}
	}()
	waitSignal(t, wrote, "the blocking list")
	select {
	case r := <-done:
		t.Fatalf("blocking List returned before any change: %v, %v", r.list, r.err)
	default:
	}
	if _, _, err := ce.Set(&consulapi.ServiceConfigEntry{Kind: consulapi.ServiceDefaults, Name: "b"}, nil); err != nil {
		t.Fatalf("Set(b) = %v", err)
	}
	select {
	case r := <-done:
		if r.err != nil || len(r.list) != 2 || r.meta.LastIndex <= qm.LastIndex {
			t.Errorf("blocking List = %v (index %v), %v; want a and b at an index past %d", r.list, r.meta, r.err, qm.LastIndex)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("blocking List did not return after a write")
	}
}

// TestConfigEntryBadInput: what Consul refuses is a 400 with its text
// (unknown kinds, keys and values; a proxy-defaults entry not named
// global), a mesh kind is a 400 that says so, and a body in snake_case
// and any case is read as Consul reads it.
func TestConfigEntryBadInput(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	addr := ta.HTTPAddr()
	for _, tc := range []struct {
		name, method, path, body string
		code                     int
		text                     string
	}{
		{"mesh kind", "PUT", "/v1/config", `{"Kind": "service-resolver", "Name": "web"}`, 400, `kind "service-resolver" is not supported`},
		{"mesh kind get", "GET", "/v1/config/mesh/mesh", "", 400, `kind "mesh" is not supported`},
		{"mesh kind list", "GET", "/v1/config/ingress-gateway", "", 400, `kind "ingress-gateway" is not supported`},
		{"mesh kind delete", "DELETE", "/v1/config/service-intentions/web", "", 400, `kind "service-intentions" is not supported`},
		{"unknown kind", "PUT", "/v1/config", `{"Kind": "nope", "Name": "web"}`, 400, "invalid config entry kind: nope"},
		{"no kind", "PUT", "/v1/config", `{"Name": "web"}`, 400, "Payload does not contain a kind/Kind key"},
		{"not an object", "PUT", "/v1/config", `[1]`, 400, "Request decode failed"},
		{"unknown key", "PUT", "/v1/config", `{"Kind": "service-defaults", "Name": "web", "Protocl": "http"}`, 400, `invalid config key "Protocl"`},
		{"nested unknown key", "PUT", "/v1/config", `{"Kind": "service-defaults", "Name": "web", "MeshGateway": {"Mood": "local"}}`, 400, `invalid config key "MeshGateway.Mood"`},
		{"wrong type", "PUT", "/v1/config", `{"Kind": "service-defaults", "Name": "web", "MaxInboundConnections": "many"}`, 400, "MaxInboundConnections"},
		{"no name", "PUT", "/v1/config", `{"Kind": "service-defaults"}`, 400, "Name is required"},
		{"negative", "PUT", "/v1/config", `{"Kind": "service-defaults", "Name": "web", "MaxInboundConnections": -1}`, 400, "invalid value for maxinboundconnections"},
		{"balance", "PUT", "/v1/config", `{"Kind": "service-defaults", "Name": "web", "BalanceInboundConnections": "round"}`, 400, "invalid value for balance_inbound_connections"},
		{"mtls mode", "PUT", "/v1/config", `{"Kind": "proxy-defaults", "MutualTLSMode": "loose"}`, 400, "Invalid MutualTLSMode"},
		{"proxy name", "PUT", "/v1/config", `{"Kind": "proxy-defaults", "Name": "web"}`, 400, `invalid name ("web"), only "global" is supported`},
		{"proxy name delete", "DELETE", "/v1/config/proxy-defaults/web", "", 400, `invalid name ("web")`},
		{"destination", "PUT", "/v1/config", `{"Kind": "service-defaults", "Name": "web", "Destination": {"Addresses": ["*.x"], "Port": 0}}`, 400, "Invalid Port number 0"},
		{"namespace", "PUT", "/v1/config", `{"Kind": "service-defaults", "Name": "web", "Namespace": "team"}`, 400, "Enterprise"},
		{"bad cas", "PUT", "/v1/config?cas=x", `{"Kind": "service-defaults", "Name": "web"}`, 400, "Invalid cas"},
		{"filter on proxy-defaults", "GET", "/v1/config/proxy-defaults?filter=Mode%20%3D%3D%20direct", "", 400, "filtering not supported for config entry kind=proxy-defaults"},
		{"bad filter", "GET", "/v1/config/service-defaults?filter=%3D%3D", "", 400, "Failed to create boolean expression evaluator"},
		{"missing", "GET", "/v1/config/service-defaults/none", "", 404, `Config entry not found for "service-defaults" / "none"`},
	} {
		var body io.Reader
		if tc.body != "" {
			body = strings.NewReader(tc.body)
		}
		r := doRaw(t, addr, tc.method, tc.path, body)
		if r.Code != tc.code || !strings.Contains(string(r.Body), tc.text) {
			t.Errorf("%s: %s %s = %d %q, want %d with %q", tc.name, tc.method, tc.path, r.Code, truncate(r.Body), tc.code, tc.text)
		}
	}

	// snake_case and lower case, as HCL files and other clients write it;
	// a proxy-defaults entry without a name is the global one; keys in
	// Meta and Config stay as given.
	r := doRaw(t, addr, "PUT", "/v1/config", strings.NewReader(`{"kind": "service-defaults", "name": "web",
		"protocol": "HTTP", "mesh_gateway": {"mode": "local"}, "max_inbound_connections": 3,
		"upstream_config": {"defaults": {"connect_timeout_ms": 100, "passive_health_check": {"interval": "10s", "max_failures": 2}}},
		"meta": {"Some_Key": "v"}}`))
	wantStatus(t, "PUT snake_case", r, http.StatusOK)
	r = doRaw(t, addr, "PUT", "/v1/config", strings.NewReader(`{"kind": "proxy-defaults", "config": {"Mixed_Key": 1}}`))
	wantStatus(t, "PUT proxy-defaults without a name", r, http.StatusOK)
	got, _, err := c.ConfigEntries().Get(consulapi.ServiceDefaults, "web", nil)
	if err != nil {
		t.Fatalf("Get(web) = %v", err)
	}
	s := got.(*consulapi.ServiceConfigEntry)
	def := s.UpstreamConfig.Defaults
	if s.Protocol != "http" || s.MeshGateway.Mode != "local" || s.MaxInboundConnections != 3 || s.Meta["Some_Key"] != "v" ||
		def.ConnectTimeoutMs != 100 || def.PassiveHealthCheck.Interval != 10*time.Second || def.PassiveHealthCheck.MaxFailures != 2 {
		t.Errorf("snake_case entry read back as %s", asJSON(s))
	}
	got, _, err = c.ConfigEntries().Get(consulapi.ProxyDefaults, consulapi.ProxyConfigGlobal, nil)
	if err != nil || got.GetName() != "global" || got.(*consulapi.ProxyConfigEntry).Config["Mixed_Key"] != 1.0 {
		t.Errorf("proxy-defaults read back as %s, %v", asJSON(got), err)
	}
}

// TestConfigEntryACLs: Consul's rules. A service-defaults entry needs
// service:write on its name to write and service:read to read (a Get is
// refused, a list leaves it out); proxy-defaults needs operator:write to
// write and anyone may read it.
func TestConfigEntryACLs(t *testing.T) {
	t.Parallel()
	ta, root, rootACL := bootstrappedACLAgent(t)
	addr := ta.HTTPAddr()
	tokenFor := func(name, rules string) string {
		t.Helper()
		p, _, err := rootACL.PolicyCreate(&consulapi.ACLPolicy{Name: name, Rules: rules}, nil)
		if err != nil {
			t.Fatalf("PolicyCreate(%s) = %v", rules, err)
		}
		tok, _, err := rootACL.TokenCreate(&consulapi.ACLToken{Policies: []*consulapi.ACLTokenPolicyLink{{ID: p.ID}}}, nil)
		if err != nil {
			t.Fatalf("TokenCreate = %v", err)
		}
		return tok.SecretID
	}
	client := func(token string) *consulapi.ConfigEntries {
		c, err := consulapi.NewClient(&consulapi.Config{Address: addr, Token: token})
		if err != nil {
			t.Fatalf("NewClient = %v", err)
		}
		return c.ConfigEntries()
	}
	admin := client(root.SecretID)
	webWriter := client(tokenFor("web-writer", `service "web" { policy = "write" }`))
	operator := client(tokenFor("operator", `operator = "write"`))
	anonymous := client("")

	web := &consulapi.ServiceConfigEntry{Kind: consulapi.ServiceDefaults, Name: "web", Protocol: "http"}
	db := &consulapi.ServiceConfigEntry{Kind: consulapi.ServiceDefaults, Name: "db", Protocol: "tcp"}
	proxy := &consulapi.ProxyConfigEntry{Kind: consulapi.ProxyDefaults, Name: consulapi.ProxyConfigGlobal, Config: map[string]any{"a": "b"}}

	if _, _, err := webWriter.Set(web, nil); err != nil {
		t.Errorf("web writer Set(web) = %v", err)
	}
	_, _, err := webWriter.Set(db, nil)
	wantACLError(t, "web writer Set(db)", err, http.StatusForbidden, `lacks permission 'service:write' on "db"`)
	_, _, err = webWriter.Set(proxy, nil)
	wantACLError(t, "web writer Set(proxy-defaults)", err, http.StatusForbidden, "lacks permission 'operator:write'")
	if _, _, err := operator.Set(proxy, nil); err != nil {
		t.Errorf("operator Set(proxy-defaults) = %v", err)
	}
	_, err = operator.Delete(consulapi.ServiceDefaults, "web", nil)
	wantACLError(t, "operator Delete(web)", err, http.StatusForbidden, `lacks permission 'service:write' on "web"`)
	if _, _, err := admin.Set(db, nil); err != nil {
		t.Errorf("management Set(db) = %v", err)
	}

	// Reads: proxy-defaults is open; a service's entry needs service:read.
	if _, _, err := anonymous.Get(consulapi.ProxyDefaults, consulapi.ProxyConfigGlobal, nil); err != nil {
		t.Errorf("anonymous Get(proxy-defaults) = %v", err)
	}
	_, _, err = anonymous.Get(consulapi.ServiceDefaults, "web", nil)
	wantACLError(t, "anonymous Get(web)", err, http.StatusForbidden, `lacks permission 'service:read' on "web"`)
	if _, _, err := webWriter.Get(consulapi.ServiceDefaults, "web", nil); err != nil {
		t.Errorf("web writer Get(web) = %v", err)
	}
	list, qm, err := webWriter.List(consulapi.ServiceDefaults, nil)
	if err != nil || len(list) != 1 || list[0].GetName() != "web" || !qm.ResultsFilteredByACLs {
		t.Errorf("web writer List = %v (filtered %v), %v; want only web, marked filtered", list, qm != nil && qm.ResultsFilteredByACLs, err)
	}
	if list, _, err := admin.List(consulapi.ServiceDefaults, nil); err != nil || len(list) != 2 {
		t.Errorf("management List = %v, %v; want db and web", list, err)
	}
}
