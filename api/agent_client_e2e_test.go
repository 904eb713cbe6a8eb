package api_test

// End-to-end tests of the agent, catalog and health clients against a real
// in-process agent (see session_e2e_test.go for why they are in api_test).

import (
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/testutil"
)

// syncTimeout bounds the wait for anti-entropy to push a local change to
// the catalog.
const syncTimeout = 10 * time.Second

// TestAgentServiceLifecycle registers a service with a TTL check, drives
// the check through its states, and follows both into the catalog and the
// health endpoints.
func TestAgentServiceLifecycle(t *testing.T) {
	t.Parallel()
	c := newAgentClient(t)
	a := c.Agent()

	reg := &api.AgentServiceRegistration{
		ID: "web-1", Name: "web", Tags: []string{"v1"}, Port: 8080, Meta: map[string]string{"team": "edge"},
		Check: &api.AgentServiceCheck{CheckID: "web-ttl", Name: "web heartbeat", TTL: "30s"},
	}
	if err := a.ServiceRegister(reg); err != nil {
		t.Fatalf("ServiceRegister: %v", err)
	}
	services, err := a.Services()
	if err != nil || services["web-1"] == nil || services["web-1"].Service != "web" || services["web-1"].Port != 8080 {
		t.Fatalf("Services() = %+v, %v; want web-1 (web, port 8080)", services, err)
	}
	if svc, err := a.Service("web-1"); err != nil || svc == nil || !reflect.DeepEqual(svc.Tags, []string{"v1"}) {
		t.Errorf("Service(web-1) = %+v, %v; want web-1 tagged v1", svc, err)
	}
	if svc, err := a.Service("nope"); err != nil || svc != nil {
		t.Errorf("Service(nope) = %+v, %v; want nil, nil", svc, err)
	}

	// A new TTL check starts critical; each TTL call sets its status and output.
	wantCheck := func(status, output string) {
		t.Helper()
		checks, err := a.Checks()
		if err != nil {
			t.Fatalf("Checks: %v", err)
		}
		chk := checks["web-ttl"]
		if chk == nil || chk.Status != status || chk.Output != output || chk.ServiceID != "web-1" {
			t.Errorf("Checks()[web-ttl] = %+v, want status %s, output %q, service web-1", chk, status, output)
		}
	}
	wantCheck(api.HealthCritical, "")
	steps := []struct {
		call           func() error
		status, output string
	}{
		{func() error { return a.PassTTL("web-ttl", "ok") }, api.HealthPassing, "ok"},
		{func() error { return a.WarnTTL("web-ttl", "slow") }, api.HealthWarning, "slow"},
		{func() error { return a.FailTTL("web-ttl", "down") }, api.HealthCritical, "down"},
		{func() error { return a.UpdateTTL("web-ttl", "back", "pass") }, api.HealthPassing, "back"},
	}
	for _, s := range steps {
		if err := s.call(); err != nil {
			t.Fatalf("setting web-ttl %s: %v", s.status, err)
		}
		wantCheck(s.status, s.output)
	}

	// Anti-entropy brings the service and its passing check to the catalog.
	testutil.Run(t, syncTimeout, func(r *testutil.R) {
		entries, _, err := c.Health().Service("web", []string{"v1"}, true, nil)
		if err != nil || len(entries) != 1 || entries[0].Service.ID != "web-1" {
			r.Fatalf("Health().Service(web, [v1], passing) = %+v, %v; want web-1", entries, err)
		}
	})
	instances, meta, err := c.Catalog().Service("web", nil, nil)
	if err != nil || len(instances) != 1 || instances[0].ServiceMeta["team"] != "edge" || meta.LastIndex == 0 {
		t.Errorf("Catalog().Service(web) = %+v, %+v, %v; want web-1 with meta team=edge and an index", instances, meta, err)
	}
	if list, _, err := c.Catalog().Service("web", []string{"v2"}, nil); err != nil || len(list) != 0 {
		t.Errorf("Catalog().Service(web, [v2]) = %+v, %v; want none", list, err)
	}
	if names, _, err := c.Catalog().Services(nil); err != nil || !reflect.DeepEqual(names["web"], []string{"v1"}) {
		t.Errorf("Catalog().Services() = %+v, %v; want web: [v1]", names, err)
	}
	node := instances[0].Node
	if cn, _, err := c.Catalog().Node(node, nil); err != nil || cn == nil || cn.Services["web-1"] == nil {
		t.Errorf("Catalog().Node(%s) = %+v, %v; want it with web-1", node, cn, err)
	}
	if cn, _, err := c.Catalog().Node("nope", nil); err != nil || cn != nil {
		t.Errorf("Catalog().Node(nope) = %+v, %v; want nil, nil", cn, err)
	}
	if checks, _, err := c.Health().Checks("web", nil); err != nil || len(checks) != 1 || checks[0].CheckID != "web-ttl" {
		t.Errorf("Health().Checks(web) = %+v, %v; want [web-ttl]", checks, err)
	}
	if checks, _, err := c.Health().Node(node, nil); err != nil || len(checks) != 2 {
		t.Errorf("Health().Node(%s) = %+v, %v; want serfHealth and web-ttl", node, checks, err)
	}

	// A failing check takes the instance out of passing results.
	if err := a.FailTTL("web-ttl", ""); err != nil {
		t.Fatalf("FailTTL: %v", err)
	}
	testutil.Run(t, syncTimeout, func(r *testutil.R) {
		entries, _, err := c.Health().Service("web", nil, true, nil)
		if err != nil || len(entries) != 0 {
			r.Fatalf("after FailTTL, Health().Service(web, passing) = %+v, %v; want none", entries, err)
		}
	})
	critical, _, err := c.Health().State(api.HealthCritical, nil)
	if err != nil || len(critical) != 1 || critical[0].CheckID != "web-ttl" {
		t.Errorf("Health().State(critical) = %+v, %v; want [web-ttl]", critical, err)
	}

	if err := a.ServiceDeregister("web-1"); err != nil {
		t.Fatalf("ServiceDeregister: %v", err)
	}
	var se *api.StatusError
	if err := a.ServiceDeregister("web-1"); !errors.As(err, &se) || se.Code != http.StatusNotFound {
		t.Errorf("ServiceDeregister(web-1) again = %v, want a 404", err)
	}
	testutil.Run(t, syncTimeout, func(r *testutil.R) {
		list, _, err := c.Catalog().Service("web", nil, nil)
		if err != nil || len(list) != 0 {
			r.Fatalf("after ServiceDeregister, Catalog().Service(web) = %+v, %v; want none", list, err)
		}
	})
}

