package multidc_test

import (
	osexec "os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/testutil"
	consul "github.com/hashicorp/consul/api"
)

// TestDatacenters runs one federation of dc1 (3 servers), dc2 and dc3 (1
// server each), each with a client agent, and drives it through dc1's
// client agent with the official Go client. The subtests share it and run
// in order: the last ones break dc3 for a while and dc2 for good.
func TestDatacenters(t *testing.T) {
	f := startFederation(t, 3, 1, 1)
	c1, c2 := f.agent(t, "dc1"), f.agent(t, "dc2")

	t.Run("membership", func(t *testing.T) {
		// A client agent is in no WAN pool; servers are <node>.<dc>.
		if wan, err := c1.Agent().Members(true); err != nil || len(wan) != 0 {
			t.Errorf("client agent's WAN members = %v, %v; want none", wan, err)
		}
		waitFor(t, 10*time.Second, func(r *testutil.R) {
			got := aliveWAN(r, client(t, f.dcs["dc2"].Servers()[0]))
			slices.Sort(got)
			if want := "s1.dc1 s1.dc2 s1.dc3 s2.dc1 s3.dc1"; strings.Join(got, " ") != want {
				r.Fatalf("dc2's server sees WAN members %v, want %s", got, want)
			}
		})
		dcs, err := c1.Catalog().Datacenters()
		if err != nil || len(dcs) != 3 || dcs[0] != "dc1" || !slices.Contains(dcs, "dc2") || !slices.Contains(dcs, "dc3") {
			t.Errorf("Catalog().Datacenters() via dc1 = %v, %v; want dc1 first, then dc2 and dc3", dcs, err)
		}
		if dcs, err := c2.Catalog().Datacenters(); err != nil || len(dcs) != 3 || dcs[0] != "dc2" {
			t.Errorf("Catalog().Datacenters() via dc2 = %v, %v; want dc2 first", dcs, err)
		}
		waitFor(t, 10*time.Second, func(r *testutil.R) {
			maps, err := c1.Coordinate().Datacenters()
			if err != nil || len(maps) != 3 {
				r.Fatalf("Coordinate().Datacenters() = %v, %v; want 3 datacenters", maps, err)
			}
			for _, m := range maps {
				if want := map[string]int{"dc1": 3, "dc2": 1, "dc3": 1}[m.Datacenter]; len(m.Coordinates) != want || m.AreaID != "wan" {
					r.Fatalf("%s: %d coordinates in area %q, want %d in wan", m.Datacenter, len(m.Coordinates), m.AreaID, want)
				}
			}
		})
	})

	t.Run("kv", func(t *testing.T) {
		kv := c1.KV()
		mustOK(t, "put in dc1", errOf(kv.Put(&consul.KVPair{Key: "app/color", Value: []byte("blue")}, nil)))
		mustOK(t, "put in dc2", errOf(kv.Put(&consul.KVPair{Key: "app/color", Value: []byte("green")}, to("dc2"))))
		for _, tc := range []struct {
			via  *consul.Client
			dc   string
			want string
		}{{c1, "", "blue"}, {c1, "dc1", "blue"}, {c1, "dc2", "green"}, {c2, "", "green"}, {c2, "dc1", "blue"}, {c1, "dc3", ""}} {
			p, _, err := tc.via.KV().Get("app/color", in(tc.dc))
			got := ""
			if p != nil {
				got = string(p.Value)
			}
			if err != nil || got != tc.want {
				t.Errorf("KV get app/color in %q = %q, %v; want %q", tc.dc, got, err, tc.want)
			}
		}
		if keys, _, err := kv.Keys("app/", "", in("dc2")); err != nil || len(keys) != 1 {
			t.Errorf("KV keys in dc2 = %v, %v", keys, err)
		}
		if pairs, _, err := kv.List("app/", in("dc2")); err != nil || len(pairs) != 1 || string(pairs[0].Value) != "green" {
			t.Errorf("KV list in dc2 = %v, %v", pairs, err)
		}
		ok, _, _, err := c1.Txn().Txn(consul.TxnOps{{KV: &consul.KVTxnOp{Verb: consul.KVSet, Key: "app/size", Value: []byte("9")}}}, &consul.QueryOptions{Datacenter: "dc2"})
		if err != nil || !ok {
			t.Errorf("txn in dc2 = %v, %v", ok, err)
		}
		if p, _, _ := c2.KV().Get("app/size", nil); p == nil || string(p.Value) != "9" {
			t.Errorf("dc2 does not see the txn's key: %v", p)
		}
		if p, _, _ := kv.Get("app/size", nil); p != nil {
			t.Errorf("dc1 sees dc2's txn key: %v", p)
		}
		mustOK(t, "delete in dc2", errOf(kv.Delete("app/color", to("dc2"))))
		if p, _, _ := c2.KV().Get("app/color", nil); p != nil {
			t.Errorf("app/color still in dc2 after a delete with dc=dc2")
		}
		if p, _, _ := kv.Get("app/color", nil); p == nil {
			t.Errorf("app/color gone from dc1 after a delete in dc2")
		}
	})

	t.Run("catalog and health", func(t *testing.T) {
		reg := &consul.CatalogRegistration{Node: "ext", Address: "10.2.0.9", Service: &consul.AgentService{Service: "db", Port: 5432},
			Check: &consul.AgentCheck{CheckID: "db-up", Name: "db up", ServiceID: "db", Status: consul.HealthPassing}}
		mustOK(t, "register in dc2", errOf(c1.Catalog().Register(reg, to("dc2"))))
		if svcs, _, err := c1.Catalog().Service("db", "", in("dc2")); err != nil || len(svcs) != 1 || svcs[0].Address != "10.2.0.9" || svcs[0].Datacenter != "dc2" {
			t.Errorf("catalog service db in dc2 = %+v, %v", svcs, err)
		}
		if svcs, _, err := c1.Catalog().Service("db", "", nil); err != nil || len(svcs) != 0 {
			t.Errorf("catalog service db in dc1 = %+v, %v; want none", svcs, err)
		}
		if nodes, _, err := c1.Catalog().Nodes(in("dc2")); err != nil || len(nodes) != 3 {
			t.Errorf("catalog nodes in dc2 = %d, %v; want s1, c1 and ext", len(nodes), err)
		}
		if n, _, err := c1.Catalog().Node("ext", in("dc2")); err != nil || n == nil || n.Services["db"] == nil {
			t.Errorf("catalog node ext in dc2 = %+v, %v", n, err)
		}
		if entries, _, err := c1.Health().Service("db", "", true, in("dc2")); err != nil || len(entries) != 1 {
			t.Errorf("health service db in dc2 = %d, %v", len(entries), err)
		}
		if checks, _, err := c1.Health().Checks("db", in("dc2")); err != nil || len(checks) != 1 {
			t.Errorf("health checks db in dc2 = %d, %v", len(checks), err)
		}
		if checks, _, err := c1.Health().State(consul.HealthPassing, in("dc2")); err != nil || !hasCheck(checks, "db-up") {
			t.Errorf("health state passing in dc2 = %d checks, %v; want db-up among them", len(checks), err)
		}
		if checks, _, err := c1.Health().Node("ext", in("dc2")); err != nil || len(checks) != 1 {
			t.Errorf("health node ext in dc2 = %d, %v", len(checks), err)
		}
		mustOK(t, "deregister in dc2", errOf(c1.Catalog().Deregister(&consul.CatalogDeregistration{Node: "ext"}, to("dc2"))))
		if svcs, _, err := c2.Catalog().Service("db", "", nil); err != nil || len(svcs) != 0 {
			t.Errorf("db still in dc2 after a deregister with dc=dc2: %v, %v", svcs, err)
		}
	})

	t.Run("sessions", func(t *testing.T) {
		id, _, err := c1.Session().Create(&consul.SessionEntry{Node: "s1", Name: "remote", TTL: "30s"}, to("dc2"))
		if err != nil {
			t.Fatalf("session create in dc2: %v", err)
		}
		if s, _, err := c1.Session().Info(id, in("dc2")); err != nil || s == nil || s.Name != "remote" {
			t.Errorf("session info in dc2 = %+v, %v", s, err)
		}
		if s, _, err := c1.Session().Info(id, nil); err != nil || s != nil {
			t.Errorf("session info in dc1 = %+v, %v; want none (sessions stay in their datacenter)", s, err)
		}
		if list, _, err := c1.Session().Node("s1", in("dc2")); err != nil || len(list) != 1 {
			t.Errorf("sessions of s1 in dc2 = %d, %v", len(list), err)
		}
		if _, _, err := c1.Session().Renew(id, to("dc2")); err != nil {
			t.Errorf("session renew in dc2: %v", err)
		}
		ok, _, err := c1.KV().Acquire(&consul.KVPair{Key: "locks/job", Session: id}, to("dc2"))
		if err != nil || !ok {
			t.Errorf("acquire in dc2 with a dc2 session = %v, %v", ok, err)
		}
		mustOK(t, "session destroy in dc2", errOf(c1.Session().Destroy(id, to("dc2"))))
		if list, _, err := c2.Session().List(nil); err != nil || len(list) != 0 {
			t.Errorf("sessions in dc2 after destroy = %d, %v", len(list), err)
		}
	})

	t.Run("prepared queries", func(t *testing.T) {
		mustOK(t, "register web in dc3", errOf(c1.Catalog().Register(&consul.CatalogRegistration{
			Node: "web-1", Address: "10.3.0.1", Service: &consul.AgentService{Service: "web", Port: 80}}, to("dc3"))))
		id, _, err := c1.PreparedQuery().Create(&consul.PreparedQueryDefinition{Name: "web", Service: consul.ServiceQuery{Service: "web"}}, to("dc3"))
		if err != nil {
			t.Fatalf("prepared query create in dc3: %v", err)
		}
		if list, _, err := c1.PreparedQuery().List(in("dc3")); err != nil || len(list) != 1 {
			t.Errorf("prepared queries in dc3 = %d, %v", len(list), err)
		}
		if list, _, err := c1.PreparedQuery().List(nil); err != nil || len(list) != 0 {
			t.Errorf("prepared queries in dc1 = %d, %v; want none", len(list), err)
		}
		res, _, err := c1.PreparedQuery().Execute("web", in("dc3"))
		if err != nil || len(res.Nodes) != 1 || res.Nodes[0].Node.Address != "10.3.0.1" || res.Datacenter != "dc3" {
			t.Errorf("execute web in dc3 = %+v, %v; want web-1 from dc3", res, err)
		}
		mustOK(t, "prepared query delete in dc3", errOf(c1.PreparedQuery().Delete(id, to("dc3"))))
	})

	t.Run("config entries", func(t *testing.T) {
		// Each datacenter keeps its own entries (Concord does not
		// replicate them from a primary); ?dc reaches the other's, also
		// through a client agent.
		ce := c1.ConfigEntries()
		for dc, protocol := range map[string]string{"dc2": "grpc", "dc1": "http"} {
			if ok, _, err := ce.Set(&consul.ServiceConfigEntry{Kind: consul.ServiceDefaults, Name: "web", Protocol: protocol}, to(dc)); err != nil || !ok {
				t.Fatalf("service-defaults in %s = %v, %v", dc, ok, err)
			}
		}
		for _, tc := range []struct {
			via  *consul.Client
			dc   string
			want string
		}{{c1, "", "http"}, {c1, "dc2", "grpc"}, {c2, "", "grpc"}, {c2, "dc1", "http"}} {
			e, _, err := tc.via.ConfigEntries().Get(consul.ServiceDefaults, "web", in(tc.dc))
			if err != nil || e.(*consul.ServiceConfigEntry).Protocol != tc.want {
				t.Errorf("service-defaults/web in %q = %v, %v; want protocol %s", tc.dc, e, err, tc.want)
			}
		}
		if list, _, err := ce.List(consul.ServiceDefaults, in("dc3")); err != nil || len(list) != 0 {
			t.Errorf("service-defaults in dc3 = %v, %v; want none", list, err)
		}
		mustOK(t, "delete in dc2", errOf(ce.Delete(consul.ServiceDefaults, "web", to("dc2"))))
		if list, _, err := c2.ConfigEntries().List(consul.ServiceDefaults, nil); err != nil || len(list) != 0 {
			t.Errorf("service-defaults in dc2 after the delete = %v, %v; want none", list, err)
		}
	})

	t.Run("events", func(t *testing.T) {
		ev, _, err := c1.Event().Fire(&consul.UserEvent{Name: "deploy", Payload: []byte("v2")}, to("dc2"))
		if err != nil || ev == "" {
			t.Fatalf("event fire in dc2 = %q, %v", ev, err)
		}
		waitFor(t, 10*time.Second, func(r *testutil.R) {
			list, _, err := c2.Event().List("deploy", nil)
			if err != nil || len(list) != 1 || list[0].ID != ev || string(list[0].Payload) != "v2" {
				r.Fatalf("dc2's agent lists deploy events %+v, %v; want %s", list, err, ev)
			}
		})
		if list, _, err := c1.Event().List("deploy", nil); err != nil || len(list) != 0 {
			t.Errorf("dc1's agent lists deploy events %d, %v; want none", len(list), err)
		}
	})

	t.Run("exec", func(t *testing.T) {
		// The job runs on dc2's two nodes, none of dc1's four.
		out, err := osexec.Command(binary, "exec", "-http-addr="+f.dcs["dc1"].Clients()[0].HTTPAddr,
			"-datacenter=dc2", "-wait=1s", "echo hi").CombinedOutput()
		if err != nil || !strings.HasSuffix(string(out), "2 / 2 node(s) completed / acknowledged\n") || strings.Count(string(out), ": hi\n") != 2 {
			t.Errorf("concord exec -datacenter=dc2 = %v, output:\n%s\nwant both nodes of dc2", err, out)
		}
	})

	t.Run("operator, status and coordinates", func(t *testing.T) {
		for dc, want := range map[string]int{"dc1": 3, "dc2": 1, "": 3} {
			cfg, err := c1.Operator().RaftGetConfiguration(in(dc))
			if err != nil || len(cfg.Servers) != want {
				t.Errorf("raft configuration of %q = %v, %v; want %d servers", dc, cfg, err, want)
			}
		}
		waitFor(t, 30*time.Second, func(r *testutil.R) {
			nodes, _, err := c1.Coordinate().Nodes(in("dc2"))
			if err != nil || len(nodes) == 0 {
				r.Fatalf("coordinates of dc2's nodes = %v, %v", nodes, err)
			}
			for _, n := range nodes {
				if n.Node != "s1" && n.Node != "c1" {
					r.Fatalf("dc2 has a coordinate for %q, not one of its nodes", n.Node)
				}
			}
		})
	})

	t.Run("unknown datacenter", func(t *testing.T) {
		_, _, err := c1.KV().Get("app/color", in("nowhere"))
		if err == nil || !strings.Contains(err.Error(), "500") || !strings.Contains(err.Error(), "No path to datacenter") {
			t.Errorf("KV get in an unknown datacenter = %v, want 500 No path to datacenter", err)
		}
		_, err = c1.KV().Put(&consul.KVPair{Key: "x", Value: []byte("1")}, to("nowhere"))
		if err == nil || !strings.Contains(err.Error(), "No path to datacenter") {
			t.Errorf("KV put in an unknown datacenter = %v, want No path to datacenter", err)
		}
	})

	t.Run("DNS", func(t *testing.T) { testDNS(t, f) })
	t.Run("prepared query failover", func(t *testing.T) { testFailover(t, f) })

	t.Run("WAN partition heals", func(t *testing.T) {
		// dc3's only server stops answering: dc1 finds it failed and has no
		// path to dc3; once it answers again, the WAN pool takes it back
		// and dc3 is served again, with nothing done by hand.
		s := f.dcs["dc3"].Servers()[0]
		s.Pause()
		resumed := false
		defer func() {
			if !resumed {
				s.Resume()
			}
		}()
		waitFor(t, 20*time.Second, func(r *testutil.R) {
			if p, m, err := c1.KV().Get("app/size", in("dc3")); err == nil || !strings.Contains(err.Error(), "No path to datacenter") {
				// What answered, and how the WAN pool saw dc3 then: this
				// failed twice in ~20 runs with a nil error (issue 20's note).
				var index uint64
				if m != nil {
					index = m.LastIndex
				}
				r.Fatalf("KV get in dc3 while its server is paused = %v (key found %v, index %d), WAN as dc1 sees it %v; want No path to datacenter",
					err, p != nil, index, wanStatuses(t, f))
			}
		})
		if _, _, err := c1.KV().Get("app/color", nil); err != nil {
			t.Errorf("KV get in dc1 while dc3 is cut off: %v", err)
		}
		s.Resume()
		resumed = true
		waitFor(t, 30*time.Second, func(r *testutil.R) {
			if _, _, err := c1.KV().Get("app/size", in("dc3")); err != nil {
				r.Fatalf("KV get in dc3 after its server came back: %v", err)
			}
		})
	})

	t.Run("datacenter down", func(t *testing.T) {
		// Every server of dc2 dies: calls to dc2 fail at once with a clear
		// error, while dc1 and dc3 are served as before.
		for _, s := range f.dcs["dc2"].Servers() {
			s.Kill()
		}
		for i := 0; i < 3; i++ {
			start := time.Now()
			_, _, err := c1.KV().Get("app/color", in("dc2"))
			if took := time.Since(start); err == nil || took > 3*time.Second {
				t.Fatalf("KV get in dc2 with its servers dead = %v after %v; want a prompt error", err, took)
			}
			if !strings.Contains(err.Error(), "dc2") && !strings.Contains(err.Error(), "No path to datacenter") {
				t.Errorf("KV get in dc2 with its servers dead: error %q names neither dc2 nor the lack of a path", err)
			}
		}
		if p, _, err := c1.KV().Get("app/color", nil); err != nil || p == nil {
			t.Errorf("KV get in dc1 with dc2 down = %v, %v", p, err)
		}
		if p, _, err := c1.KV().Get("app/size", in("dc3")); err != nil || p != nil {
			t.Errorf("KV get in dc3 with dc2 down = %v, %v; want no key and no error", p, err)
		}
		waitFor(t, 20*time.Second, func(r *testutil.R) {
			if _, _, err := c1.KV().Get("app/color", in("dc2")); err == nil || !strings.Contains(err.Error(), "No path to datacenter") {
				r.Fatalf("KV get in dc2 once the WAN pool found its server failed = %v, want No path to datacenter", err)
			}
		})
	})
}

// errOf keeps the error of a (meta, error) result.
func errOf[M any](_ M, err error) error { return err }

func mustOK(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func hasCheck(checks consul.HealthChecks, id string) bool {
	return slices.ContainsFunc(checks, func(c *consul.HealthCheck) bool { return c.CheckID == id })
}

// wanStatuses lists the WAN members as dc1's first server sees them, each
// with its serf status, for failure messages.
func wanStatuses(t *testing.T, f *federation) []string {
	members, err := client(t, f.dcs["dc1"].Servers()[0]).Agent().Members(true)
	if err != nil {
		return []string{err.Error()}
	}
	out := make([]string, 0, len(members))
	for _, m := range members {
		out = append(out, m.Name+"="+strconv.Itoa(m.Status))
	}
	return out
}
