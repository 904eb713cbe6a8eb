package httpapi_test

// End-to-end tests of prepared queries (/v1/query) through the official
// Consul client and raw HTTP, on an in-process dev agent.

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	consulapi "github.com/hashicorp/consul/api"

	"github.com/concordhq/concord/internal/testutil"
)

// registerInstance registers node with address and one service instance,
// plus a check on it when status is not "".
func registerInstance(t *testing.T, c *consulapi.Client, node, addr string, svc *consulapi.AgentService, nodeMeta map[string]string, status string) {
	t.Helper()
	reg := &consulapi.CatalogRegistration{Datacenter: "dc1", Node: node, Address: addr, NodeMeta: nodeMeta, Service: svc,
		TaggedAddresses: map[string]string{"wan": "127.0.0.1"}}
	if status != "" {
		reg.Check = &consulapi.AgentCheck{Node: node, CheckID: "chk-" + node, Name: "chk", ServiceID: svc.ID, Status: status}
	}
	if _, err := c.Catalog().Register(reg, nil); err != nil {
		t.Fatalf("Register(%s): %v", node, err)
	}
}

// nodeNames returns the sorted node names of an execute result.
func nodeNames(res *consulapi.PreparedQueryExecuteResponse) []string {
	var names []string
	for _, n := range res.Nodes {
		names = append(names, n.Node.Node)
	}
	slices.Sort(names)
	return names
}

// execute runs a query through the client and returns its sorted nodes.
func execute(t *testing.T, c *consulapi.Client, idOrName string, q *consulapi.QueryOptions) []string {
	t.Helper()
	res, _, err := c.PreparedQuery().Execute(idOrName, q)
	if err != nil {
		t.Fatalf("Execute(%q): %v", idOrName, err)
	}
	return nodeNames(res)
}