// TestAgentCheckRegister registers a node check and a service check on
// their own.
func TestAgentCheckRegister(t *testing.T) {
	t.Parallel()
	a := newAgentClient(t).Agent()
	if err := a.ServiceRegister(&api.AgentServiceRegistration{Name: "db"}); err != nil {
		t.Fatalf("ServiceRegister: %v", err)
	}
	regs := []*api.AgentCheckRegistration{
		{ID: "disk", AgentServiceCheck: api.AgentServiceCheck{Name: "disk", TTL: "1m", Status: api.HealthPassing}},
		{ID: "db-ttl", ServiceID: "db", AgentServiceCheck: api.AgentServiceCheck{Name: "db ttl", TTL: "1m"}},
	}
	for _, reg := range regs {
		if err := a.CheckRegister(reg); err != nil {
			t.Fatalf("CheckRegister(%s): %v", reg.ID, err)
		}
	}
	checks, err := a.Checks()
	if err != nil || checks["disk"] == nil || checks["disk"].Status != api.HealthPassing ||
		checks["db-ttl"] == nil || checks["db-ttl"].ServiceName != "db" {
		t.Fatalf("Checks() = %+v, %v; want disk passing and db-ttl on db", checks, err)
	}
	err = a.CheckRegister(&api.AgentCheckRegistration{ID: "x", ServiceID: "nope",
		AgentServiceCheck: api.AgentServiceCheck{Name: "x", TTL: "1m"}})
	var se *api.StatusError
	if !errors.As(err, &se) || se.Code != http.StatusBadRequest {
		t.Errorf("CheckRegister on an unknown service = %v, want a 400", err)
	}
	if err := a.CheckDeregister("disk"); err != nil {
		t.Fatalf("CheckDeregister(disk): %v", err)
	}
	if checks, err := a.Checks(); err != nil || checks["disk"] != nil {
		t.Errorf("after CheckDeregister, Checks() = %+v, %v; want no disk", checks, err)
	}
	if err := a.UpdateTTL("db-ttl", "", "bogus"); err == nil {
		t.Errorf("UpdateTTL(bogus status) = nil, want an error")
	}
}

