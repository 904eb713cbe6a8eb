package cli

// These are unit tests of `concord services`, `concord catalog` and
// `concord maint` against fakeAgent, an httptest stand-in for the agent
// and catalog endpoints those commands use. End-to-end tests against a real
// agent live in test/cli.

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/concordhq/concord/api"
)

// fakeAgent is an in-memory agent: its own services and checks, and a
// fixed catalog to read.
type fakeAgent struct {
	mu       sync.Mutex
	services map[string]*api.AgentServiceRegistration // guarded by mu; by ID
	checks   map[string]*api.AgentCheck               // guarded by mu; by ID
	requests []*http.Request                          // guarded by mu
	tokens   []string                                 // guarded by mu; X-Consul-Token of each request
	fail     int                                      // when non-zero, every request gets this status

	// The catalog, read-only.
	nodes     []*api.Node
	instances map[string][]*api.CatalogService // by service name
}

// newFakeAgent starts a fakeAgent whose catalog holds two nodes (n1 with
// web and db, n2 with web) and returns it with its address.
func newFakeAgent(t *testing.T) (*fakeAgent, string) {
	t.Helper()
	n1 := &api.Node{ID: "1b662d97-1111-2222-3333-444455556666", Node: "n1", Address: "10.0.0.1", Datacenter: "dc1",
		TaggedAddresses: map[string]string{"wan": "1.2.3.4", "lan": "10.0.0.1"}, Meta: map[string]string{"rack": "r1", "os": "linux"}}
	n2 := &api.Node{ID: "9f00aa11-1111-2222-3333-444455556666", Node: "worker-two", Address: "10.0.0.22", Datacenter: "dc1",
		Meta: map[string]string{"rack": "r2"}}
	instance := func(n *api.Node, id, name string, tags ...string) *api.CatalogService {
		return &api.CatalogService{ID: n.ID, Node: n.Node, Address: n.Address, Datacenter: n.Datacenter,
			TaggedAddresses: n.TaggedAddresses, NodeMeta: n.Meta, ServiceID: id, ServiceName: name, ServiceTags: tags}
	}
	f := &fakeAgent{
		services: map[string]*api.AgentServiceRegistration{},
		checks:   map[string]*api.AgentCheck{},
		nodes:    []*api.Node{n1, n2},
		instances: map[string][]*api.CatalogService{
			"web": {instance(n1, "web-1", "web", "v2", "http"), instance(n1, "web-2", "web", "v1"), instance(n2, "web", "web", "v1")},
			"db":  {instance(n1, "db", "db")},
		},
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func (f *fakeAgent) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r)
	f.tokens = append(f.tokens, r.Header.Get("X-Consul-Token"))
	if f.fail != 0 {
		http.Error(w, "fake failure", f.fail)
		return
	}
	w.Header().Set("X-Consul-Index", "1")
	p, q := r.URL.Path, r.URL.Query()
	switch {
	case r.Method == "PUT" && p == "/v1/agent/service/register":
		var reg api.AgentServiceRegistration
		if err := json.NewDecoder(r.Body).Decode(&reg); err != nil || reg.Name == "" {
			http.Error(w, "Missing service name", http.StatusBadRequest)
			return
		}
		id := reg.ID
		if id == "" {
			id = reg.Name
		}
		f.services[id] = &reg
	case r.Method == "PUT" && strings.HasPrefix(p, "/v1/agent/service/deregister/"):
		id := strings.TrimPrefix(p, "/v1/agent/service/deregister/")
		if _, ok := f.services[id]; !ok {
			http.Error(w, "Unknown service ID "+id, http.StatusNotFound)
			return
		}
		delete(f.services, id)
	case r.Method == "PUT" && p == "/v1/agent/maintenance":
		f.maintLocked(w, q, nodeMaintCheckID, "")
	case r.Method == "PUT" && strings.HasPrefix(p, "/v1/agent/service/maintenance/"):
		id := strings.TrimPrefix(p, "/v1/agent/service/maintenance/")
		if _, ok := f.services[id]; !ok {
			http.Error(w, "Unknown service ID "+id, http.StatusNotFound)
			return
		}
		f.maintLocked(w, q, serviceMaintPrefix+id, id)
	case r.Method == "GET" && p == "/v1/agent/checks":
		writeJSON(w, f.checks)
	case r.Method == "GET" && p == "/v1/catalog/datacenters":
		writeJSON(w, []string{"dc1"})
	case r.Method == "GET" && p == "/v1/catalog/nodes":
		writeJSON(w, f.nodes)
	case r.Method == "GET" && p == "/v1/catalog/services":
		out := map[string][]string{}
		for name, list := range f.instances {
			out[name] = []string{}
			for _, s := range list {
				for _, tag := range s.ServiceTags {
					if !strings.Contains(","+strings.Join(out[name], ",")+",", ","+tag+",") {
						out[name] = append(out[name], tag)
					}
				}
			}
		}
		writeJSON(w, out)
	case r.Method == "GET" && strings.HasPrefix(p, "/v1/catalog/service/"):
		list := f.instances[strings.TrimPrefix(p, "/v1/catalog/service/")]
		if list == nil {
			list = []*api.CatalogService{}
		}
		writeJSON(w, list)
	case r.Method == "GET" && strings.HasPrefix(p, "/v1/catalog/node/"):
		writeJSON(w, f.catalogNodeLocked(strings.TrimPrefix(p, "/v1/catalog/node/")))
	default:
		http.NotFound(w, r)
	}
}

