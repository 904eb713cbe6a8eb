package agent_test

import (
	"fmt"
	"testing"

	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/testutil"
	mdns "github.com/miekg/dns"
)

// BenchmarkDNSAgent measures DNS queries per second through a real agent
// (its catalog, health filtering and miekg server) for a service with 50
// instances, from 16 concurrent UDP clients: A and SRV.
func BenchmarkDNSAgent(b *testing.B) {
	ta := testutil.StartAgent(b, "", nil)
	registerInstances(b, "http://"+ta.HTTPAddr(), "web", 50)
	for _, qtype := range []uint16{mdns.TypeA, mdns.TypeSRV} {
		b.Run(mdns.TypeToString[qtype], func(b *testing.B) { benchDNS(b, ta.DNSAddr(), qtype) })
	}
}

// BenchmarkDNSClientAgent measures SRV queries per second through a
// client agent (16 concurrent UDP clients, a service of 50 instances on a
// dev server): "rpc" forwards every lookup to the server, "cache" answers
// from the agent cache (dns_config.use_cache).
func BenchmarkDNSClientAgent(b *testing.B) {
	srv := testutil.StartAgent(b, "", nil)
	registerInstances(b, "http://"+srv.HTTPAddr(), "web", 50)
	for _, cached := range []bool{false, true} {
		name := map[bool]string{false: "rpc", true: "cache"}[cached]
		b.Run(name, func(b *testing.B) {
			ca := testutil.StartAgent(b, "", func(c *config.Config) {
				c.NodeName, c.Server, c.DevMode, c.DataDir = "client-"+name, false, false, b.TempDir()
				c.RetryJoin = []string{srv.Agent.SerfAddr()}
				c.DNS.UseCache = cached
			})
			benchDNS(b, ca.Agent.DNSAddr(), mdns.TypeSRV)
		})
	}
}

// benchDNS sends b.N queries of qtype for web.service.consul to addr from
// 16 UDP clients.
func benchDNS(b *testing.B, addr string, qtype uint16) {
	conns := make([]*mdns.Conn, 16)
	for i := range conns {
		c, err := mdns.Dial("udp", addr)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
	}
	measure(b, len(conns), func(w, i int) error {
		m := new(mdns.Msg)
		m.SetQuestion("web.service.consul.", qtype)
		if err := conns[w].WriteMsg(m); err != nil {
			return err
		}
		r, err := conns[w].ReadMsg()
		if err != nil {
			return err
		}
		if r.Rcode != mdns.RcodeSuccess || len(r.Answer) == 0 {
			return fmt.Errorf("query %s: rcode %d, %d answers", mdns.TypeToString[qtype], r.Rcode, len(r.Answer))
		}
		return nil
	})
}