// TestPreparedQueryLifecycle follows the official client's own test:
// create, read, list, update, execute by ID and by name, health and
// IgnoreCheckIDs, delete.
func TestPreparedQueryLifecycle(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	svc := &consulapi.AgentService{ID: "redis1", Service: "redis", Tags: []string{"primary", "v1"},
		Meta: map[string]string{"redis-version": "4.0"}, Port: 8000}
	registerInstance(t, c, "foobar", "192.168.10.10", svc, map[string]string{"somekey": "somevalue"}, "")

	def := &consulapi.PreparedQueryDefinition{Name: "test", Service: consulapi.ServiceQuery{
		Service: "redis", NodeMeta: map[string]string{"somekey": "somevalue"},
		ServiceMeta: map[string]string{"redis-version": "4.0"},
	}, DNS: consulapi.QueryDNSOptions{TTL: "10s"}}
	pq := c.PreparedQuery()
	id, _, err := pq.Create(def, nil)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	def.ID = id
	defs, _, err := pq.Get(id, nil)
	if err != nil || len(defs) != 1 || !reflect.DeepEqual(defs[0], def) {
		t.Fatalf("Get(%s) = %+v, %v; want [%+v]", id, defs, err, def)
	}
	defs, meta, err := pq.List(nil)
	if err != nil || len(defs) != 1 || !reflect.DeepEqual(defs[0], def) || meta.LastIndex == 0 {
		t.Fatalf("List = %+v (index %d), %v; want [%+v]", defs, meta.LastIndex, err, def)
	}

	def.Name = "my-query"
	if _, err := pq.Update(def, nil); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if defs, _, err = pq.Get(id, nil); err != nil || !reflect.DeepEqual(defs[0], def) {
		t.Fatalf("Get after update = %+v, %v; want %+v", defs, err, def)
	}

	for _, by := range []string{id, "my-query", "MY-QUERY"} {
		res, _, err := pq.Execute(by, nil)
		if err != nil {
			t.Fatalf("Execute(%s): %v", by, err)
		}
		if got := nodeNames(res); !slices.Equal(got, []string{"foobar"}) || res.Service != "redis" ||
			res.DNS.TTL != "10s" || res.Datacenter != "dc1" || res.Failovers != 0 {
			t.Fatalf("Execute(%s) = %+v (nodes %q)", by, res, got)
		}
		n := res.Nodes[0].Node
		if n.TaggedAddresses["wan"] != "127.0.0.1" || n.Datacenter != "dc1" {
			t.Errorf("Execute(%s) node = %+v, want its wan address and dc1", by, n)
		}
	}

	// An instance on a node whose check fails is left out, until the
	// query ignores that check.
	registerInstance(t, c, "failingnode", "192.168.10.11", svc, map[string]string{"somekey": "somevalue"}, "critical")
	if got := execute(t, c, id, nil); !slices.Equal(got, []string{"foobar"}) {
		t.Errorf("Execute with a failing instance = %q, want [foobar]", got)
	}
	def.Service.IgnoreCheckIDs = []string{"chk-failingnode"}
	if _, err := pq.Update(def, nil); err != nil {
		t.Fatalf("Update(IgnoreCheckIDs): %v", err)
	}
	if got := execute(t, c, id, nil); !slices.Equal(got, []string{"failingnode", "foobar"}) {
		t.Errorf("Execute ignoring the failing check = %q, want both", got)
	}
	var limited consulapi.PreparedQueryExecuteResponse
	r := doRaw(t, ta.HTTPAddr(), "GET", "/v1/query/"+id+"/execute?limit=1", nil)
	if err := json.Unmarshal(r.Body, &limited); err != nil || len(limited.Nodes) != 1 {
		t.Errorf("execute ?limit=1 = %s (%v), want one node", r.Body, err)
	}

	if _, err := pq.Delete(id, nil); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if defs, _, err = pq.List(nil); err != nil || len(defs) != 0 {
		t.Fatalf("List after delete = %+v, %v; want none", defs, err)
	}
	r = doRaw(t, ta.HTTPAddr(), "GET", "/v1/query", nil)
	if strings.TrimSpace(string(r.Body)) != "[]" {
		t.Errorf("GET /v1/query with no queries = %s, want []", r.Body)
	}
	for _, path := range []string{"/v1/query/" + id, "/v1/query/" + id + "/execute", "/v1/query/my-query/explain"} {
		r := doRaw(t, ta.HTTPAddr(), "GET", path, nil)
		wantStatus(t, "GET "+path, r, 404)
		if string(r.Body) != "Query not found" || r.Header.Get("X-Consul-Index") == "" {
			t.Errorf("GET %s = %q (index %q), want Query not found with an index", path, r.Body, r.Header.Get("X-Consul-Index"))
		}
	}
}

