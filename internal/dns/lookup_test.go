package dns_test

import (
	"slices"
	"strings"
	"testing"

	mdns "github.com/miekg/dns"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/dns"
)

// fixture returns a small catalog:
//
//	web:   web1 (tags v1, primary), web2 (v2), web3 (warning), web4 (critical)
//	api:   on web1 with its own address 10.1.0.1, port 8080
//	db:    on db1, an IPv6 node
//	down:  on web2, whose node check is critical
//	ext:   a service address that is a host name outside our domain
//	alias: a service address that is a node name of our domain
func fixture() *catalog {
	return memCatalog(fixtureData())
}

func fixtureData() ([]*api.Node, []*api.ServiceEntry) {
	web1 := &api.Node{Node: "web1", Address: "10.0.0.1", Datacenter: "dc1",
		Meta: map[string]string{"rack": "r1", "rfc1035-note": "hello"}}
	web2 := &api.Node{Node: "web2", Address: "10.0.0.2", Datacenter: "dc1"}
	web3 := &api.Node{Node: "web3", Address: "10.0.0.3", Datacenter: "dc1"}
	web4 := &api.Node{Node: "web4", Address: "10.0.0.4", Datacenter: "dc1"}
	db1 := &api.Node{Node: "db1", Address: "2001:db8::1", Datacenter: "dc1"}
	nodes := []*api.Node{web1, web2, web3, web4, db1}

	down := entry(web2, "down", "", 81, nil, api.HealthPassing)
	down.Checks = append(down.Checks, &api.HealthCheck{Node: "web2", CheckID: "serfHealth", Status: api.HealthCritical})
	entries := []*api.ServiceEntry{
		entry(web1, "web", "", 80, []string{"v1", "primary"}, api.HealthPassing),
		entry(web2, "web", "", 80, []string{"v2"}, api.HealthPassing),
		entry(web3, "web", "", 80, nil, api.HealthPassing, api.HealthWarning),
		entry(web4, "web", "", 80, nil, api.HealthPassing, api.HealthCritical),
		entry(web1, "api", "10.1.0.1", 8080, nil),
		entry(db1, "db", "", 5432, nil, api.HealthPassing),
		down,
		entry(web1, "ext", "example.com", 443, nil),
		entry(web2, "alias", "web1.node.consul", 80, nil),
	}
	// A critical check of another service on web1 must not hide web1's
	// web instance.
	entries[0].Checks = append(entries[0].Checks, &api.HealthCheck{Node: "web1", CheckID: "other", Status: api.HealthCritical, ServiceID: "other"})
	return nodes, entries
}

// lookupCase is one question and the reply it must get: rcode, the answer
// section in any order, and, when extra is not nil, the additional
// section. Negative replies must carry exactly one SOA in authority.
type lookupCase struct {
	qname  string
	qtype  uint16
	rcode  int
	answer []string
	extra  []string
}