// TestAgentMaintenance puts the node and a service in maintenance and out.
func TestAgentMaintenance(t *testing.T) {
	t.Parallel()
	c := newAgentClient(t)
	a := c.Agent()
	if err := a.ServiceRegister(&api.AgentServiceRegistration{Name: "web"}); err != nil {
		t.Fatalf("ServiceRegister: %v", err)
	}
	if err := a.EnableNodeMaintenance("upgrade"); err != nil {
		t.Fatalf("EnableNodeMaintenance: %v", err)
	}
	if err := a.EnableServiceMaintenance("web", ""); err != nil {
		t.Fatalf("EnableServiceMaintenance: %v", err)
	}
	checks, err := a.Checks()
	if err != nil {
		t.Fatalf("Checks: %v", err)
	}
	node, svc := checks["_node_maintenance"], checks["_service_maintenance:web"]
	if node == nil || node.Notes != "upgrade" || node.Status != api.HealthCritical {
		t.Errorf("Checks()[_node_maintenance] = %+v, want critical with notes %q", node, "upgrade")
	}
	if svc == nil || svc.Notes == "" || svc.ServiceID != "web" {
		t.Errorf("Checks()[_service_maintenance:web] = %+v, want a default reason, on web", svc)
	}
	var se *api.StatusError
	if err := a.EnableServiceMaintenance("nope", ""); !errors.As(err, &se) || se.Code != http.StatusNotFound {
		t.Errorf("EnableServiceMaintenance(nope) = %v, want a 404", err)
	}
	if err := a.DisableServiceMaintenance("web"); err != nil {
		t.Fatalf("DisableServiceMaintenance: %v", err)
	}
	if err := a.DisableNodeMaintenance(); err != nil {
		t.Fatalf("DisableNodeMaintenance: %v", err)
	}
	if err := a.DisableNodeMaintenance(); err != nil {
		t.Errorf("DisableNodeMaintenance again = %v, want nil", err)
	}
	checks, err = a.Checks()
	if err != nil || checks["_node_maintenance"] != nil || checks["_service_maintenance:web"] != nil {
		t.Errorf("after disabling, Checks() = %+v, %v; want no maintenance checks", checks, err)
	}

	dcs, err := c.Catalog().Datacenters()
	if err != nil || !reflect.DeepEqual(dcs, []string{"dc1"}) {
		t.Errorf("Datacenters() = %v, %v; want [dc1]", dcs, err)
	}
	nodes, _, err := c.Catalog().Nodes(&api.QueryOptions{AllowStale: true})
	if err != nil || len(nodes) != 1 || nodes[0].Datacenter != "dc1" {
		t.Errorf("Nodes() = %+v, %v; want the agent's node", nodes, err)
	}
}

// TestServiceTagFilterIgnoresCase: Consul compares ?tag filters with
// service tags case-insensitively, in /v1/catalog/service and
// /v1/health/service alike (its state store lowercases both sides), so
// "?tag=primary" finds an instance tagged "Primary". Concord's state store
// compares them exactly.
//
// KNOWN SERVER BUG: this test fails until internal/state's tag filter
// ignores case; it is left failing on purpose.
func TestServiceTagFilterIgnoresCase(t *testing.T) {
	t.Parallel()
	c := newAgentClient(t)
	if err := c.Agent().ServiceRegister(&api.AgentServiceRegistration{Name: "web", Tags: []string{"Primary"}}); err != nil {
		t.Fatalf("ServiceRegister: %v", err)
	}
	testutil.Run(t, syncTimeout, func(r *testutil.R) {
		if list, _, err := c.Catalog().Service("web", nil, nil); err != nil || len(list) != 1 {
			r.Fatalf("Catalog().Service(web) = %+v, %v; want one instance", list, err)
		}
	})
	if list, _, err := c.Catalog().Service("web", []string{"primary"}, nil); err != nil || len(list) != 1 {
		t.Errorf("Catalog().Service(web, [primary]) = %d instances, %v; want the one tagged Primary", len(list), err)
	}
	if list, _, err := c.Health().Service("web", []string{"PRIMARY"}, false, nil); err != nil || len(list) != 1 {
		t.Errorf("Health().Service(web, [PRIMARY]) = %d instances, %v; want the one tagged Primary", len(list), err)
	}
}
