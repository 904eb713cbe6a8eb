package agent_test

// Prepared queries over DNS: <id-or-name>.query.<domain> through a server
// agent and a client agent, asked with the miekg/dns client.

import (
	"net"
	"slices"
	"strconv"
	"testing"
	"time"

	consulapi "github.com/hashicorp/consul/api"
	"github.com/hashicorp/serf/coordinate"
	mdns "github.com/miekg/dns"

	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/testutil"
)

// dnsAnswer is what one question got: its rcode, and its answer records
// as the addresses or SRV targets:ports they name, sorted, with their TTLs.
type dnsAnswer struct {
	rcode int
	names []string
	ttls  []uint32
}

func askDNS(t *testing.T, addr, name string, qtype uint16) dnsAnswer {
	t.Helper()
	m := new(mdns.Msg)
	m.SetQuestion(name, qtype)
	in, err := mdns.Exchange(m, addr)
	if err != nil {
		t.Fatalf("DNS %s %s: %v", name, mdns.TypeToString[qtype], err)
	}
	out := dnsAnswer{rcode: in.Rcode}
	for _, rr := range in.Answer {
		switch rr := rr.(type) {
		case *mdns.A:
			out.names = append(out.names, rr.A.String())
		case *mdns.SRV:
			out.names = append(out.names, rr.Target+":"+strconv.Itoa(int(rr.Port)))
		}
		out.ttls = append(out.ttls, rr.Header().Ttl)
	}
	slices.Sort(out.names)
	return out
}

func TestPreparedQueryDNS(t *testing.T) {
	t.Parallel()
	srv := testutil.StartAgent(t, "", func(c *config.Config) {
		c.NodeName = "pq-srv"
		c.DNS.ServiceTTL = 7 * time.Second
	})
	c, err := consulapi.NewClient(&consulapi.Config{Address: srv.HTTPAddr()})
	if err != nil {
		t.Fatal(err)
	}
	for i, status := range []string{"passing", "warning", "critical"} {
		node := "web-" + strconv.Itoa(i)
		_, err := c.Catalog().Register(&consulapi.CatalogRegistration{
			Node: node, Address: "10.3.0." + strconv.Itoa(i+1),
			Service: &consulapi.AgentService{ID: "web", Service: "web", Port: 8000 + i},
			Check:   &consulapi.AgentCheck{CheckID: "web-check", Name: "web", ServiceID: "web", Status: status},
		}, nil)
		if err != nil {
			t.Fatalf("Register(%s): %v", node, err)
		}
	}
	pq := c.PreparedQuery()
	passingID, _, err := pq.Create(&consulapi.PreparedQueryDefinition{Name: "web-passing",
		Service: consulapi.ServiceQuery{Service: "web", OnlyPassing: true}, DNS: consulapi.QueryDNSOptions{TTL: "15s"}}, nil)
	if err != nil {
		t.Fatalf("Create(web-passing): %v", err)
	}
	for _, def := range []*consulapi.PreparedQueryDefinition{
		{Name: "web-healthy", Service: consulapi.ServiceQuery{Service: "web"}},
		{Name: "svc-", Template: consulapi.QueryTemplate{Type: "name_prefix_match"}, Service: consulapi.ServiceQuery{Service: "${name.suffix}", OnlyPassing: true}},
	} {
		if _, _, err := pq.Create(def, nil); err != nil {
			t.Fatalf("Create(%s): %v", def.Name, err)
		}
	}

	dns := srv.DNSAddr()
	for _, tc := range []struct {
		name  string
		qtype uint16
		want  []string
		ttl   uint32
	}{
		{"web-passing.query.consul.", mdns.TypeA, []string{"10.3.0.1"}, 15},
		{"WEB-PASSING.query.dc1.consul.", mdns.TypeA, []string{"10.3.0.1"}, 15},
		{passingID + ".query.consul.", mdns.TypeA, []string{"10.3.0.1"}, 15},
		{passingID + ".query.consul.", mdns.TypeSRV, []string{"web-0.node.dc1.consul.:8000"}, 15},
		{"web-healthy.query.consul.", mdns.TypeA, []string{"10.3.0.1", "10.3.0.2"}, 7},
		{"web-healthy.query.consul.", mdns.TypeSRV, []string{"web-0.node.dc1.consul.:8000", "web-1.node.dc1.consul.:8001"}, 7},
		{"svc-web.query.consul.", mdns.TypeA, []string{"10.3.0.1"}, 7},
	} {
		got := askDNS(t, dns, tc.name, tc.qtype)
		if got.rcode != mdns.RcodeSuccess || !slices.Equal(got.names, tc.want) {
			t.Errorf("%s %s = rcode %d %q, want %q", tc.name, mdns.TypeToString[tc.qtype], got.rcode, got.names, tc.want)
		}
		for _, ttl := range got.ttls {
			if ttl != tc.ttl {
				t.Errorf("%s %s TTL = %d, want %d", tc.name, mdns.TypeToString[tc.qtype], ttl, tc.ttl)
			}
		}
	}
	for _, name := range []string{"nothing.query.consul.", "svc-nothing.query.consul.", "web-passing.query.dc9.consul."} {
		if got := askDNS(t, dns, name, mdns.TypeA); got.rcode != mdns.RcodeNameError {
			t.Errorf("%s A = rcode %d %q, want NXDOMAIN", name, got.rcode, got.names)
		}
	}

	// A client agent answers from the servers.
	client := testutil.StartAgent(t, t.TempDir(), func(c *config.Config) {
		c.NodeName = "pq-client"
		c.Server = false
		c.BootstrapExpect = 0
		c.RetryJoin = []string{srv.SerfAddr()}
		c.RetryInterval = 200 * time.Millisecond
	})
	testutil.Run(t, 20*time.Second, func(r *testutil.R) {
		got := askDNS(t, client.DNSAddr(), "web-passing.query.consul.", mdns.TypeA)
		if got.rcode != mdns.RcodeSuccess || !slices.Equal(got.names, []string{"10.3.0.1"}) {
			r.Fatalf("client agent: web-passing.query.consul A = rcode %d %q, want [10.3.0.1]", got.rcode, got.names)
		}
	})
}

