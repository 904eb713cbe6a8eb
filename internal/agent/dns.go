package agent

import (
	"context"
	"net"
	"strconv"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
	"github.com/concordhq/concord/internal/dns"
)

// startDNS starts the DNS interface unless its port is -1.
func (a *Agent) startDNS() error {
	if a.cfg.Ports.DNS < 0 {
		return nil
	}
	c := a.cfg.DNS
	srv, err := dns.New(dns.Config{
		Addr:               net.JoinHostPort(a.cfg.ClientAddr, strconv.Itoa(a.cfg.Ports.DNS)),
		Domain:             c.Domain,
		AltDomain:          c.AltDomain,
		Datacenter:         a.cfg.Datacenter,
		NodeTTL:            c.NodeTTL,
		ServiceTTL:         c.ServiceTTL,
		OnlyPassing:        c.OnlyPassing,
		EnableTruncate:     c.EnableTruncate,
		UDPAnswerLimit:     c.UDPAnswerLimit,
		Recursors:          c.Recursors,
		RecursorTimeout:    c.RecursorTimeout,
		QueryRatePerSource: c.QueryRatePerSource,
		Logger:             a.logger.With("component", "dns"),
	}, dnsCatalog{calls: tokenCaller{next: a.calls, token: a.dnsToken}, stale: c.AllowStale, maxStale: c.MaxStale,
		node: a.cfg.NodeName})
	if err != nil {
		return err
	}
	a.dns = srv
	return nil
}

// dnsToken is the token DNS reads carry: the servers leave out of their
// answers what it may not read.
func (a *Agent) dnsToken() string { return a.tokens.first("dns", "default") }

// DNSAddr is the address the DNS interface listens on (UDP and TCP), ""
// when it is disabled.
func (a *Agent) DNSAddr() string {
	if a.dns == nil {
		return ""
	}
	return a.dns.Addr()
}

// dnsCatalog answers DNS from this server's state; with stale (Consul's
// dns_config.allow_stale, on by default) any server answers without
// asking the leader, which keeps DNS fast.
type dnsCatalog struct {
	calls    call.Caller
	stale    bool
	maxStale time.Duration // a server further behind the leader asks it (dns_config.max_stale)
	node     string        // this agent's node: "_agent" in a prepared query's Near
}

func (c dnsCatalog) query() call.Query {
	q := &api.QueryOptions{AllowStale: c.stale}
	if c.stale {
		q.MaxStale = c.maxStale
	}
	return call.Query{Q: q}
}

func (c dnsCatalog) ServiceEntries(ctx context.Context, service string, tags []string) ([]*api.ServiceEntry, error) {
	res, err := call.HealthService.Invoke(ctx, c.calls, call.HealthServiceArgs{Query: c.query(), Service: service, Tags: tags})
	return res.Value, err
}

func (c dnsCatalog) Node(ctx context.Context, name string) (*api.Node, error) {
	res, err := call.CatalogNode.Invoke(ctx, c.calls, call.NodeArgs{Query: c.query(), Node: name})
	if err != nil || res.Value == nil {
		return nil, err
	}
	return res.Value.Node, nil
}

func (c dnsCatalog) Nodes(ctx context.Context) ([]*api.Node, error) {
	res, err := call.CatalogNodes.Invoke(ctx, c.calls, call.NodesArgs{Query: c.query()})
	return res.Value, err
}