// maintLocked adds or removes the maintenance check id.
func (f *fakeAgent) maintLocked(w http.ResponseWriter, q map[string][]string, id, serviceID string) {
	switch first(q, "enable") {
	case "true":
		f.checks[id] = &api.AgentCheck{Node: "n1", CheckID: id, Status: api.HealthCritical,
			Notes: first(q, "reason"), ServiceID: serviceID, Type: "maintenance"}
	case "false":
		delete(f.checks, id)
	default:
		http.Error(w, "Missing value for enable", http.StatusBadRequest)
	}
}

// catalogNodeLocked is /v1/catalog/node/<name>: nil for an unknown node.
func (f *fakeAgent) catalogNodeLocked(name string) *api.CatalogNode {
	for _, n := range f.nodes {
		if n.Node != name {
			continue
		}
		cn := &api.CatalogNode{Node: n, Services: map[string]*api.NodeService{}}
		for _, list := range f.instances {
			for _, s := range list {
				if s.Node == name {
					cn.Services[s.ServiceID] = &api.NodeService{ID: s.ServiceID, Service: s.ServiceName, Tags: s.ServiceTags}
				}
			}
		}
		return cn
	}
	return nil
}

// registered returns a copy of the services registered on the fake.
func (f *fakeAgent) registered() map[string]api.AgentServiceRegistration {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]api.AgentServiceRegistration{}
	for id, reg := range f.services {
		out[id] = *reg
	}
	return out
}

// agentCase is one run of a command against a fresh fakeAgent.
type agentCase struct {
	name     string
	args     []string // after the subcommand and -http-addr; "$DIR" is a directory holding serviceFiles
	setup    func(f *fakeAgent)
	wantCode int
	wantOut  string // exact, or a prefix when it ends in "..."
	wantErr  string // exact, or a prefix when it ends in "..."
	check    func(t *testing.T, f *fakeAgent)
}

// serviceFiles are written to $DIR for each case.
var serviceFiles = map[string]string{
	"web.hcl": `
service {
  name = "web"
  id   = "web-1"
  tags = ["v1", "http"]
  port = 8080
  meta = { Team = "edge" }
  check {
    id  = "web-ttl"
    ttl = "30s"
  }
}
`,
	"two.json": `{"services": [
  {"name": "api", "port": 9000, "enable_tag_override": true},
  {"name": "cache", "id": "cache-1", "address": "10.1.1.1"}
]}`,
	"settings.hcl":  `log_level = "warn"`,
	"check.hcl":     "check {\n  name = \"lonely\"\n  ttl  = \"5s\"\n}\n",
	"broken.hcl":    `service { name = `,
	"nameless.json": `{"service": {"port": 1}}`,
}

// runAgentCases runs each case as `concord cmd... -http-addr=... args...`.
func runAgentCases(t *testing.T, cmd []string, tests []agentCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, addr := newFakeAgent(t)
			if tt.setup != nil {
				tt.setup(f)
			}
			dir := t.TempDir()
			for name, content := range serviceFiles {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			args := append(append([]string{}, cmd...), "-http-addr="+addr)
			for _, a := range tt.args {
				args = append(args, strings.ReplaceAll(a, "$DIR", dir))
			}
			checkRun(t, strings.Join(cmd, " ")+" "+strings.Join(tt.args, " "), "", args,
				outcome{tt.wantCode, tt.wantOut, tt.wantErr})
			if tt.check != nil {
				tt.check(t, f)
			}
		})
	}
}

// wantServices returns a check that the fake holds exactly regs, by ID.
func wantServices(regs map[string]api.AgentServiceRegistration) func(*testing.T, *fakeAgent) {
	return func(t *testing.T, f *fakeAgent) {
		t.Helper()
		if got := f.registered(); !reflect.DeepEqual(got, regs) {
			t.Errorf("after the command, services = %+v, want %+v", got, regs)
		}
	}
}