// TestPreparedQueryFilters: tags (with !tag, any case), node and service
// metadata, OnlyPassing, and ?near stored and accepted.
func TestPreparedQueryFilters(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	instances := []struct {
		node, status string
		tags         []string
		nodeMeta     map[string]string
		svcMeta      map[string]string
	}{
		{"a", "passing", []string{"Primary", "v1"}, map[string]string{"rack": "1"}, map[string]string{"ver": "1"}},
		{"b", "warning", []string{"primary", "v2"}, map[string]string{"rack": "1"}, map[string]string{"ver": "2"}},
		{"c", "passing", []string{"replica", "v1"}, map[string]string{"rack": "2"}, map[string]string{"ver": "1"}},
		{"d", "critical", []string{"primary"}, map[string]string{"rack": "1"}, nil},
	}
	for i, in := range instances {
		registerInstance(t, c, in.node, "10.0.0."+string(rune('1'+i)),
			&consulapi.AgentService{ID: "web", Service: "web", Tags: in.tags, Meta: in.svcMeta, Port: 80}, in.nodeMeta, in.status)
	}
	for _, tc := range []struct {
		name string
		svc  consulapi.ServiceQuery
		want []string
	}{
		{"all but critical", consulapi.ServiceQuery{Service: "web"}, []string{"a", "b", "c"}},
		{"only passing", consulapi.ServiceQuery{Service: "web", OnlyPassing: true}, []string{"a", "c"}},
		{"tag any case", consulapi.ServiceQuery{Service: "web", Tags: []string{"PRIMARY"}}, []string{"a", "b"}},
		{"not tag", consulapi.ServiceQuery{Service: "web", Tags: []string{"!primary"}}, []string{"c"}},
		{"tag and not tag", consulapi.ServiceQuery{Service: "web", Tags: []string{"v1", "!replica"}}, []string{"a"}},
		{"node meta", consulapi.ServiceQuery{Service: "web", NodeMeta: map[string]string{"rack": "1"}}, []string{"a", "b"}},
		{"service meta", consulapi.ServiceQuery{Service: "web", ServiceMeta: map[string]string{"ver": "1"}}, []string{"a", "c"}},
		{"near agent", consulapi.ServiceQuery{Service: "web", Near: "_agent",
			Failover: consulapi.QueryFailoverOptions{NearestN: 2, Datacenters: []string{"dc2"}}}, []string{"a", "b", "c"}},
		{"no instance", consulapi.ServiceQuery{Service: "nothing"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, _, err := c.PreparedQuery().Create(&consulapi.PreparedQueryDefinition{Name: "q-" + strings.ReplaceAll(tc.name, " ", "-"), Service: tc.svc}, nil)
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			if got := execute(t, c, id, nil); !slices.Equal(got, tc.want) {
				t.Errorf("Execute = %q, want %q", got, tc.want)
			}
			defs, _, err := c.PreparedQuery().Get(id, nil)
			if err != nil || !reflect.DeepEqual(defs[0].Service, tc.svc) {
				t.Errorf("Get().Service = %+v, %v; want %+v as stored", defs[0].Service, err, tc.svc)
			}
		})
	}
	// ?near is accepted, with a node or _agent.
	for _, near := range []string{"_agent", "a"} {
		if got := execute(t, c, "q-all-but-critical", &consulapi.QueryOptions{Near: near}); len(got) != 3 {
			t.Errorf("Execute(?near=%s) = %q, want 3 nodes", near, got)
		}
	}
	r := doRaw(t, ta.HTTPAddr(), "GET", "/v1/query/q-no-instance/execute", nil)
	wantStatus(t, "execute of a query with no instances", r, 200)
	var body map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &body); err != nil || string(body["Nodes"]) != "[]" {
		t.Errorf("execute with no instances = %s, want \"Nodes\": []", r.Body)
	}
}

