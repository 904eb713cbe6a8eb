package dns_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	mdns "github.com/miekg/dns"

	"github.com/concordhq/concord/api"
)

// TestOtherDatacenters checks that a name with another datacenter's label
// is answered from that datacenter, SRV targets naming it, and that a
// datacenter the catalog has no path to is NXDOMAIN.
func TestOtherDatacenters(t *testing.T) {
	far := &api.Node{Node: "far1", Address: "10.9.0.1", Datacenter: "dc2"}
	farWeb := entry(far, "web", "", 8080, []string{"v9"}, api.HealthPassing)
	local := fixture()
	var mu sync.Mutex
	var asked []string // the datacenters ServiceEntries and Node were asked for; guarded by mu
	ask := func(dc string) {
		mu.Lock()
		asked = append(asked, dc)
		mu.Unlock()
	}
	cat := &catalog{
		ServiceEntriesFunc: func(ctx context.Context, dc, service string, tags []string) ([]*api.ServiceEntry, error) {
			ask(dc)
			if dc != "dc2" {
				return local.ServiceEntriesFunc(ctx, dc, service, tags)
			}
			if service == "web" && (len(tags) == 0 || tags[0] == "v9") {
				return []*api.ServiceEntry{farWeb}, nil
			}
			return nil, nil
		},
		NodeFunc: func(ctx context.Context, dc, name string) (*api.Node, error) {
			ask(dc)
			if dc != "dc2" {
				return local.NodeFunc(ctx, dc, name)
			}
			if name == "far1" {
				return far, nil
			}
			return nil, nil
		},
		NodesFunc: local.NodesFunc,
	}
	s := startServer(t, testConfig(), cat)
	for _, c := range []lookupCase{
		{qname: "web.service.dc2.consul.", qtype: mdns.TypeA, answer: []string{"web.service.dc2.consul. 0 IN A 10.9.0.1"}},
		{qname: "v9.web.service.dc2.consul.", qtype: mdns.TypeA, answer: []string{"v9.web.service.dc2.consul. 0 IN A 10.9.0.1"}},
		{qname: "_web._v9.service.dc2.consul.", qtype: mdns.TypeSRV,
			answer: []string{"_web._v9.service.dc2.consul. 0 IN SRV 1 1 8080 far1.node.dc2.consul."},
			extra:  []string{"far1.node.dc2.consul. 0 IN A 10.9.0.1"}},
		{qname: "_web._tcp.dc2.consul.", qtype: mdns.TypeSRV,
			answer: []string{"_web._tcp.dc2.consul. 0 IN SRV 1 1 8080 far1.node.dc2.consul."},
			extra:  []string{"far1.node.dc2.consul. 0 IN A 10.9.0.1"}},
		{qname: "web.service.dc2.concord.", qtype: mdns.TypeSRV,
			answer: []string{"web.service.dc2.concord. 0 IN SRV 1 1 8080 far1.node.dc2.concord."},
			extra:  []string{"far1.node.dc2.concord. 0 IN A 10.9.0.1"}},
		{qname: "far1.node.dc2.consul.", qtype: mdns.TypeA, answer: []string{"far1.node.dc2.consul. 0 IN A 10.9.0.1"}},
		// Our own datacenter's label is a local name.
		{qname: "web1.node.dc1.consul.", qtype: mdns.TypeA, answer: []string{"web1.node.dc1.consul. 0 IN A 10.0.0.1"}},
		{qname: "nosuch.service.dc2.consul.", qtype: mdns.TypeA, rcode: mdns.RcodeNameError},
		{qname: "web1.node.dc2.consul.", qtype: mdns.TypeA, rcode: mdns.RcodeNameError},
		// No path to dc3: NXDOMAIN, as Consul answers.
		{qname: "web.service.dc3.consul.", qtype: mdns.TypeA, rcode: mdns.RcodeNameError},
		{qname: "far1.node.dc3.consul.", qtype: mdns.TypeA, rcode: mdns.RcodeNameError},
	} {
		t.Run(c.qname, func(t *testing.T) { checkLookup(t, "udp", s.Addr(), c) })
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(asked, "dc2") || !slices.Contains(asked, "") || slices.Contains(asked, "dc1") {
		t.Errorf("catalog asked for datacenters %q; want dc2 and \"\" (ours), never dc1 by name", asked)
	}
}