// wantNoRequest checks that the command failed before reaching the agent.
func wantNoRequest(t *testing.T, f *fakeAgent) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) > 0 {
		t.Errorf("the command sent %s %s, want no request", f.requests[0].Method, f.requests[0].URL)
	}
}

func TestServicesRegister(t *testing.T) {
	web := api.AgentServiceRegistration{ID: "web-1", Name: "web", Tags: []string{"v1", "http"}, Port: 8080,
		Meta: map[string]string{"Team": "edge"}, Check: &api.AgentServiceCheck{CheckID: "web-ttl", TTL: "30s"}}
	runAgentCases(t, []string{"services", "register"}, []agentCase{
		{
			name: "from flags",
			args: []string{"-name=web", "-id=web-1", "-tag=v1", "-tag", "http", "-address=10.0.0.5", "-port=80",
				"-meta=team=edge", "-meta", "env=prod"},
			wantOut: "Registered service: web\n",
			check: wantServices(map[string]api.AgentServiceRegistration{"web-1": {
				ID: "web-1", Name: "web", Tags: []string{"v1", "http"}, Address: "10.0.0.5", Port: 80,
				Meta: map[string]string{"team": "edge", "env": "prod"},
			}}),
		},
		{
			name:    "name only",
			args:    []string{"-name=web"},
			wantOut: "Registered service: web\n",
			check:   wantServices(map[string]api.AgentServiceRegistration{"web": {Name: "web"}}),
		},
		{
			name:    "hcl file with a check",
			args:    []string{"$DIR/web.hcl"},
			wantOut: "Registered service: web\n",
			check:   wantServices(map[string]api.AgentServiceRegistration{"web-1": web}),
		},
		{
			name:    "json file with a services list, and a second file",
			args:    []string{"$DIR/two.json", "$DIR/web.hcl"},
			wantOut: "Registered service: api\nRegistered service: cache\nRegistered service: web\n",
			check: wantServices(map[string]api.AgentServiceRegistration{
				"api":     {Name: "api", Port: 9000, EnableTagOverride: true},
				"cache-1": {ID: "cache-1", Name: "cache", Address: "10.1.1.1"},
				"web-1":   web,
			}),
		},
		{
			name:     "nothing to register",
			wantCode: 1,
			wantErr:  "Error! Service registration requires at least one FILE argument or the -name flag\n",
			check:    wantNoRequest,
		},
		{
			name:     "flags without a name",
			args:     []string{"-port=80"},
			wantCode: 1,
			wantErr:  "Error! Service registration requires at least one FILE argument or the -name flag\n",
			check:    wantNoRequest,
		},
		{
			name:     "flags and a file",
			args:     []string{"-name=web", "-tag=x", "$DIR/web.hcl"},
			wantCode: 1,
			wantErr:  "Error! Cannot mix service flags (-name, -tag) with FILE arguments\n",
			check:    wantNoRequest,
		},
		{
			name:     "bad meta",
			args:     []string{"-name=web", "-meta=nokey"},
			wantCode: 1,
			wantErr:  `invalid value "nokey" for flag -meta: must be key=value...`,
			check:    wantNoRequest,
		},
		{
			name:     "missing file",
			args:     []string{"$DIR/nope.hcl"},
			wantCode: 1,
			wantErr:  "Error! cannot read service definitions: config: ...",
			check:    wantNoRequest,
		},
		{
			name:     "syntax error",
			args:     []string{"$DIR/broken.hcl"},
			wantCode: 1,
			wantErr:  "Error! cannot read service definitions: ...",
			check:    wantNoRequest,
		},
		{
			name:     "service without a name",
			args:     []string{"$DIR/nameless.json"},
			wantCode: 1,
			wantErr:  "Error! cannot read service definitions: ...",
			check:    wantNoRequest,
		},
		{
			name:     "file without services",
			args:     []string{"$DIR/settings.hcl"},
			wantCode: 1,
			wantErr:  "Error! no service or services block in ...",
			check:    wantNoRequest,
		},
		{
			name:     "file with a lone check",
			args:     []string{"$DIR/check.hcl"},
			wantCode: 1,
			wantErr:  "Error! cannot register checks on their own: put each check in its service's block\n",
			check:    wantNoRequest,
		},
		{
			name:     "agent error",
			args:     []string{"-name=web"},
			setup:    func(f *fakeAgent) { f.fail = http.StatusForbidden },
			wantCode: 1,
			wantErr:  "Error! Cannot register service \"web\": Unexpected response code: 403 (fake failure)\n",
		},
	})
}