// TestPreparedQueryTemplates: name_prefix_match templates with regexp
// captures, the longest prefix winning, static names before templates, a
// catch-all template, RemoveEmptyTags, and explain.
func TestPreparedQueryTemplates(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	for i, in := range []struct{ node, svc, tag string }{
		{"n1", "db", "east"}, {"n2", "db", "west"}, {"n3", "cache", "east"}, {"n4", "web", "east"}, {"n5", "mail", "east"},
	} {
		registerInstance(t, c, in.node, "10.0.1."+string(rune('1'+i)),
			&consulapi.AgentService{ID: in.svc, Service: in.svc, Tags: []string{in.tag}}, nil, "")
	}
	pq := c.PreparedQuery()
	create := func(def *consulapi.PreparedQueryDefinition) {
		t.Helper()
		if _, _, err := pq.Create(def, nil); err != nil {
			t.Fatalf("Create(%q): %v", def.Name, err)
		}
	}
	tmpl := func(re string) consulapi.QueryTemplate {
		return consulapi.QueryTemplate{Type: "name_prefix_match", Regexp: re}
	}
	// geo-<service>-<tag>
	create(&consulapi.PreparedQueryDefinition{Name: "geo-", Template: tmpl(`^geo-(.*?)-([^\-]+?)$`),
		Service: consulapi.ServiceQuery{Service: "${match(1)}", Tags: []string{"${match(2)}"}}})
	// A longer prefix for one service; ${name.suffix} is the tag.
	create(&consulapi.PreparedQueryDefinition{Name: "geo-cache-", Template: tmpl(""),
		Service: consulapi.ServiceQuery{Service: "cache", Tags: []string{"${name.suffix}"}}})
	// A static query inside a template's prefix.
	create(&consulapi.PreparedQueryDefinition{Name: "geo-db-fixed", Service: consulapi.ServiceQuery{Service: "web"}})
	// The catch-all: any other name is a service; an empty tag goes.
	create(&consulapi.PreparedQueryDefinition{Template: consulapi.QueryTemplate{Type: "name_prefix_match", Regexp: `^(\w+)(?:-(\w+))?$`, RemoveEmptyTags: true},
		Service: consulapi.ServiceQuery{Service: "${match(1)}", Tags: []string{"${match(2)}"}}})

	for name, want := range map[string][]string{
		"geo-db-east":    {"n1"},
		"geo-db-west":    {"n2"},
		"geo-cache-east": {"n3"},
		"geo-cache-west": nil,
		"geo-db-fixed":   {"n4"},
		"mail":           {"n5"},
		"db-west":        {"n2"},
	} {
		if got := execute(t, c, name, nil); !slices.Equal(got, want) {
			t.Errorf("Execute(%q) = %q, want %q", name, got, want)
		}
	}

	var explain struct {
		Query consulapi.PreparedQueryDefinition
	}
	r := doRaw(t, ta.HTTPAddr(), "GET", "/v1/query/geo-db-east/explain", nil)
	wantStatus(t, "explain geo-db-east", r, 200)
	if err := json.Unmarshal(r.Body, &explain); err != nil {
		t.Fatalf("explain body %s: %v", r.Body, err)
	}
	if q := explain.Query; q.Name != "geo-" || q.Service.Service != "db" || !slices.Equal(q.Service.Tags, []string{"east"}) {
		t.Errorf("explain geo-db-east = %+v, want the geo- template rendered as db/east", q)
	}
	r = doRaw(t, ta.HTTPAddr(), "GET", "/v1/query/mail/explain", nil)
	if err := json.Unmarshal(r.Body, &explain); err != nil || explain.Query.Service.Service != "mail" || len(explain.Query.Service.Tags) != 0 {
		t.Errorf("explain mail = %s, want service mail without the empty tag", r.Body)
	}
}