func TestLookups(t *testing.T) {
	cases := []lookupCase{
		// Nodes.
		{qname: "web1.node.consul.", qtype: mdns.TypeA, answer: []string{"web1.node.consul. 0 IN A 10.0.0.1"}},
		{qname: "WEB1.Node.CONSUL.", qtype: mdns.TypeA, answer: []string{"WEB1.Node.CONSUL. 0 IN A 10.0.0.1"}},
		{qname: "web1.node.dc1.consul.", qtype: mdns.TypeA, answer: []string{"web1.node.dc1.consul. 0 IN A 10.0.0.1"}},
		{qname: "web1.node.DC1.consul.", qtype: mdns.TypeA, answer: []string{"web1.node.DC1.consul. 0 IN A 10.0.0.1"}},
		{qname: "web1.node.dc2.consul.", qtype: mdns.TypeA, rcode: mdns.RcodeNameError},
		{qname: "web1.node.concord.", qtype: mdns.TypeA, answer: []string{"web1.node.concord. 0 IN A 10.0.0.1"}},
		{qname: "web1.node.consul.", qtype: mdns.TypeTXT, answer: []string{
			`web1.node.consul. 0 IN TXT "rack=r1"`, `web1.node.consul. 0 IN TXT "hello"`}},
		{qname: "web1.node.consul.", qtype: mdns.TypeANY, answer: []string{"web1.node.consul. 0 IN A 10.0.0.1",
			`web1.node.consul. 0 IN TXT "rack=r1"`, `web1.node.consul. 0 IN TXT "hello"`}},
		{qname: "web1.node.consul.", qtype: mdns.TypeAAAA},
		{qname: "web2.node.consul.", qtype: mdns.TypeTXT},
		{qname: "db1.node.consul.", qtype: mdns.TypeAAAA, answer: []string{"db1.node.consul. 0 IN AAAA 2001:db8::1"}},
		{qname: "db1.node.consul.", qtype: mdns.TypeA},
		{qname: "nope.node.consul.", qtype: mdns.TypeA, rcode: mdns.RcodeNameError},
		{qname: "node.consul.", qtype: mdns.TypeA, rcode: mdns.RcodeNameError},

		// Services: critical instances (web4, down) are left out, warning
		// ones (web3) kept; checks of other services do not count.
		{qname: "web.service.consul.", qtype: mdns.TypeA, answer: []string{
			"web.service.consul. 0 IN A 10.0.0.1", "web.service.consul. 0 IN A 10.0.0.2", "web.service.consul. 0 IN A 10.0.0.3"}},
		{qname: "Web.Service.DC1.Consul.", qtype: mdns.TypeA, answer: []string{
			"Web.Service.DC1.Consul. 0 IN A 10.0.0.1", "Web.Service.DC1.Consul. 0 IN A 10.0.0.2", "Web.Service.DC1.Consul. 0 IN A 10.0.0.3"}},
		{qname: "web.service.dc2.consul.", qtype: mdns.TypeA, rcode: mdns.RcodeNameError},
		{qname: "v1.web.service.consul.", qtype: mdns.TypeA, answer: []string{"v1.web.service.consul. 0 IN A 10.0.0.1"}},
		{qname: "V2.web.service.concord.", qtype: mdns.TypeA, answer: []string{"V2.web.service.concord. 0 IN A 10.0.0.2"}},
		{qname: "v9.web.service.consul.", qtype: mdns.TypeA, rcode: mdns.RcodeNameError},
		{qname: "web.service.consul.", qtype: mdns.TypeSRV,
			answer: []string{
				"web.service.consul. 0 IN SRV 1 1 80 web1.node.dc1.consul.",
				"web.service.consul. 0 IN SRV 1 1 80 web2.node.dc1.consul.",
				"web.service.consul. 0 IN SRV 1 1 80 web3.node.dc1.consul."},
			extra: []string{
				"web1.node.dc1.consul. 0 IN A 10.0.0.1",
				"web2.node.dc1.consul. 0 IN A 10.0.0.2",
				"web3.node.dc1.consul. 0 IN A 10.0.0.3"}},
		{qname: "web.service.concord.", qtype: mdns.TypeSRV,
			answer: []string{
				"web.service.concord. 0 IN SRV 1 1 80 web1.node.dc1.concord.",
				"web.service.concord. 0 IN SRV 1 1 80 web2.node.dc1.concord.",
				"web.service.concord. 0 IN SRV 1 1 80 web3.node.dc1.concord."}},
		{qname: "web.service.consul.", qtype: mdns.TypeTXT},
		{qname: "api.service.consul.", qtype: mdns.TypeA, answer: []string{"api.service.consul. 0 IN A 10.1.0.1"}},
		{qname: "api.service.consul.", qtype: mdns.TypeSRV,
			answer: []string{"api.service.consul. 0 IN SRV 1 1 8080 0a010001.addr.dc1.consul."},
			extra:  []string{"0a010001.addr.dc1.consul. 0 IN A 10.1.0.1"}},
		{qname: "db.service.consul.", qtype: mdns.TypeAAAA, answer: []string{"db.service.consul. 0 IN AAAA 2001:db8::1"}},
		{qname: "db.service.consul.", qtype: mdns.TypeA},
		{qname: "db.service.consul.", qtype: mdns.TypeSRV,
			answer: []string{"db.service.consul. 0 IN SRV 1 1 5432 db1.node.dc1.consul."},
			extra:  []string{"db1.node.dc1.consul. 0 IN AAAA 2001:db8::1"}},
		{qname: "down.service.consul.", qtype: mdns.TypeA, rcode: mdns.RcodeNameError},
		{qname: "nosuch.service.consul.", qtype: mdns.TypeA, rcode: mdns.RcodeNameError},
		{qname: "service.consul.", qtype: mdns.TypeA, rcode: mdns.RcodeNameError},
		{qname: "ext.service.consul.", qtype: mdns.TypeA, answer: []string{"ext.service.consul. 0 IN CNAME example.com."}},
		{qname: "alias.service.consul.", qtype: mdns.TypeA, answer: []string{
			"alias.service.consul. 0 IN CNAME web1.node.consul.", "web1.node.consul. 0 IN A 10.0.0.1"}},

		// RFC 2782.
		{qname: "_web._tcp.service.consul.", qtype: mdns.TypeSRV, answer: []string{
			"_web._tcp.service.consul. 0 IN SRV 1 1 80 web1.node.dc1.consul.",
			"_web._tcp.service.consul. 0 IN SRV 1 1 80 web2.node.dc1.consul.",
			"_web._tcp.service.consul. 0 IN SRV 1 1 80 web3.node.dc1.consul."}},
		{qname: "_web._v1.service.dc1.consul.", qtype: mdns.TypeSRV, answer: []string{
			"_web._v1.service.dc1.consul. 0 IN SRV 1 1 80 web1.node.dc1.consul."}},
		{qname: "_WEB._primary.consul.", qtype: mdns.TypeSRV, answer: []string{
			"_WEB._primary.consul. 0 IN SRV 1 1 80 web1.node.dc1.consul."}},
		{qname: "_web._udp.dc1.consul.", qtype: mdns.TypeSRV, answer: []string{
			"_web._udp.dc1.consul. 0 IN SRV 1 1 80 web1.node.dc1.consul.",
			"_web._udp.dc1.consul. 0 IN SRV 1 1 80 web2.node.dc1.consul.",
			"_web._udp.dc1.consul. 0 IN SRV 1 1 80 web3.node.dc1.consul."}},
		{qname: "_web._tcp.dc2.consul.", qtype: mdns.TypeSRV, rcode: mdns.RcodeNameError},

		// Addresses.
		{qname: "0a000001.addr.consul.", qtype: mdns.TypeA, answer: []string{"0a000001.addr.consul. 0 IN A 10.0.0.1"}},
		{qname: "0A000001.addr.dc1.consul.", qtype: mdns.TypeA, answer: []string{"0A000001.addr.dc1.consul. 0 IN A 10.0.0.1"}},
		{qname: "20010db8000000000000000000000001.addr.consul.", qtype: mdns.TypeAAAA, answer: []string{
			"20010db8000000000000000000000001.addr.consul. 0 IN AAAA 2001:db8::1"}},
		{qname: "0a000001.addr.consul.", qtype: mdns.TypeAAAA},
		{qname: "0a00zz01.addr.consul.", qtype: mdns.TypeA, rcode: mdns.RcodeNameError},
		{qname: "0a0001.addr.consul.", qtype: mdns.TypeA, rcode: mdns.RcodeNameError},

		// Reverse lookups.
		{qname: "1.0.0.10.in-addr.arpa.", qtype: mdns.TypePTR, answer: []string{"1.0.0.10.in-addr.arpa. 0 IN PTR web1.node.dc1.consul."}},
		{qname: "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.", qtype: mdns.TypePTR, answer: []string{
			"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. 0 IN PTR db1.node.dc1.consul."}},
		{qname: "9.9.9.10.in-addr.arpa.", qtype: mdns.TypePTR, rcode: mdns.RcodeNameError},

		// The apex.
		{qname: "consul.", qtype: mdns.TypeSOA, answer: []string{
			"consul. 0 IN SOA ns.consul. hostmaster.consul. 0 3600 600 86400 0"}},
		{qname: "consul.", qtype: mdns.TypeNS, answer: []string{"consul. 0 IN NS ns.consul."},
			extra: []string{"ns.consul. 0 IN A 127.0.0.1"}},
		{qname: "Concord.", qtype: mdns.TypeNS, answer: []string{"Concord. 0 IN NS ns.concord."}},
		{qname: "ns.consul.", qtype: mdns.TypeA, answer: []string{"ns.consul. 0 IN A 127.0.0.1"}},
		{qname: "consul.", qtype: mdns.TypeA},

		// Unknown names.
		{qname: "foo.consul.", qtype: mdns.TypeA, rcode: mdns.RcodeNameError},
		{qname: "web.query.consul.", qtype: mdns.TypeA, rcode: mdns.RcodeNameError},
		{qname: "a.b.c.web.service.x.consul.", qtype: mdns.TypeA, rcode: mdns.RcodeNameError},
		{qname: strings.Repeat("a.", 123) + "consul.", qtype: mdns.TypeA, rcode: mdns.RcodeNameError},
		{qname: "example.com.", qtype: mdns.TypeA, rcode: mdns.RcodeRefused},
		{qname: "xconsul.", qtype: mdns.TypeA, rcode: mdns.RcodeRefused},
		{qname: strings.Repeat("a.", 127), qtype: mdns.TypeA, rcode: mdns.RcodeRefused},
	}
	s := startServer(t, testConfig(), fixture())
	for _, network := range []string{"udp", "tcp"} {
		for _, tc := range cases {
			t.Run(network+"/"+mdns.Type(tc.qtype).String()+"/"+tc.qname, func(t *testing.T) {
				checkLookup(t, network, s.Addr(), tc)
			})
		}
	}
}

