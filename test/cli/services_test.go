package cli_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/testutil"
)

// syncTimeout bounds the wait for the agent's anti-entropy to push a local
// change to the catalog; changes trigger a sync at once.
const syncTimeout = 10 * time.Second

// at runs `concord args[0] ... -http-addr=addr args[1:]...`: the address
// goes after the (sub)command names, which are the leading args without a
// dash.
func at(t *testing.T, addr string, args ...string) result {
	t.Helper()
	i := 0
	for i < len(args) && !strings.HasPrefix(args[i], "-") && i < 2 {
		i++
	}
	full := append(append(append([]string{}, args[:i]...), "-http-addr="+addr), args[i:]...)
	return concord(t, full...)
}

// catalogInstances returns GET /v1/catalog/service/<name>.
func catalogInstances(t *testing.T, addr, name string) []*api.CatalogService {
	t.Helper()
	var out []*api.CatalogService
	getJSON(t, addr, "/v1/catalog/service/"+name, &out)
	return out
}

// TestServicesRegisterDeregister registers services from flags and from an
// HCL file with a TTL check, sees them reach the catalog, and deregisters
// them again.
func TestServicesRegisterDeregister(t *testing.T) {
	t.Parallel()
	a := startDevAgent(t)
	file := writeFile(t, t.TempDir(), "api.hcl", `
service {
  name = "api"
  id   = "api-1"
  tags = ["blue"]
  port = 9000
  check {
    id    = "api-ttl"
    name  = "API heartbeat"
    ttl   = "30s"
  }
}
`)

	at(t, a.Addr, "services", "register", "-name=web", "-id=web-1", "-tag=v1", "-tag=http", "-port=8080",
		"-address=10.0.0.5", "-meta=team=edge").
		want(t, "services register -name=web ...", 0, "Registered service: web\n", "")
	at(t, a.Addr, "services", "register", file).want(t, "services register api.hcl", 0, "Registered service: api\n", "")

	// The agent knows the check at once.
	var checks map[string]*api.AgentCheck
	getJSON(t, a.Addr, "/v1/agent/checks", &checks)
	if c := checks["api-ttl"]; c == nil || c.ServiceID != "api-1" || c.Name != "API heartbeat" || c.Type != "ttl" {
		t.Errorf("after services register api.hcl, GET /v1/agent/checks[api-ttl] = %+v, want a ttl check of api-1", c)
	}

	// Anti-entropy puts both services, and the check, in the catalog.
	testutil.Run(t, syncTimeout, func(r *testutil.R) {
		res := at(t, a.Addr, "catalog", "services", "-tags")
		if want := "api         blue\nconsul\nweb         http,v1\n"; res.code != 0 || res.stdout != want {
			r.Fatalf("catalog services -tags = exit %d, stdout %q, stderr %q; want %q", res.code, res.stdout, res.stderr, want)
		}
	})
	web := catalogInstances(t, a.Addr, "web")
	if len(web) != 1 {
		t.Fatalf("GET /v1/catalog/service/web = %d instances, want 1", len(web))
	}
	got := web[0]
	if got.Node != "cli" || got.ServiceID != "web-1" || got.ServicePort != 8080 || got.ServiceAddress != "10.0.0.5" ||
		!reflect.DeepEqual(got.ServiceTags, []string{"v1", "http"}) || got.ServiceMeta["team"] != "edge" {
		t.Errorf("GET /v1/catalog/service/web = %+v, want web-1 on cli, 10.0.0.5:8080, tags [v1 http], meta team=edge", got)
	}
	testutil.Run(t, syncTimeout, func(r *testutil.R) {
		var hc []*api.HealthCheck
		getJSON(t, a.Addr, "/v1/health/checks/api", &hc)
		if len(hc) != 1 || hc[0].CheckID != "api-ttl" || hc[0].ServiceID != "api-1" {
			r.Fatalf("GET /v1/health/checks/api = %+v, want api-ttl of api-1", hc)
		}
	})
	at(t, a.Addr, "catalog", "nodes", "-service=api").stdoutHas(t, "catalog nodes -service=api", "\ncli ")

	at(t, a.Addr, "services", "deregister", "-id=web-1").
		want(t, "services deregister -id=web-1", 0, "Deregistered service: web-1\n", "")
	at(t, a.Addr, "services", "deregister", file).
		want(t, "services deregister api.hcl", 0, "Deregistered service: api-1\n", "")
	testutil.Run(t, syncTimeout, func(r *testutil.R) {
		if web, apis := catalogInstances(t, a.Addr, "web"), catalogInstances(t, a.Addr, "api"); len(web)+len(apis) != 0 {
			r.Fatalf("after deregistering, the catalog still holds web %+v and api %+v", web, apis)
		}
	})
	// Only the server's own "consul" service is left.
	at(t, a.Addr, "catalog", "services").want(t, "catalog services", 0, "consul\n", "")

	res := at(t, a.Addr, "services", "deregister", "-id=web-1")
	if res.code != 1 || !strings.HasPrefix(res.stderr, `Error! Cannot deregister service "web-1": Unexpected response code: 404`) {
		t.Errorf("services deregister -id=web-1 again = exit %d, stderr %q; want 1 and a 404", res.code, res.stderr)
	}
}

// stdoutHas checks that an invocation succeeded and printed sub.
func (res result) stdoutHas(t *testing.T, cmd, sub string) {
	t.Helper()
	if res.code != 0 || !strings.Contains(res.stdout, sub) {
		t.Errorf("concord %s = exit %d, stdout %q, stderr %q; want exit 0 and %q in stdout",
			cmd, res.code, res.stdout, res.stderr, sub)
	}
}

