package httpapi_test

import (
	"testing"

	consulapi "github.com/hashicorp/consul/api"
)

// TestAgentRegistrationIsInCatalogOnReturn: a service, a check and their
// deregistration through the agent API are in the catalog (or gone from
// it) by the time the call returns — a script that registers and then
// reads the catalog sees its change without polling.
func TestAgentRegistrationIsInCatalogOnReturn(t *testing.T) {
	_, c := startDevAgent(t)
	agent, health, catalog := c.Agent(), c.Health(), c.Catalog()
	for i := range 20 {
		reg := &consulapi.AgentServiceRegistration{Name: "sync", ID: "sync-1", Tags: []string{"t"},
			Check: &consulapi.AgentServiceCheck{TTL: "15s"}}
		if err := agent.ServiceRegister(reg); err != nil {
			t.Fatal(err)
		}
		checks, _, err := health.Checks("sync", nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(checks) != 1 || checks[0].CheckID != "service:sync-1" {
			t.Fatalf("round %d: checks of sync right after registration: %+v", i, checks)
		}
		if err := agent.CheckRegister(&consulapi.AgentCheckRegistration{ID: "extra", Name: "extra",
			ServiceID: "sync-1", AgentServiceCheck: consulapi.AgentServiceCheck{TTL: "15s"}}); err != nil {
			t.Fatal(err)
		}
		if checks, _, _ = health.Checks("sync", nil); len(checks) != 2 {
			t.Fatalf("round %d: %d checks right after a check registration, want 2", i, len(checks))
		}
		if err := agent.CheckDeregister("extra"); err != nil {
			t.Fatal(err)
		}
		if checks, _, _ = health.Checks("sync", nil); len(checks) != 1 {
			t.Fatalf("round %d: %d checks right after a check deregistration, want 1", i, len(checks))
		}
		if err := agent.ServiceDeregister("sync-1"); err != nil {
			t.Fatal(err)
		}
		svcs, _, err := catalog.Service("sync", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(svcs) != 0 {
			t.Fatalf("round %d: service still in the catalog right after deregistration: %+v", i, svcs)
		}
	}
}
