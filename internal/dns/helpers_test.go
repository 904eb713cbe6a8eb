package dns_test

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/dns"
)

// catalog is a dns.Catalog made of func fields.
type catalog struct {
	ServiceEntriesFunc func(ctx context.Context, dc, service string, tags []string) ([]*api.ServiceEntry, error)
	NodeFunc           func(ctx context.Context, dc, name string) (*api.Node, error)
	NodesFunc          func(ctx context.Context) ([]*api.Node, error)
}

var _ dns.Catalog = (*catalog)(nil)

func (c *catalog) ServiceEntries(ctx context.Context, dc, service string, tags []string) ([]*api.ServiceEntry, error) {
	return c.ServiceEntriesFunc(ctx, dc, service, tags)
}

func (c *catalog) Node(ctx context.Context, dc, name string) (*api.Node, error) {
	return c.NodeFunc(ctx, dc, name)
}

func (c *catalog) Nodes(ctx context.Context) ([]*api.Node, error) {
	return c.NodesFunc(ctx)
}

// memCatalog serves nodes and service entries of one datacenter from
// memory, matching names and tags without regard to case, as the state
// store does; it has no path to any other datacenter.
func memCatalog(nodes []*api.Node, entries []*api.ServiceEntry) *catalog {
	return &catalog{
		ServiceEntriesFunc: func(_ context.Context, dc, service string, tags []string) ([]*api.ServiceEntry, error) {
			if dc != "" {
				return nil, api.ErrUnknownDC
			}
			var out []*api.ServiceEntry
			for _, e := range entries {
				if strings.EqualFold(e.Service.Service, service) && hasTags(e.Service.Tags, tags) {
					out = append(out, e)
				}
			}
			return out, nil
		},
		NodeFunc: func(_ context.Context, dc, name string) (*api.Node, error) {
			if dc != "" {
				return nil, api.ErrUnknownDC
			}
			for _, n := range nodes {
				if strings.EqualFold(n.Node, name) {
					return n, nil
				}
			}
			return nil, nil
		},
		NodesFunc: func(context.Context) ([]*api.Node, error) { return nodes, nil },
	}
}

func hasTags(have, want []string) bool {
	for _, t := range want {
		if !slices.ContainsFunc(have, func(h string) bool { return strings.EqualFold(h, t) }) {
			return false
		}
	}
	return true
}

// entry returns an instance of service on node with port and checks of
// the given statuses ("" for none).
func entry(node *api.Node, service, addr string, port int, tags []string, statuses ...string) *api.ServiceEntry {
	id := service + "-" + node.Node
	e := &api.ServiceEntry{
		Node:    node,
		Service: &api.NodeService{ID: id, Service: service, Address: addr, Port: port, Tags: tags},
	}
	for i, st := range statuses {
		e.Checks = append(e.Checks, &api.HealthCheck{
			Node: node.Node, CheckID: fmt.Sprintf("%s:%d", id, i), Status: st, ServiceID: id, ServiceName: service,
		})
	}
	return e
}

// bigService returns n instances of service "big" on nodes big0..big<n-1>,
// all passing, with no service address.
func bigService(n int) ([]*api.Node, []*api.ServiceEntry) {
	var nodes []*api.Node
	var entries []*api.ServiceEntry
	for i := range n {
		node := &api.Node{Node: fmt.Sprintf("big%d", i), Address: fmt.Sprintf("10.2.%d.%d", i/200, i%200+1), Datacenter: "dc1"}
		nodes = append(nodes, node)
		entries = append(entries, entry(node, "big", "", 9000+i, nil, api.HealthPassing))
	}
	return nodes, entries
}

// testConfig returns the config of a test server on a free port.
func testConfig() dns.Config {
	cfg := dns.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.AltDomain = "concord."
	return cfg
}

// startServer starts a server on cat, shut down when the test ends.
func startServer(t testing.TB, cfg dns.Config, cat dns.Catalog) *dns.Server {
	t.Helper()
	s, err := dns.New(cfg, cat)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return s
}

// exchange asks addr about name over network ("udp" or "tcp"), with an
// EDNS0 OPT record of ednsSize when it is not 0.
func exchange(t testing.TB, network, addr, name string, qtype uint16, ednsSize uint16) *mdns.Msg {
	t.Helper()
	q := new(mdns.Msg)
	q.SetQuestion(name, qtype)
	if ednsSize > 0 {
		q.SetEdns0(ednsSize, false)
	}
	return exchangeMsg(t, network, addr, q)
}

func exchangeMsg(t testing.TB, network, addr string, q *mdns.Msg) *mdns.Msg {
	t.Helper()
	c := &mdns.Client{Net: network, Timeout: 3 * time.Second}
	r, _, err := c.Exchange(q, addr)
	if err != nil {
		t.Fatalf("%s %s %s: %v", network, q.Question[0].Name, mdns.Type(q.Question[0].Qtype), err)
	}
	if r.Id != q.Id {
		t.Fatalf("%s %s: reply ID %d, want %d", network, q.Question[0].Name, r.Id, q.Id)
	}
	return r
}

// rrStrings returns rrs in zone-file form, sorted, with SOA serials zeroed
// and OPT records left out.
func rrStrings(rrs []mdns.RR) []string {
	out := []string{}
	for _, rr := range rrs {
		switch rr := rr.(type) {
		case *mdns.OPT:
			continue
		case *mdns.SOA:
			c := *rr
			c.Serial = 0
			out = append(out, c.String())
			continue
		}
		out = append(out, rr.String())
	}
	slices.Sort(out)
	return out
}

// parseRRs parses zone-file records, sorted as rrStrings sorts.
func parseRRs(t testing.TB, rrs []string) []string {
	t.Helper()
	out := []string{}
	for _, s := range rrs {
		rr, err := mdns.NewRR(s)
		if err != nil {
			t.Fatalf("bad record %q in test: %v", s, err)
		}
		out = append(out, rr.String())
	}
	slices.Sort(out)
	return out
}

// udpConn returns a UDP socket connected to addr, closed when the test ends.
func udpConn(t testing.TB, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}