// TestMaintEndToEnd puts the node and a service in maintenance, lists them
// and takes them out again.
func TestMaintEndToEnd(t *testing.T) {
	t.Parallel()
	a := startDevAgent(t)
	at(t, a.Addr, "maint").want(t, "maint", 0, "", "")

	at(t, a.Addr, "maint", "-enable", "-reason", "kernel upgrade").
		want(t, "maint -enable -reason 'kernel upgrade'", 0, "Node maintenance is now enabled\n", "")
	at(t, a.Addr, "maint").want(t, "maint", 0, "Node:\n  Name:   cli\n  Reason: kernel upgrade\n\n", "")

	at(t, a.Addr, "services", "register", "-name=web").want(t, "services register -name=web", 0, "Registered service: web\n", "")
	at(t, a.Addr, "maint", "-enable", "-service=web", "-reason=deploy").
		want(t, "maint -enable -service=web", 0, "Service maintenance is now enabled for \"web\"\n", "")
	at(t, a.Addr, "maint").want(t, "maint", 0,
		"Node:\n  Name:   cli\n  Reason: kernel upgrade\n\nService:\n  ID:     web\n  Reason: deploy\n\n", "")

	// The maintenance checks reach the catalog, critical.
	testutil.Run(t, syncTimeout, func(r *testutil.R) {
		var critical []*api.HealthCheck
		getJSON(t, a.Addr, "/v1/health/state/critical", &critical)
		ids := map[string]bool{}
		for _, c := range critical {
			ids[c.CheckID] = true
		}
		if !ids["_node_maintenance"] || !ids["_service_maintenance:web"] {
			r.Fatalf("GET /v1/health/state/critical = %d checks %v, want both maintenance checks", len(critical), ids)
		}
	})

	at(t, a.Addr, "maint", "-disable", "-service=web").
		want(t, "maint -disable -service=web", 0, "Service maintenance is now disabled for \"web\"\n", "")
	at(t, a.Addr, "maint", "-disable").want(t, "maint -disable", 0, "Node maintenance is now disabled\n", "")
	at(t, a.Addr, "maint").want(t, "maint", 0, "", "")

	res := at(t, a.Addr, "maint", "-enable", "-service=nope")
	if res.code != 1 || !strings.HasPrefix(res.stderr, `Error! Cannot enable maintenance for service "nope": Unexpected response code: 404`) {
		t.Errorf("maint -enable -service=nope = exit %d, stderr %q; want 1 and a 404", res.code, res.stderr)
	}
}

// TestCatalogNodesDatacenters lists the dev agent's datacenter and node.
func TestCatalogNodesDatacenters(t *testing.T) {
	t.Parallel()
	a := startDevAgent(t)
	at(t, a.Addr, "catalog", "datacenters").want(t, "catalog datacenters", 0, "dc1\n", "")

	var nodes []*api.Node
	if getJSON(t, a.Addr, "/v1/catalog/nodes", &nodes) != http.StatusOK || len(nodes) != 1 {
		t.Fatalf("GET /v1/catalog/nodes = %+v, want the agent's node", nodes)
	}
	n := nodes[0]
	shortID, _, _ := strings.Cut(n.ID, "-")

	res := at(t, a.Addr, "catalog", "nodes")
	lines := strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n")
	if res.code != 0 || len(lines) != 2 ||
		!reflect.DeepEqual(strings.Fields(lines[0]), []string{"Node", "ID", "Address", "DC"}) ||
		!reflect.DeepEqual(strings.Fields(lines[1]), []string{"cli", shortID, n.Address, "dc1"}) {
		t.Errorf("catalog nodes = exit %d, stdout %q, stderr %q; want a header and cli %s %s dc1",
			res.code, res.stdout, res.stderr, shortID, n.Address)
	}

	res = at(t, a.Addr, "catalog", "nodes", "-detailed")
	lines = strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n")
	wantRow := []string{"cli", n.ID, n.Address, "dc1", "lan=" + n.Address + ","}
	if res.code != 0 || len(lines) != 2 ||
		!reflect.DeepEqual(strings.Fields(lines[0]), []string{"Node", "ID", "Address", "DC", "TaggedAddresses", "Meta"}) ||
		len(strings.Fields(lines[1])) < len(wantRow) ||
		!reflect.DeepEqual(strings.Fields(lines[1])[:len(wantRow)], wantRow) {
		t.Errorf("catalog nodes -detailed = exit %d, stdout %q, stderr %q; want a header and a row starting %q",
			res.code, res.stdout, res.stderr, wantRow)
	}

	at(t, a.Addr, "catalog", "nodes", "-node-meta=rack=r9").want(t, "catalog nodes -node-meta=rack=r9", 0, "",
		"No nodes match the given query - try expanding your search.\n")

	// The address and token also come from the environment.
	run{env: []string{"CONSUL_HTTP_ADDR=" + a.Addr}}.concord(t, "catalog", "datacenters").
		want(t, "CONSUL_HTTP_ADDR=... catalog datacenters", 0, "dc1\n", "")
	run{env: []string{"CONCORD_HTTP_ADDR=" + a.Addr, "CONSUL_HTTP_ADDR=127.0.0.1:1"}}.concord(t, "catalog", "datacenters").
		want(t, "CONCORD_HTTP_ADDR=... catalog datacenters", 0, "dc1\n", "")
}