func checkLookup(t *testing.T, network, addr string, tc lookupCase) {
	t.Helper()
	r := exchange(t, network, addr, tc.qname, tc.qtype, 0)
	if r.Rcode != tc.rcode {
		t.Fatalf("rcode = %s, want %s\n%v", mdns.RcodeToString[r.Rcode], mdns.RcodeToString[tc.rcode], r)
	}
	if got, want := rrStrings(r.Answer), parseRRs(t, tc.answer); !slices.Equal(got, want) {
		t.Errorf("answer =\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
	if tc.extra != nil {
		if got, want := rrStrings(r.Extra), parseRRs(t, tc.extra); !slices.Equal(got, want) {
			t.Errorf("extra =\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
		}
	}
	negative := r.Rcode == mdns.RcodeNameError || (r.Rcode == mdns.RcodeSuccess && len(r.Answer) == 0)
	switch {
	case r.Rcode == mdns.RcodeRefused:
		if len(r.Ns) != 0 || r.Authoritative {
			t.Errorf("REFUSED reply has authority %v, aa %v; want neither", r.Ns, r.Authoritative)
		}
	case negative:
		if len(r.Ns) != 1 || r.Ns[0].Header().Rrtype != mdns.TypeSOA {
			t.Errorf("authority = %v, want one SOA", r.Ns)
		}
	case len(r.Ns) != 0:
		t.Errorf("authority = %v, want none", r.Ns)
	}
	if r.Rcode != mdns.RcodeRefused && !r.Authoritative {
		t.Errorf("aa bit not set")
	}
	if r.RecursionAvailable {
		t.Errorf("ra bit set with no recursors")
	}
}

// TestOnlyPassing checks that with OnlyPassing instances with a warning
// check are left out too.
func TestOnlyPassing(t *testing.T) {
	cfg := testConfig()
	cfg.OnlyPassing = true
	s := startServer(t, cfg, fixture())
	checkLookup(t, "udp", s.Addr(), lookupCase{qname: "web.service.consul.", qtype: mdns.TypeA, answer: []string{
		"web.service.consul. 0 IN A 10.0.0.1", "web.service.consul. 0 IN A 10.0.0.2"}})
	// Instances with no checks at all count as passing.
	checkLookup(t, "udp", s.Addr(), lookupCase{qname: "api.service.consul.", qtype: mdns.TypeA, answer: []string{
		"api.service.consul. 0 IN A 10.1.0.1"}})
}

// TestTTLs checks that node and service records carry their TTLs.
func TestTTLs(t *testing.T) {
	cfg := testConfig()
	cfg.NodeTTL = 10e9
	cfg.ServiceTTL = 30e9
	s := startServer(t, cfg, fixture())
	checkLookup(t, "udp", s.Addr(), lookupCase{qname: "web1.node.consul.", qtype: mdns.TypeA, answer: []string{
		"web1.node.consul. 10 IN A 10.0.0.1"}})
	checkLookup(t, "udp", s.Addr(), lookupCase{qname: "api.service.consul.", qtype: mdns.TypeSRV,
		answer: []string{"api.service.consul. 30 IN SRV 1 1 8080 0a010001.addr.dc1.consul."},
		extra:  []string{"0a010001.addr.dc1.consul. 30 IN A 10.1.0.1"}})
}

// TestShuffle checks that the instances come in a new order across
// queries.
func TestShuffle(t *testing.T) {
	nodes, entries := bigService(50)
	s := startServer(t, testConfig(), memCatalog(nodes, entries))
	for _, qtype := range []uint16{mdns.TypeA, mdns.TypeSRV} {
		orders := map[string]bool{}
		for range 20 {
			r := exchange(t, "tcp", s.Addr(), "big.service.consul.", qtype, 0)
			if len(r.Answer) != 50 {
				t.Fatalf("%s: %d answers, want 50", mdns.Type(qtype), len(r.Answer))
			}
			var order []string
			for _, rr := range r.Answer {
				order = append(order, rr.String())
			}
			orders[strings.Join(order, ",")] = true
		}
		if len(orders) < 10 {
			t.Errorf("%s: %d distinct orders in 20 queries, want them (nearly) all different", mdns.Type(qtype), len(orders))
		}
	}
}

func TestConfigValidate(t *testing.T) {
	bad := map[string]func(*dns.Config){
		"no addr":         func(c *dns.Config) { c.Addr = "" },
		"root domain":     func(c *dns.Config) { c.Domain = "." },
		"same alt domain": func(c *dns.Config) { c.AltDomain = "CONSUL" },
		"dotted dc":       func(c *dns.Config) { c.Datacenter = "a.b" },
		"negative ttl":    func(c *dns.Config) { c.NodeTTL = -1 },
		"zero limit":      func(c *dns.Config) { c.UDPAnswerLimit = 0 },
		"zero timeout":    func(c *dns.Config) { c.RecursorTimeout = 0 },
		"bad recursor":    func(c *dns.Config) { c.Recursors = []string{"1.2.3.4:99999"} },
		"no logger":       func(c *dns.Config) { c.Logger = nil },
	}
	for name, mutate := range bad {
		cfg := dns.DefaultConfig()
		mutate(&cfg)
		if err := cfg.Validate(); err == nil {
			t.Errorf("Validate(%s) = nil, want an error", name)
		}
	}
	cfg := dns.DefaultConfig()
	cfg.Recursors = []string{"8.8.8.8", "[::1]:5353", "::1", "resolver.example:53"}
	if err := cfg.Validate(); err != nil {
		t.Errorf("Validate(default with recursors) = %v, want nil", err)
	}
}