// TestPreparedQueryErrors: Consul's status codes and texts for bad
// definitions and unknown queries.
func TestPreparedQueryErrors(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	if _, _, err := c.PreparedQuery().Create(&consulapi.PreparedQueryDefinition{Name: "taken", Service: consulapi.ServiceQuery{Service: "s"}}, nil); err != nil {
		t.Fatalf("Create(taken): %v", err)
	}
	for _, tc := range []struct {
		name, method, path, body string
		code                     int
		want                     string
	}{
		{"no service", "POST", "/v1/query", `{"Name":"x"}`, 500, "Invalid prepared query: Must provide a Service name to query"},
		{"no name nor session", "POST", "/v1/query", `{"Service":{"Service":"s"}}`, 500, "Invalid prepared query: Must be bound to a session"},
		{"name taken", "POST", "/v1/query", `{"Name":"TAKEN","Service":{"Service":"s"}}`, 500, "name 'TAKEN' aliases an existing query name"},
		{"missing session", "POST", "/v1/query", `{"Session":"8d7e6b7c-0000-0000-0000-000000000000","Service":{"Service":"s"}}`, 500,
			`invalid session "8d7e6b7c-0000-0000-0000-000000000000"`},
		{"bad TTL", "POST", "/v1/query", `{"Name":"x","Service":{"Service":"s"},"DNS":{"TTL":"ten"}}`, 500, "Invalid prepared query: Bad DNS TTL 'ten'"},
		{"negative NearestN", "POST", "/v1/query", `{"Name":"x","Service":{"Service":"s","Failover":{"NearestN":-1}}}`, 500,
			"Invalid prepared query: Bad NearestN '-1', must be >= 0"},
		{"bad node meta", "POST", "/v1/query", `{"Name":"x","Service":{"Service":"s","NodeMeta":{"a b":"c"}}}`, 500, "Key contains invalid characters"},
		{"hidden token", "POST", "/v1/query", `{"Name":"x","Token":"<hidden>","Service":{"Service":"s"}}`, 500, "it looks like a query definition with a redacted token"},
		{"ID on create", "POST", "/v1/query", `{"ID":"abc","Name":"x","Service":{"Service":"s"}}`, 500, "ID must be empty when creating a new prepared query"},
		{"bad template type", "POST", "/v1/query", `{"Name":"x","Template":{"Type":"glob"},"Service":{"Service":"s"}}`, 500, "Bad Template.Type 'glob'"},
		{"bad regexp", "POST", "/v1/query", `{"Name":"x","Template":{"Type":"name_prefix_match","Regexp":"("},"Service":{"Service":"s"}}`, 500, "Bad Regexp"},
		{"bad variable", "POST", "/v1/query", `{"Name":"x","Template":{"Type":"name_prefix_match"},"Service":{"Service":"${name.bogus}"}}`, 500,
			"unknown variable accessed: name.bogus"},
		{"bad JSON", "POST", "/v1/query", `{"Name":`, 400, "Request decode failed"},
		{"update unknown", "PUT", "/v1/query/9e5d0000-0000-0000-0000-000000000000", `{"Name":"y","Service":{"Service":"s"}}`, 500,
			"Cannot modify non-existent prepared query: '9e5d0000-0000-0000-0000-000000000000'"},
		{"delete unknown", "DELETE", "/v1/query/9e5d0000-0000-0000-0000-000000000000", "", 500, "Cannot modify non-existent prepared query"},
		{"bad limit", "GET", "/v1/query/taken/execute?limit=x", "", 400, "Invalid limit"},
		{"other dc", "POST", "/v1/query?dc=dc9", `{"Name":"x","Service":{"Service":"s"}}`, 500, "No path to datacenter"},
		{"wrong method", "PUT", "/v1/query", "", 405, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := doRaw(t, ta.HTTPAddr(), tc.method, tc.path, strings.NewReader(tc.body))
			wantStatus(t, tc.method+" "+tc.path, r, tc.code)
			if !strings.Contains(string(r.Body), tc.want) {
				t.Errorf("%s %s = %q, want it to contain %q", tc.method, tc.path, r.Body, tc.want)
			}
		})
	}
	if defs, _, err := c.PreparedQuery().List(nil); err != nil || len(defs) != 1 {
		t.Errorf("List after the refused writes = %d queries, %v; want 1", len(defs), err)
	}
}

// TestPreparedQuerySessionBound: a query bound to a session goes when the
// session is destroyed.
func TestPreparedQuerySessionBound(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	var sess string
	testutil.Run(t, gossipTimeout, func(r *testutil.R) { // the agent's node must be in the catalog
		var err error
		if sess, _, err = c.Session().Create(nil, nil); err != nil {
			r.Fatalf("Session.Create: %v", err)
		}
	})
	id, _, err := c.PreparedQuery().Create(&consulapi.PreparedQueryDefinition{Session: sess, Service: consulapi.ServiceQuery{Service: "s"}}, nil)
	if err != nil {
		t.Fatalf("Create(session-bound): %v", err)
	}
	if _, err := c.PreparedQuery().Delete("9e5d0000-0000-0000-0000-000000000000", nil); err == nil {
		t.Fatal("Delete of an unknown query succeeded")
	}
	if _, err := c.Session().Destroy(sess, nil); err != nil {
		t.Fatalf("Session.Destroy: %v", err)
	}
	r := doRaw(t, ta.HTTPAddr(), "GET", "/v1/query/"+id, nil)
	wantStatus(t, "GET the query after its session ended", r, 404)
}

