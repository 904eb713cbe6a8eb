package agent

import (
	"context"
	"net"
	"strconv"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/dns"
	"github.com/concordhq/concord/internal/rpc"
)

// startDNS starts the DNS interface unless its port is -1.
func (a *Agent) startDNS() error {
	if a.cfg.Ports.DNS < 0 {
		return nil
	}
	c := a.cfg.DNS
	srv, err := dns.New(dns.Config{
		Addr:            net.JoinHostPort(a.cfg.ClientAddr, strconv.Itoa(a.cfg.Ports.DNS)),
		Domain:          c.Domain,
		AltDomain:       c.AltDomain,
		Datacenter:      a.cfg.Datacenter,
		NodeTTL:         c.NodeTTL,
		ServiceTTL:      c.ServiceTTL,
		OnlyPassing:     c.OnlyPassing,
		EnableTruncate:  c.EnableTruncate,
		UDPAnswerLimit:  c.UDPAnswerLimit,
		Recursors:       c.Recursors,
		RecursorTimeout: c.RecursorTimeout,
		Logger:          a.logger.With("component", "dns"),
	}, dnsCatalog{store: a.store, stale: c.AllowStale})
	if err != nil {
		return err
	}
	a.dns = srv
	return nil
}

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
	store rpc.Store
	stale bool
}

func (c dnsCatalog) query() *api.QueryOptions { return &api.QueryOptions{AllowStale: c.stale} }

func (c dnsCatalog) ServiceEntries(ctx context.Context, service string, tags []string) ([]*api.ServiceEntry, error) {
	out, _, err := c.store.HealthService(ctx, c.query(), service, tags, false)
	return out, err
}

func (c dnsCatalog) Node(ctx context.Context, name string) (*api.Node, error) {
	cn, _, err := c.store.CatalogNode(ctx, c.query(), name)
	if err != nil || cn == nil {
		return nil, err
	}
	return cn.Node, nil
}

func (c dnsCatalog) Nodes(ctx context.Context) ([]*api.Node, error) {
	out, _, err := c.store.CatalogNodes(ctx, c.query())
	return out, err
}
