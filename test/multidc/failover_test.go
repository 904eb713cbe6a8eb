package multidc_test

import (
	"slices"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/concordhq/concord/internal/testutil"
	consul "github.com/hashicorp/consul/api"
)

// testFailover runs prepared queries of dc1 whose service "api" (as
// testDNS registered it in dc1 and dc2) turns critical in dc1: they
// answer from the datacenters their Failover names, through the HTTP API
// and DNS, and from dc1 again once it is healthy. It logs how long after
// the instance turned critical the query first answered from dc2.
func testFailover(t *testing.T, f *federation) {
	c1 := f.agent(t, "dc1")
	create := func(name string, fo consul.QueryFailoverOptions) {
		_, _, err := c1.PreparedQuery().Create(&consul.PreparedQueryDefinition{Name: name,
			Service: consul.ServiceQuery{Service: "api", Failover: fo}}, nil)
		mustOK(t, "create "+name, err)
	}
	create("api-fo", consul.QueryFailoverOptions{Datacenters: []string{"dc2"}})
	create("api-near", consul.QueryFailoverOptions{NearestN: 2})
	create("api-none", consul.QueryFailoverOptions{Datacenters: []string{"nowhere", "dc3"}})

	// execute runs a query through dc1's client agent.
	execute := func(r fataler, name string) *consul.PreparedQueryExecuteResponse {
		res, _, err := c1.PreparedQuery().Execute(name, nil)
		if err != nil {
			r.Fatalf("execute %s: %v", name, err)
		}
		return res
	}
	from := func(res *consul.PreparedQueryExecuteResponse) string {
		var addrs []string
		for _, n := range res.Nodes {
			addrs = append(addrs, n.Node.Address)
		}
		return res.Datacenter + " " + slices.Concat(addrs, []string{""})[0]
	}
	if res := execute(t, "api-fo"); from(res) != "dc1 10.1.0.1" || res.Failovers != 0 {
		t.Fatalf("api-fo while dc1 is healthy = %s, %d failovers; want dc1 10.1.0.1, 0", from(res), res.Failovers)
	}

	setAPI := func(status string) {
		mustOK(t, "api in dc1 "+status, errOf(c1.Catalog().Register(&consul.CatalogRegistration{Node: "api-dc1", Address: "10.1.0.1",
			Check: &consul.AgentCheck{CheckID: "api-alive", Name: "api alive", ServiceID: "api", Status: status}}, nil)))
	}
	failed := time.Now()
	setAPI(consul.HealthCritical)
	var took time.Duration
	waitFor(t, 10*time.Second, func(r *testutil.R) {
		if res := execute(r, "api-fo"); from(res) != "dc2 10.2.0.1" || res.Failovers != 1 {
			r.Fatalf("api-fo with dc1's instance critical = %s, %d failovers; want dc2 10.2.0.1, 1", from(res), res.Failovers)
		}
		took = time.Since(failed)
	})
	t.Logf("api-fo answered from dc2 %v after dc1's instance was set critical", took.Round(time.Millisecond))

	// NearestN 2 tries dc2 and dc3 in RTT order: dc2 answers, first or second.
	if res := execute(t, "api-near"); from(res) != "dc2 10.2.0.1" || res.Failovers < 1 || res.Failovers > 2 {
		t.Errorf("api-near = %s, %d failovers; want dc2 10.2.0.1 after 1 or 2", from(res), res.Failovers)
	}
	// An unknown datacenter is skipped; dc3 has no api: dc1's empty answer.
	if res := execute(t, "api-none"); len(res.Nodes) != 0 || res.Datacenter != "dc1" || res.Failovers != 1 {
		t.Errorf("api-none = %s, %d failovers; want no instance from dc1, 1 failover", from(res), res.Failovers)
	}
	// DNS fails over too (once the stale read of a follower of dc1 has
	// the critical check); SRV targets name dc2.
	waitFor(t, 10*time.Second, func(r *testutil.R) {
		m := ask(r, f.dcs["dc1"].dns, "api-fo.query.consul.", mdns.TypeSRV)
		if want := []string{"api-fo.query.consul.\t0\tIN\tSRV\t1 1 8080 api-dc2.node.dc2.consul."}; !slices.Equal(records(m.Answer), want) {
			r.Fatalf("api-fo.query.consul SRV = %s %q, want %q", mdns.RcodeToString[m.Rcode], records(m.Answer), want)
		}
	})

	setAPI(consul.HealthPassing)
	if res := execute(t, "api-fo"); from(res) != "dc1 10.1.0.1" || res.Failovers != 0 {
		t.Errorf("api-fo once dc1 is healthy again = %s, %d failovers; want dc1 10.1.0.1, 0", from(res), res.Failovers)
	}
}
