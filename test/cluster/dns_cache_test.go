package cluster_test

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/testutil"
	consul "github.com/hashicorp/consul/api"
	mdns "github.com/miekg/dns"
)

// TestClientAgentDNSFromCache: with dns_config.use_cache a client agent
// answers service lookups from its cache, which follows changes by itself
// (a new instance shows up without anyone asking the servers) and keeps
// answering while no server can be reached — where an uncached lookup of
// the same agent then fails.
func TestClientAgentDNSFromCache(t *testing.T) {
	dnsPort := testutil.FreePort(t)
	c := testutil.StartClusterWith(t, binary, 1, 1, func(n *testutil.Node) []string {
		if n.Server {
			return nil
		}
		return []string{"-dns-port=" + strconv.Itoa(dnsPort), "-hcl=dns_config { use_cache = true }"}
	})
	agent := c.Clients()[0]
	dnsAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(dnsPort))
	api := client(t, agent)
	register := func(id string, port int) {
		t.Helper()
		if err := api.Agent().ServiceRegister(&consul.AgentServiceRegistration{ID: id, Name: "web", Port: port}); err != nil {
			t.Fatal(err)
		}
	}
	srvCount := func(name string) (int, int) {
		m := new(mdns.Msg)
		m.SetQuestion(name, mdns.TypeSRV)
		in, err := mdns.Exchange(m, dnsAddr)
		if err != nil {
			return -1, -1
		}
		return len(in.Answer), in.Rcode
	}

	register("web1", 8001)
	waitFor(t, 10*time.Second, func(r *testutil.R) {
		if n, rc := srvCount("web.service.consul."); n != 1 {
			r.Fatalf("SRV web: %d answers (rcode %d), want 1", n, rc)
		}
	})
	register("web2", 8002)
	waitFor(t, 10*time.Second, func(r *testutil.R) {
		if n, rc := srvCount("web.service.consul."); n != 2 {
			r.Fatalf("SRV web after a second instance: %d answers (rcode %d), want 2", n, rc)
		}
	})

	c.Servers()[0].Kill()
	// The uncached node lookup needs a server: once it fails, the servers
	// are out of reach for this agent.
	waitFor(t, 15*time.Second, func(r *testutil.R) {
		if _, rc := srvCount(agent.Name + ".node.consul."); rc == mdns.RcodeSuccess {
			r.Fatalf("node lookup still answered with no server")
		}
	})
	for i := 0; i < 5; i++ {
		if n, rc := srvCount("web.service.consul."); n != 2 || rc != mdns.RcodeSuccess {
			t.Fatalf("cached SRV web with no server: %d answers, rcode %d; want 2 from the cache", n, rc)
		}
	}
}
