package acl_test

import (
	"slices"
	"strings"
	"testing"

	consul "github.com/hashicorp/consul/api"
)

// The token classes of the matrix.
const (
	none    = "none"    // no token: the agent's default, here the anonymous token
	anon    = "anon"    // the anonymous token named ("anonymous")
	reader  = "read"    // reads app/ keys, every service, node, session, agent, event
	writer  = "write"   // writes app/ keys, web services, nodes, sessions, app events
	mgmt    = "mgmt"    // the management token
	deleted = "deleted" // a token deleted before use
)

var classes = []string{none, anon, reader, writer, mgmt, deleted}

const readRules = `
key_prefix "app/" { policy = "read" }
service_prefix "" { policy = "read" }
node_prefix "" { policy = "read" }
session_prefix "" { policy = "read" }
agent_prefix "" { policy = "read" }
event_prefix "" { policy = "read" }
`

const writeRules = `
key_prefix "app/" { policy = "write" }
service_prefix "web" { policy = "write" }
service_prefix "" { policy = "read" }
node_prefix "" { policy = "write" }
session_prefix "" { policy = "write" }
agent_prefix "" { policy = "read" }
event_prefix "app" { policy = "write" }
`

// tokens makes a secret for each class with root.
func tokens(t *testing.T, root *consul.Client) map[string]string {
	t.Helper()
	secret := func(name, rules string) string {
		p, _, err := root.ACL().PolicyCreate(&consul.ACLPolicy{Name: name, Rules: rules}, nil)
		if err != nil {
			t.Fatalf("PolicyCreate(%s) = %v", name, err)
		}
		tok, _, err := root.ACL().TokenCreate(&consul.ACLToken{Policies: []*consul.ACLTokenPolicyLink{{ID: p.ID}}}, nil)
		if err != nil {
			t.Fatalf("TokenCreate(%s) = %v", name, err)
		}
		return tok.SecretID
	}
	gone, _, err := root.ACL().TokenCreate(&consul.ACLToken{Description: "deleted"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := root.ACL().TokenDelete(gone.AccessorID, nil); err != nil {
		t.Fatal(err)
	}
	return map[string]string{none: "", anon: "anonymous", reader: secret("read", readRules),
		writer: secret("write", writeRules), mgmt: rootSecret, deleted: gone.SecretID}
}

// seed writes what the routes read, as root, through agent addr.
func seed(t *testing.T, root *consul.Client) string {
	t.Helper()
	for _, k := range []string{"app/a", "secret/x"} {
		if _, err := root.KV().Put(&consul.KVPair{Key: k, Value: []byte("v")}, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, svc := range []string{"web", "db"} {
		reg := &consul.CatalogRegistration{Node: "ext", Address: "10.0.0.1",
			Service: &consul.AgentService{ID: svc + "1", Service: svc, Port: 80}}
		if _, err := root.Catalog().Register(reg, nil); err != nil {
			t.Fatal(err)
		}
	}
	id, _, err := root.Session().Create(&consul.SessionEntry{Name: "root's"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// route is one request of the matrix and what each class gets.
type route struct {
	name string
	do   func(c *consul.Client, class string) string
	want map[string]string // by class; a class not named wants def
	def  string
}

// same is want for every class but those given.
func want(def string, except ...string) (string, map[string]string) {
	m := map[string]string{deleted: "acl-not-found"}
	for i := 0; i+1 < len(except); i += 2 {
		for _, c := range strings.Split(except[i], ",") {
			m[c] = except[i+1]
		}
	}
	return def, m
}

// seen names which of names a list holds, and whether it said it was
// filtered.
func seen(err error, filtered bool, has func(string) bool, names ...string) string {
	if err != nil {
		return outcome(err)
	}
	out := []string{"ok"}
	for _, n := range names {
		if has(n) {
			out = append(out, n)
		}
	}
	if filtered {
		out = append(out, "filtered")
	}
	return strings.Join(out, " ")
}

func routes(rootSession string) []route {
	r := func(name string, do func(c *consul.Client, class string) string, def string, except ...string) route {
		d, m := want(def, except...)
		return route{name: name, do: do, def: d, want: m}
	}
	noneAnon := none + "," + anon
	return []route{
		r("kv get", func(c *consul.Client, _ string) string {
			p, _, err := c.KV().Get("app/a", nil)
			if err == nil && p == nil {
				return "missing"
			}
			return outcome(err)
		}, "ok", noneAnon, "denied"),
		r("kv get outside the prefix", func(c *consul.Client, _ string) string {
			_, _, err := c.KV().Get("secret/x", nil)
			return outcome(err)
		}, "denied", mgmt, "ok"),
		r("kv put", func(c *consul.Client, class string) string {
			_, err := c.KV().Put(&consul.KVPair{Key: "app/w-" + class, Value: []byte("1")}, nil)
			return outcome(err)
		}, "denied", writer+","+mgmt, "ok"),
		r("kv list", func(c *consul.Client, _ string) string {
			ps, m, err := c.KV().List("", nil)
			return seen(err, m != nil && m.ResultsFilteredByACLs, func(k string) bool {
				return slices.ContainsFunc(ps, func(p *consul.KVPair) bool { return p.Key == k })
			}, "app/a", "secret/x")
		}, "ok app/a filtered", noneAnon, "ok filtered", mgmt, "ok app/a secret/x"),
		r("kv delete", func(c *consul.Client, class string) string {
			_, err := c.KV().Delete("app/w-"+class, nil)
			return outcome(err)
		}, "denied", writer+","+mgmt, "ok"),
		r("txn get+set", func(c *consul.Client, _ string) string {
			_, _, _, err := c.Txn().Txn(consul.TxnOps{
				{KV: &consul.KVTxnOp{Verb: consul.KVGet, Key: "app/a"}},
				{KV: &consul.KVTxnOp{Verb: consul.KVSet, Key: "app/t", Value: []byte("1")}},
			}, nil)
			return outcome(err)
		}, "denied", writer+","+mgmt, "ok"),
		r("session create+destroy", func(c *consul.Client, _ string) string {
			id, _, err := c.Session().Create(&consul.SessionEntry{Name: "s"}, nil)
			if err != nil {
				return outcome(err)
			}
			_, err = c.Session().Destroy(id, nil)
			return "created, destroy " + outcome(err)
		}, "denied", writer+","+mgmt, "created, destroy ok"),
		r("session destroy (root's)", func(c *consul.Client, _ string) string {
			_, err := c.Session().Destroy(rootSession, nil)
			return outcome(err)
		}, "denied", writer+","+mgmt, "ok"),
		r("catalog register web", func(c *consul.Client, class string) string {
			_, err := c.Catalog().Register(&consul.CatalogRegistration{Node: "ext-" + class, Address: "10.0.0.2",
				Service: &consul.AgentService{ID: "web-" + class, Service: "web"}}, nil)
			return outcome(err)
		}, "denied", writer+","+mgmt, "ok"),
		r("catalog register db", func(c *consul.Client, class string) string {
			_, err := c.Catalog().Register(&consul.CatalogRegistration{Node: "ext-" + class, Address: "10.0.0.2",
				Service: &consul.AgentService{ID: "db-" + class, Service: "db"}}, nil)
			return outcome(err)
		}, "denied", mgmt, "ok"),
		r("catalog services", func(c *consul.Client, _ string) string {
			ss, m, err := c.Catalog().Services(nil)
			return seen(err, m != nil && m.ResultsFilteredByACLs, func(s string) bool { _, ok := ss[s]; return ok }, "web", "db")
		}, "ok web db", noneAnon, "ok filtered"),
		r("catalog service web", func(c *consul.Client, _ string) string {
			ss, m, err := c.Catalog().Service("web", "", nil)
			return seen(err, m != nil && m.ResultsFilteredByACLs, func(string) bool { return len(ss) > 0 }, "some")
		}, "ok some", noneAnon, "ok filtered"),
		r("health service web", func(c *consul.Client, _ string) string {
			es, m, err := c.Health().Service("web", "", false, nil)
			return seen(err, m != nil && m.ResultsFilteredByACLs, func(string) bool { return len(es) > 0 }, "some")
		}, "ok some", noneAnon, "ok filtered"),
		r("agent service register web", func(c *consul.Client, class string) string {
			return outcome(c.Agent().ServiceRegister(&consul.AgentServiceRegistration{ID: "web-" + class, Name: "web"}))
		}, "denied", writer+","+mgmt, "ok"),
		r("agent service register db", func(c *consul.Client, class string) string {
			return outcome(c.Agent().ServiceRegister(&consul.AgentServiceRegistration{ID: "db-" + class, Name: "db"}))
		}, "denied", mgmt, "ok"),
		r("agent services", func(c *consul.Client, _ string) string {
			ss, err := c.Agent().Services()
			return seen(err, false, func(n string) bool {
				for _, s := range ss {
					if s.Service == n {
						return true
					}
				}
				return false
			}, "web", "db")
		}, "ok web db", noneAnon, "ok"),
		r("agent self", func(c *consul.Client, _ string) string {
			_, err := c.Agent().Self()
			return outcome(err)
		}, "ok", noneAnon, "denied"),
		r("agent leave", func(c *consul.Client, class string) string {
			if class == mgmt {
				return "not run" // it would stop the agent
			}
			return outcome(c.Agent().Leave())
		}, "denied", mgmt, "not run"),
		r("event fire", func(c *consul.Client, _ string) string {
			_, _, err := c.Event().Fire(&consul.UserEvent{Name: "app-deploy"}, nil)
			return outcome(err)
		}, "denied", writer+","+mgmt, "ok"),
		r("operator raft configuration", func(c *consul.Client, _ string) string {
			_, err := c.Operator().RaftGetConfiguration(nil)
			return outcome(err)
		}, "denied", mgmt, "ok"),
		r("acl token list", func(c *consul.Client, _ string) string {
			_, _, err := c.ACL().TokenList(nil)
			return outcome(err)
		}, "denied", mgmt, "ok"),
	}
}

// TestACLMatrix runs every route with every class of token, through the
// server and through the client agent, and checks the outcome Consul's
// rules give: denied calls do nothing (the writes' keys, services and
// sessions are checked after), lists are filtered with
// X-Consul-Results-Filtered-By-ACLs.
func TestACLMatrix(t *testing.T) {
	c := startACLCluster(t)
	root := c.api(t, c.server, rootSecret)
	secrets := tokens(t, root)
	for _, via := range []struct{ name, addr string }{{"server", c.server}, {"client", c.client}} {
		rootSession := seed(t, c.api(t, via.addr, rootSecret))
		// Both agents hold a web and a db service, registered as root.
		for _, svc := range []string{"web", "db"} {
			if err := c.api(t, via.addr, rootSecret).Agent().ServiceRegister(&consul.AgentServiceRegistration{ID: svc + "-root", Name: svc}); err != nil {
				t.Fatal(err)
			}
		}
		for _, rt := range routes(rootSession) {
			for _, class := range classes {
				got := rt.do(c.api(t, via.addr, secrets[class]), class)
				w, ok := rt.want[class]
				if !ok {
					w = rt.def
				}
				if got != w {
					t.Errorf("via %s: %s with %s token = %q, want %q", via.name, rt.name, class, got, w)
				}
			}
		}
	}
	// Nothing a refused write named exists.
	for _, class := range []string{none, anon, reader, deleted} {
		if p, _, _ := root.KV().Get("app/w-"+class, nil); p != nil {
			t.Errorf("key app/w-%s written by a refused put", class)
		}
		if n, _, _ := root.Catalog().Node("ext-"+class, nil); n != nil {
			t.Errorf("node ext-%s registered by a refused call", class)
		}
	}
	svcs, _ := c.api(t, c.client, rootSecret).Agent().Services()
	for id := range svcs {
		if strings.HasPrefix(id, "db-") && id != "db-"+mgmt && id != "db-root" || id == "web-"+reader {
			t.Errorf("agent service %s registered by a refused call", id)
		}
	}
}
