package agent

import (
	"context"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/cache"
	"github.com/concordhq/concord/internal/call"
	"github.com/concordhq/concord/internal/dns"
	"github.com/concordhq/concord/internal/wanaddr"
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
		node: a.cfg.NodeName, cache: a.dnsCache(), cacheMaxAge: c.CacheMaxAge, token: a.dnsToken,
		dc: a.cfg.Datacenter, translateWAN: a.cfg.WAN.TranslateAddrs})
	if err != nil {
		return err
	}
	a.dns = srv
	return nil
}

// dnsCache is the cache service lookups answer from, nil unless
// dns_config.use_cache is set.
func (a *Agent) dnsCache() *cache.Cache {
	if !a.cfg.DNS.UseCache {
		return nil
	}
	return a.cache
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

	// cache, when set (dns_config.use_cache), answers service lookups: one
	// background blocking query per service and tag keeps each answer
	// current, so a hot name costs the servers nothing per query. An
	// answer older than cacheMaxAge (when set; the age is how long the
	// cache has been out of touch with the servers) is fetched anew.
	cache       *cache.Cache
	cacheMaxAge time.Duration
	token       func() string // the token lookups carry, part of a cached answer's key

	// translateWAN answers names in another datacenter than dc, this
	// agent's, with WAN addresses (translate_wan_addrs; package wanaddr).
	dc           string
	translateWAN bool
}

// wan reports whether answers about datacenter dc ("" for this agent's)
// take WAN addresses.
func (c dnsCatalog) wan(dc string) bool { return c.translateWAN && dc != "" && dc != c.dc }

func (c dnsCatalog) query() call.Query {
	q := &api.QueryOptions{AllowStale: c.stale}
	if c.stale {
		q.MaxStale = c.maxStale
	}
	return call.Query{Q: q}
}

// inDC returns ctx making calls in datacenter dc ("" for this agent's).
func inDC(ctx context.Context, dc string) context.Context {
	if dc == "" {
		return ctx
	}
	return call.WithDatacenter(ctx, dc)
}

func (c dnsCatalog) ServiceEntries(ctx context.Context, dc, service string, tags []string) ([]*api.ServiceEntry, error) {
	es, err := c.serviceEntries(ctx, dc, service, tags)
	if err == nil && c.wan(dc) {
		es = wanaddr.ServiceEntries(es)
	}
	return es, err
}

func (c dnsCatalog) serviceEntries(ctx context.Context, dc, service string, tags []string) ([]*api.ServiceEntry, error) {
	if c.cache == nil {
		res, err := call.HealthService.Invoke(inDC(ctx, dc), c.calls, call.HealthServiceArgs{Query: c.query(), Service: service, Tags: tags})
		return res.Value, err
	}
	key := "dns\x00" + dc + "\x00" + service + "\x00" + strings.Join(tags, "\x00") + "\x00token=" + c.token()
	res, err := c.cache.Get(ctx, key, 0, 0, func(ctx context.Context, index uint64) (any, api.QueryMeta, error) {
		q := &api.QueryOptions{AllowStale: true, MinQueryIndex: index}
		if index > 0 {
			q.MaxQueryTime = cache.RefreshWait
		}
		res, err := call.HealthService.Invoke(inDC(ctx, dc), c.calls, call.HealthServiceArgs{Query: call.Query{Q: q}, Service: service, Tags: tags})
		return res.Value, res.Meta, err
	})
	if err != nil {
		return nil, err
	}
	if c.cacheMaxAge > 0 && res.Age > c.cacheMaxAge {
		fresh, err := call.HealthService.Invoke(inDC(ctx, dc), c.calls, call.HealthServiceArgs{Query: c.query(), Service: service, Tags: tags})
		if err == nil {
			return fresh.Value, nil
		}
	}
	entries, _ := res.Value.([]*api.ServiceEntry)
	return entries, nil
}

func (c dnsCatalog) Node(ctx context.Context, dc, name string) (*api.Node, error) {
	res, err := call.CatalogNode.Invoke(inDC(ctx, dc), c.calls, call.NodeArgs{Query: c.query(), Node: name})
	if err != nil || res.Value == nil {
		return nil, err
	}
	if c.wan(dc) {
		return wanaddr.Node(res.Value.Node), nil
	}
	return res.Value.Node, nil
}

func (c dnsCatalog) Nodes(ctx context.Context) ([]*api.Node, error) {
	res, err := call.CatalogNodes.Invoke(ctx, c.calls, call.NodesArgs{Query: c.query()})
	return res.Value, err
}
