package multidc_test

import (
	"slices"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/concordhq/concord/internal/testutil"
	consul "github.com/hashicorp/consul/api"
)

// registerAPI registers service "api" on node api-<dc> with address addr
// in datacenter dc, with a passing check of its own.
func registerAPI(t *testing.T, c *consul.Client, dc, addr string) {
	t.Helper()
	mustOK(t, "register api in "+dc, errOf(c.Catalog().Register(&consul.CatalogRegistration{
		Node: "api-" + dc, Address: addr,
		Service: &consul.AgentService{ID: "api", Service: "api", Port: 8080, Tags: []string{"v1"}},
		Check:   &consul.AgentCheck{CheckID: "api-alive", Name: "api alive", ServiceID: "api", Status: consul.HealthPassing},
	}, to(dc))))
}

// testDNS asks dc1's client agent, over DNS, for names of dc2 and of a
// datacenter that does not exist; the agent answers from its cache
// (dns_config.use_cache), so dc1's and dc2's answers for one service name
// must not mix.
func testDNS(t *testing.T, f *federation) {
	c1 := f.agent(t, "dc1")
	registerAPI(t, c1, "dc1", "10.1.0.1")
	registerAPI(t, c1, "dc2", "10.2.0.1")
	_, _, err := c1.PreparedQuery().Create(&consul.PreparedQueryDefinition{Name: "api-q", Service: consul.ServiceQuery{Service: "api"}}, to("dc2"))
	mustOK(t, "create api-q in dc2", err)

	dns := f.dcs["dc1"].dns
	for _, tc := range []struct {
		name  string
		qtype uint16
		want  []string // the answer section, sorted
		extra []string // the additional section, sorted; nil to skip
	}{
		{"api.service.consul.", mdns.TypeA, []string{"api.service.consul.\t0\tIN\tA\t10.1.0.1"}, nil},
		{"api.service.dc2.consul.", mdns.TypeA, []string{"api.service.dc2.consul.\t0\tIN\tA\t10.2.0.1"}, nil},
		{"api.service.dc1.consul.", mdns.TypeA, []string{"api.service.dc1.consul.\t0\tIN\tA\t10.1.0.1"}, nil},
		{"v1.api.service.dc2.consul.", mdns.TypeA, []string{"v1.api.service.dc2.consul.\t0\tIN\tA\t10.2.0.1"}, nil},
		{"_api._v1.service.dc2.consul.", mdns.TypeSRV,
			[]string{"_api._v1.service.dc2.consul.\t0\tIN\tSRV\t1 1 8080 api-dc2.node.dc2.consul."},
			[]string{"api-dc2.node.dc2.consul.\t0\tIN\tA\t10.2.0.1"}},
		{"_api._tcp.dc2.consul.", mdns.TypeSRV,
			[]string{"_api._tcp.dc2.consul.\t0\tIN\tSRV\t1 1 8080 api-dc2.node.dc2.consul."}, nil},
		{"api-dc2.node.dc2.consul.", mdns.TypeA, []string{"api-dc2.node.dc2.consul.\t0\tIN\tA\t10.2.0.1"}, nil},
		{"api-q.query.dc2.consul.", mdns.TypeSRV,
			[]string{"api-q.query.dc2.consul.\t0\tIN\tSRV\t1 1 8080 api-dc2.node.dc2.consul."},
			[]string{"api-dc2.node.dc2.consul.\t0\tIN\tA\t10.2.0.1"}},
	} {
		waitFor(t, 10*time.Second, func(r *testutil.R) {
			m := ask(r, dns, tc.name, tc.qtype)
			if m.Rcode != mdns.RcodeSuccess || !slices.Equal(records(m.Answer), tc.want) {
				r.Fatalf("%s %s: %s %q, want %q", tc.name, mdns.TypeToString[tc.qtype], mdns.RcodeToString[m.Rcode], records(m.Answer), tc.want)
			}
			if tc.extra != nil && !slices.Equal(records(m.Extra), tc.extra) {
				r.Fatalf("%s: additional %q, want %q", tc.name, records(m.Extra), tc.extra)
			}
		})
	}
	// Names dc2 does not have, and a datacenter there is no path to:
	// NXDOMAIN with our SOA, as Consul answers.
	for _, name := range []string{"api-dc1.node.dc2.consul.", "nosuch.service.dc2.consul.", "api.service.nowhere.consul.",
		"api-dc2.node.nowhere.consul.", "api-q.query.nowhere.consul.", "api-q.query.consul."} {
		m := ask(t, dns, name, mdns.TypeA)
		if m.Rcode != mdns.RcodeNameError || len(m.Ns) != 1 {
			t.Errorf("%s: %s with authority %v, want NXDOMAIN with the SOA", name, mdns.RcodeToString[m.Rcode], m.Ns)
		}
	}
}

// fataler is a *testing.T or a *testutil.R.
type fataler interface {
	Fatalf(format string, args ...any)
}

// ask sends one question to the DNS server at addr over UDP.
func ask(r fataler, addr, name string, qtype uint16) *mdns.Msg {
	q := new(mdns.Msg)
	q.SetQuestion(name, qtype)
	c := &mdns.Client{Timeout: 3 * time.Second}
	m, _, err := c.Exchange(q, addr)
	if err != nil {
		r.Fatalf("%s %s: %v", name, mdns.TypeToString[qtype], err)
	}
	return m
}

// records returns rrs in zone-file form, sorted.
func records(rrs []mdns.RR) []string {
	out := []string{}
	for _, rr := range rrs {
		if _, ok := rr.(*mdns.OPT); !ok {
			out = append(out, rr.String())
		}
	}
	slices.Sort(out)
	return out
}