func TestServicesDeregister(t *testing.T) {
	seed := func(f *fakeAgent) {
		for _, reg := range []*api.AgentServiceRegistration{
			{ID: "web-1", Name: "web"}, {Name: "api"}, {ID: "cache-1", Name: "cache"}, {ID: "other", Name: "other"},
		} {
			id := reg.ID
			if id == "" {
				id = reg.Name
			}
			f.services[id] = reg
		}
	}
	runAgentCases(t, []string{"services", "deregister"}, []agentCase{
		{
			name:    "by id",
			args:    []string{"-id=web-1"},
			setup:   seed,
			wantOut: "Deregistered service: web-1\n",
			check: wantServices(map[string]api.AgentServiceRegistration{
				"api": {Name: "api"}, "cache-1": {ID: "cache-1", Name: "cache"}, "other": {ID: "other", Name: "other"},
			}),
		},
		{
			name:    "from files, by id or else name",
			args:    []string{"$DIR/web.hcl", "$DIR/two.json"},
			setup:   seed,
			wantOut: "Deregistered service: web-1\nDeregistered service: api\nDeregistered service: cache-1\n",
			check:   wantServices(map[string]api.AgentServiceRegistration{"other": {ID: "other", Name: "other"}}),
		},
		{
			name:     "unknown id",
			args:     []string{"-id=nope"},
			setup:    seed,
			wantCode: 1,
			wantErr:  "Error! Cannot deregister service \"nope\": Unexpected response code: 404 (Unknown service ID nope)\n",
		},
		{
			name:     "nothing to deregister",
			wantCode: 1,
			wantErr:  "Error! Service deregistration requires at least one FILE argument or the -id flag\n",
			check:    wantNoRequest,
		},
		{
			name:     "id and a file",
			args:     []string{"-id=web-1", "$DIR/web.hcl"},
			wantCode: 1,
			wantErr:  "Error! Give FILE arguments or -id, not both\n",
			check:    wantNoRequest,
		},
	})
}

// TestAgentCommandsHTTPFlags checks that the new commands take the shared
// -token flag and the address from the environment.
func TestAgentCommandsHTTPFlags(t *testing.T) {
	f, addr := newFakeAgent(t)
	t.Setenv("CONCORD_HTTP_ADDR", "")
	t.Setenv("CONSUL_HTTP_ADDR", addr)
	for _, args := range [][]string{
		{"catalog", "datacenters", "-token=secret"},
		{"catalog", "nodes", "-token=secret"},
		{"catalog", "services", "-token=secret"},
		{"maint", "-token=secret"},
		{"services", "register", "-token=secret", "-name=web"},
		{"services", "deregister", "-token=secret", "-id=web"},
	} {
		if code, _, errOut := run(t, "", args...); code != 0 {
			t.Errorf("CONSUL_HTTP_ADDR=%s concord %s: exit code %d, stderr %q", addr, strings.Join(args, " "), code, errOut)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.tokens) != 6 {
		t.Fatalf("the fake agent saw %d requests, want 6", len(f.tokens))
	}
	for i, tok := range f.tokens {
		if tok != "secret" {
			t.Errorf("request %d (%s) sent token %q, want %q", i, f.requests[i].URL.Path, tok, "secret")
		}
	}
}

func TestAgentCommandsUsage(t *testing.T) {
	for _, tt := range []struct {
		args  []string
		table []command
	}{
		{[]string{"services", "help"}, servicesCommands},
		{[]string{"catalog", "help"}, catalogCommands},
	} {
		code, out, _ := run(t, "", tt.args...)
		if code != 0 {
			t.Errorf("concord %s: exit code %d, want 0", strings.Join(tt.args, " "), code)
		}
		for _, c := range tt.table {
			if !strings.Contains(out, "    "+c.name+" ") {
				t.Errorf("concord %s: subcommand %q not listed in %q", strings.Join(tt.args, " "), c.name, out)
			}
		}
	}
	for _, args := range [][]string{{"services"}, {"catalog"}, {"services", "nope"}} {
		if code, _, errOut := run(t, "", args...); code != 1 || !strings.Contains(errOut, "Usage: concord "+args[0]) {
			t.Errorf("concord %s: exit code %d, stderr %q; want 1 and usage", strings.Join(args, " "), code, errOut)
		}
	}
	for _, args := range [][]string{{"services", "register", "-h"}, {"catalog", "nodes", "-h"}, {"maint", "-h"}} {
		if code, _, errOut := run(t, "", args...); code != 0 || !strings.Contains(errOut, "Usage: concord "+strings.Join(args[:len(args)-1], " ")) {
			t.Errorf("concord %s: exit code %d, stderr %q; want 0 and usage", strings.Join(args, " "), code, errOut)
		}
	}
}
