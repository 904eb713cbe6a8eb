package multidc_test

import (
	"slices"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/concordhq/concord/internal/testutil"
	consul "github.com/hashicorp/consul/api"
)

// TestTranslateWANAddrs: dc1's agents run with translate_wan_addrs, dc2's
// without; dc2's client agent advertises a WAN address (-advertise-wan),
// which becomes its node's "wan" tagged address, and dc2 has an external
// node with WAN tagged addresses of its own and of its service. Asked
// through dc1's client agent about dc2 (HTTP ?dc=dc2, DNS names in dc2, a
// prepared query failing over to dc2) the answers carry the WAN
// addresses; answers about one's own datacenter, and dc2's agent asked
// about dc1, carry the LAN ones.
func TestTranslateWANAddrs(t *testing.T) {
	f := startFederationOpts(t, fedOptions{
		dcArgs: func(dc string) []string {
			if dc == "dc1" {
				return []string{"-hcl=translate_wan_addrs = true"}
			}
			return nil
		},
		clientArgs: func(dc string) []string {
			if dc == "dc2" {
				return []string{"-advertise-wan=127.0.0.2"}
			}
			return nil
		},
	}, 1, 1)
	c1, c2 := f.agent(t, "dc1"), f.agent(t, "dc2")
	agent2 := f.dcs["dc2"].Clients()[0].Name

	// dc2's client agent declares its WAN address in the catalog.
	waitFor(t, 20*time.Second, func(r *testutil.R) {
		n, _, err := c2.Catalog().Node(agent2, nil)
		if err != nil || n == nil || n.Node.TaggedAddresses["wan"] != "127.0.0.2" || n.Node.TaggedAddresses["wan_ipv4"] != "127.0.0.2" ||
			n.Node.TaggedAddresses["lan"] != n.Node.Address {
			r.Fatalf("dc2's client agent's node = %+v, %v; want wan and wan_ipv4 127.0.0.2, lan its address", n, err)
		}
	})
	mustOK(t, "register web on dc2's client agent", c2.Agent().ServiceRegister(&consul.AgentServiceRegistration{Name: "web", Port: 80}))
	ext := func(dc, lan, wan, svcLAN, svcWAN string) {
		mustOK(t, "register ext in "+dc, errOf(c1.Catalog().Register(&consul.CatalogRegistration{
			Node: "ext-" + dc, Address: lan, TaggedAddresses: map[string]string{"lan": lan, "wan": wan},
			Service: &consul.AgentService{ID: "db", Service: "db", Address: svcLAN, Port: 5432,
				TaggedAddresses: map[string]consul.ServiceAddress{"wan": {Address: svcWAN, Port: 15432}}},
		}, to(dc))))
	}
	ext("dc2", "10.2.0.5", "192.0.2.5", "10.2.0.6", "192.0.2.6")
	ext("dc1", "10.1.0.5", "198.51.100.5", "10.1.0.6", "198.51.100.6")

	t.Run("HTTP", func(t *testing.T) {
		waitFor(t, 10*time.Second, func(r *testutil.R) {
			es, m, err := c1.Health().Service("web", "", false, in("dc2"))
			if err != nil || len(es) != 1 || es[0].Node.Address != "127.0.0.2" || !m.AddressTranslationEnabled {
				r.Fatalf("health web in dc2 via dc1 = %v, %v (translated %v); want node address 127.0.0.2", entries(es), err, m != nil && m.AddressTranslationEnabled)
			}
		})
		ss, _, err := c1.Catalog().Service("db", "", in("dc2"))
		if err != nil || len(ss) != 1 || ss[0].Address != "192.0.2.5" || ss[0].ServiceAddress != "192.0.2.6" || ss[0].ServicePort != 15432 {
			t.Errorf("catalog db in dc2 via dc1 = %+v, %v; want 192.0.2.5, service 192.0.2.6:15432", ss, err)
		}
		n, _, err := c1.Catalog().Node("ext-dc2", in("dc2"))
		if err != nil || n == nil || n.Node.Address != "192.0.2.5" || n.Services["db"].Address != "192.0.2.6" || n.Services["db"].Port != 15432 {
			t.Errorf("catalog node ext-dc2 in dc2 via dc1 = %+v, %v; want 192.0.2.5, db at 192.0.2.6:15432", n, err)
		}
		if n != nil && n.Node.TaggedAddresses["lan"] != "10.2.0.5" {
			t.Errorf("catalog node ext-dc2 via dc1: tagged addresses %v, want them as registered", n.Node.TaggedAddresses)
		}
		nodes, _, err := c1.Catalog().Nodes(in("dc2"))
		if addr := nodeAddrs(nodes); err != nil || addr["ext-dc2"] != "192.0.2.5" || addr[agent2] != "127.0.0.2" {
			t.Errorf("catalog nodes in dc2 via dc1 = %v, %v; want ext-dc2 192.0.2.5, %s 127.0.0.2", addr, err, agent2)
		}
		// About one's own datacenter, or without translate_wan_addrs: LAN.
		if ss, _, err := c1.Catalog().Service("db", "", nil); err != nil || len(ss) != 1 || ss[0].Address != "10.1.0.5" || ss[0].ServiceAddress != "10.1.0.6" {
			t.Errorf("catalog db in dc1 via dc1 = %+v, %v; want 10.1.0.5, service 10.1.0.6", ss, err)
		}
		ss, m, err := c2.Catalog().Service("db", "", in("dc1"))
		if err != nil || len(ss) != 1 || ss[0].Address != "10.1.0.5" || ss[0].ServiceAddress != "10.1.0.6" || m.AddressTranslationEnabled {
			t.Errorf("catalog db in dc1 via dc2 (no translate_wan_addrs) = %+v, %v, translated %v; want 10.1.0.5, service 10.1.0.6", ss, err, m.AddressTranslationEnabled)
		}
	})

	t.Run("DNS", func(t *testing.T) {
		dns := f.dcs["dc1"].dns
		for _, tc := range []struct {
			name string
			want []string
		}{
			{"db.service.dc2.consul.", []string{"db.service.dc2.consul.\t0\tIN\tA\t192.0.2.6"}},
			{"web.service.dc2.consul.", []string{"web.service.dc2.consul.\t0\tIN\tA\t127.0.0.2"}},
			{"ext-dc2.node.dc2.consul.", []string{"ext-dc2.node.dc2.consul.\t0\tIN\tA\t192.0.2.5"}},
			{"db.service.consul.", []string{"db.service.consul.\t0\tIN\tA\t10.1.0.6"}},
			{"db.service.dc1.consul.", []string{"db.service.dc1.consul.\t0\tIN\tA\t10.1.0.6"}},
		} {
			waitFor(t, 10*time.Second, func(r *testutil.R) {
				if m := ask(r, dns, tc.name, mdns.TypeA); !slices.Equal(records(m.Answer), tc.want) {
					r.Fatalf("%s A = %q, want %q", tc.name, records(m.Answer), tc.want)
				}
			})
		}
		// The service's own WAN address and port: its target is that
		// address (<hex>.addr.<dc>, as Consul names a service address).
		m := ask(t, dns, "_db._tcp.service.dc2.consul.", mdns.TypeSRV)
		want := []string{"_db._tcp.service.dc2.consul.\t0\tIN\tSRV\t1 1 15432 c0000206.addr.dc2.consul."}
		extra := []string{"c0000206.addr.dc2.consul.\t0\tIN\tA\t192.0.2.6"}
		if !slices.Equal(records(m.Answer), want) || !slices.Equal(records(m.Extra), extra) {
			t.Errorf("_db._tcp.service.dc2 SRV = %q, additional %q; want %q, %q", records(m.Answer), records(m.Extra), want, extra)
		}
	})

	t.Run("prepared query failover", func(t *testing.T) {
		// web has no instance in dc1: the query fails over to dc2, whose
		// answer reaches dc1's client with the WAN address.
		_, _, err := c1.PreparedQuery().Create(&consul.PreparedQueryDefinition{Name: "web-fo",
			Service: consul.ServiceQuery{Service: "web", Failover: consul.QueryFailoverOptions{Datacenters: []string{"dc2"}}}}, nil)
		mustOK(t, "create web-fo", err)
		res, _, err := c1.PreparedQuery().Execute("web-fo", nil)
		if err != nil || res.Datacenter != "dc2" || len(res.Nodes) != 1 || res.Nodes[0].Node.Address != "127.0.0.2" {
			t.Errorf("execute web-fo via dc1 = %+v, %v; want dc2's instance at 127.0.0.2", res, err)
		}
		m := ask(t, f.dcs["dc1"].dns, "web-fo.query.consul.", mdns.TypeA)
		if want := []string{"web-fo.query.consul.\t0\tIN\tA\t127.0.0.2"}; !slices.Equal(records(m.Answer), want) {
			t.Errorf("web-fo.query.consul A = %q, want %q", records(m.Answer), want)
		}
	})
}

// nodeAddrs maps each node's name to its address.
func nodeAddrs(nodes []*consul.Node) map[string]string {
	out := map[string]string{}
	for _, n := range nodes {
		out[n.Node] = n.Address
	}
	return out
}

// entries shows service entries as node=address for a failure message.
func entries(es []*consul.ServiceEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Node.Node+"="+e.Node.Address)
	}
	return out
}