// TestPreparedQueryACL: query rules decide who writes and reads queries,
// and a query's token is shown only to tokens that may write ACLs.
func TestPreparedQueryACL(t *testing.T) {
	t.Parallel()
	ta, root, rootACL := bootstrappedACLAgent(t)
	client := func(token string) *consulapi.PreparedQuery {
		c, err := consulapi.NewClient(&consulapi.Config{Address: ta.HTTPAddr(), Token: token})
		if err != nil {
			t.Fatal(err)
		}
		return c.PreparedQuery()
	}
	tokenWith := func(name, rules string) string {
		t.Helper()
		if _, _, err := rootACL.PolicyCreate(&consulapi.ACLPolicy{Name: name, Rules: rules}, nil); err != nil {
			t.Fatalf("PolicyCreate(%s): %v", name, err)
		}
		tok, _, err := rootACL.TokenCreate(&consulapi.ACLToken{Policies: []*consulapi.ACLTokenPolicyLink{{Name: name}}}, nil)
		if err != nil {
			t.Fatalf("TokenCreate(%s): %v", name, err)
		}
		return tok.SecretID
	}
	reader := client(tokenWith("query-reader", `query_prefix "" { policy = "read" }`))
	writer := client(tokenWith("query-writer", `query_prefix "app-" { policy = "write" }`))

	id, _, err := client(root.SecretID).Create(&consulapi.PreparedQueryDefinition{Name: "app-web", Token: "query-secret",
		Service: consulapi.ServiceQuery{Service: "web"}}, nil)
	if err != nil {
		t.Fatalf("Create as management: %v", err)
	}
	if defs, _, err := client(root.SecretID).Get(id, nil); err != nil || defs[0].Token != "query-secret" {
		t.Errorf("Get as management = %+v, %v; want the query's token", defs, err)
	}
	defs, _, err := reader.List(nil)
	if err != nil || len(defs) != 1 || defs[0].Token != "<hidden>" {
		t.Errorf("List as a query reader = %+v, %v; want the query with its token hidden", defs, err)
	}
	if _, _, err := reader.Create(&consulapi.PreparedQueryDefinition{Name: "app-x", Service: consulapi.ServiceQuery{Service: "x"}}, nil); err == nil ||
		!strings.Contains(err.Error(), "lacks permission 'query:write'") {
		t.Errorf("Create as a query reader = %v, want 403 on query:write", err)
	}
	if _, _, err := writer.Create(&consulapi.PreparedQueryDefinition{Name: "app-x", Service: consulapi.ServiceQuery{Service: "x"}}, nil); err != nil {
		t.Errorf("Create(app-x) as an app- writer: %v", err)
	}
	if _, _, err := writer.Create(&consulapi.PreparedQueryDefinition{Name: "other", Service: consulapi.ServiceQuery{Service: "x"}}, nil); err == nil {
		t.Error("Create(other) as an app- writer succeeded")
	}
	if _, _, err := client("").List(nil); err == nil {
		t.Error("List as the anonymous token (default deny) succeeded")
	}

	// Execute returns what the query's token, else the caller's, may read.
	rootClient, err := consulapi.NewClient(&consulapi.Config{Address: ta.HTTPAddr(), Token: root.SecretID})
	if err != nil {
		t.Fatal(err)
	}
	registerInstance(t, rootClient, "n1", "10.9.0.1", &consulapi.AgentService{ID: "web", Service: "web"}, nil, "")
	seer := client(tokenWith("web-seer", `query_prefix "" { policy = "read" }
service_prefix "" { policy = "read" }
node_prefix "" { policy = "read" }`))
	for _, def := range []*consulapi.PreparedQueryDefinition{
		{Name: "app-open", Service: consulapi.ServiceQuery{Service: "web"}},
		{Name: "app-privileged", Token: root.SecretID, Service: consulapi.ServiceQuery{Service: "web"}},
	} {
		if _, _, err := client(root.SecretID).Create(def, nil); err != nil {
			t.Fatalf("Create(%s): %v", def.Name, err)
		}
	}
	for _, tc := range []struct {
		who   string
		pq    *consulapi.PreparedQuery
		query string
		want  int
	}{
		{"query reader", reader, "app-open", 0},
		{"service and node reader", seer, "app-open", 1},
		{"query reader, query with a management token", reader, "app-privileged", 1},
	} {
		res, _, err := tc.pq.Execute(tc.query, nil)
		if err != nil || len(res.Nodes) != tc.want {
			t.Errorf("Execute(%s) as %s = %+v, %v; want %d nodes", tc.query, tc.who, res, err, tc.want)
		}
	}
}