// TestPreparedQueryDNSNearIP: over DNS, a query whose Near is "_ip" sorts
// near the node whose address is the asking client's.
func TestPreparedQueryDNSNearIP(t *testing.T) {
	t.Parallel()
	srv := testutil.StartAgent(t, "", func(c *config.Config) { c.NodeName = "pq-ip" })
	c, err := consulapi.NewClient(&consulapi.Config{Address: srv.HTTPAddr()})
	if err != nil {
		t.Fatal(err)
	}
	// a is where the DNS client asks from; on one axis a 30 ms, b 10 ms, c 20 ms.
	for i, n := range []struct{ name, addr string }{{"a", "127.0.0.77"}, {"b", "10.1.1.2"}, {"c", "10.1.1.3"}} {
		if _, err := c.Catalog().Register(&consulapi.CatalogRegistration{Node: n.name, Address: n.addr,
			Service: &consulapi.AgentService{ID: "web", Service: "web", Port: 80}}, nil); err != nil {
			t.Fatal(err)
		}
		coord := coordinate.NewCoordinate(coordinate.DefaultConfig())
		coord.Vec[0] = []float64{0.030, 0.010, 0.020}[i]
		if _, err := c.Coordinate().Update(&consulapi.CoordinateEntry{Node: n.name, Coord: coord}, nil); err != nil {
			t.Fatal(err)
		}
	}
	testutil.Run(t, 10*time.Second, func(r *testutil.R) {
		if got, _, err := c.Coordinate().Nodes(nil); err != nil || len(got) < 3 {
			r.Fatalf("Coordinate().Nodes() = %d entries, %v; want the 3 set", len(got), err)
		}
	})
	if _, _, err := c.PreparedQuery().Create(&consulapi.PreparedQueryDefinition{Name: "web-ip",
		Service: consulapi.ServiceQuery{Service: "web", Near: "_ip"}}, nil); err != nil {
		t.Fatal(err)
	}
	client := &mdns.Client{Dialer: &net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP("127.0.0.77")}}}
	m := new(mdns.Msg)
	m.SetQuestion("web-ip.query.consul.", mdns.TypeA)
	in, _, err := client.Exchange(m, srv.DNSAddr())
	if err != nil {
		t.Fatalf("DNS web-ip.query.consul A from 127.0.0.77: %v", err)
	}
	var got []string
	for _, rr := range in.Answer {
		if a, ok := rr.(*mdns.A); ok {
			got = append(got, a.A.String())
		}
	}
	if want := []string{"127.0.0.77", "10.1.1.3", "10.1.1.2"}; !slices.Equal(got, want) {
		t.Errorf("DNS web-ip.query.consul A from 127.0.0.77 = %v, want %v (nearest a, then c, then b)", got, want)
	}
}