// TestPreparedQueryBlockingList: a blocking list returns once a query is
// written.
func TestPreparedQueryBlockingList(t *testing.T) {
	t.Parallel()
	_, c := startDevAgent(t)
	pq := c.PreparedQuery()
	_, meta, err := pq.List(nil)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	type listed struct {
		defs []*consulapi.PreparedQueryDefinition
		meta *consulapi.QueryMeta
		err  error
	}
	done := make(chan listed, 1)
	go func() {
		defs, m, err := pq.List(&consulapi.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: 30 * time.Second})
		done <- listed{defs, m, err}
	}()
	if _, _, err := pq.Create(&consulapi.PreparedQueryDefinition{Name: "new", Service: consulapi.ServiceQuery{Service: "s"}}, nil); err != nil {
		t.Fatalf("Create: %v", err)
	}
	select {
	case got := <-done:
		if got.err != nil || len(got.defs) != 1 || got.meta.LastIndex <= meta.LastIndex {
			t.Errorf("blocking List = %+v (index %d), %v; want the new query past index %d", got.defs, got.meta.LastIndex, got.err, meta.LastIndex)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("blocking List did not return after a query was created")
	}
}

// TestPreparedQueryNear: execute orders instances by estimated round trip
// time from ?near, else the query's Near (_agent is the agent's node);
// ?limit applies after sorting.
func TestPreparedQueryNear(t *testing.T) {
	t.Parallel()
	ta, c := coordinateAgent(t, "a", "b", "c", "d")
	// On one axis: the agent 0, b 10 ms, c 20 ms, a 30 ms; d has no coordinate.
	setCoordinates(t, c, 4,
		&consulapi.CoordinateEntry{Node: ta.Config.NodeName, Coord: coordAt(0)},
		&consulapi.CoordinateEntry{Node: "a", Coord: coordAt(0.030)},
		&consulapi.CoordinateEntry{Node: "b", Coord: coordAt(0.010)},
		&consulapi.CoordinateEntry{Node: "c", Coord: coordAt(0.020)})
	for _, def := range []*consulapi.PreparedQueryDefinition{
		{Name: "near-agent", Service: consulapi.ServiceQuery{Service: "web", Near: "_agent"}},
		{Name: "near-a", Service: consulapi.ServiceQuery{Service: "web", Near: "a"}},
		{Name: "plain", Service: consulapi.ServiceQuery{Service: "web"}},
	} {
		if _, _, err := c.PreparedQuery().Create(def, nil); err != nil {
			t.Fatalf("Create(%s): %v", def.Name, err)
		}
	}
	for _, tc := range []struct {
		path string
		want []string
	}{
		{"/v1/query/near-agent/execute", []string{"b", "c", "a", "d"}},
		{"/v1/query/near-a/execute", []string{"a", "c", "b", "d"}},
		{"/v1/query/near-a/execute?near=b", []string{"b", "c", "a", "d"}},
		{"/v1/query/plain/execute?near=_agent", []string{"b", "c", "a", "d"}},
		{"/v1/query/near-a/execute?limit=2", []string{"a", "c"}},
	} {
		var res consulapi.PreparedQueryExecuteResponse
		r := doRaw(t, ta.HTTPAddr(), "GET", tc.path, nil)
		if err := json.Unmarshal(r.Body, &res); err != nil {
			t.Fatalf("GET %s = %s: %v", tc.path, r.Body, err)
		}
		var got []string
		for _, n := range res.Nodes {
			got = append(got, n.Node.Node)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("GET %s = %q, want %q", tc.path, got, tc.want)
		}
	}
	if got := execute(t, c, "plain", &consulapi.QueryOptions{Near: "nope"}); len(got) != 4 {
		t.Errorf("Execute(plain, near an unknown node) = %q, want all 4", got)
	}
}
