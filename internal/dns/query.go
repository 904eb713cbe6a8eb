package dns

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/concordhq/concord/api"
)

// QueryCatalog is implemented by a Catalog that can run prepared queries;
// with one that cannot, every <name>.query name is unknown. It is called
// like the Catalog's other methods: concurrently, with a context per query,
// and what it returns is only read.
type QueryCatalog interface {
	// ExecuteQuery runs the prepared query of that ID or name (in lower
	// case; query names are matched without regard to case) as the agent
	// answering the question runs it, in datacenter dc as
	// Catalog.ServiceEntries takes it. The instances come filtered on the
	// query's health rules and in their final order, and the response
	// names the datacenter that served them (another one when the query
	// failed over). client is the asking client's IP address (for a
	// query whose Near is "_ip"). A query that does not exist gives nil
	// and no error.
	ExecuteQuery(ctx context.Context, dc, idOrName, client string) (*api.PreparedQueryExecuteResponse, error)
}

// serveQuery answers <query-id-or-name>.query[.<dc>].<domain> as a service
// name is answered (SRV, or the instances' addresses), with the instances
// the query returns in the order it returns them, and the query's DNS TTL
// when it has one, else Config.ServiceTTL. SRV targets name the
// datacenter that served the query. A query that does not exist or
// returns no instance is unknown (NXDOMAIN), as in Consul.
func (s *Server) serveQuery(ctx context.Context, req *request, dc, name string, m *mdns.Msg) error {
	qc, ok := s.cat.(QueryCatalog)
	if !ok || name == "" {
		return errNoName
	}
	res, err := qc.ExecuteQuery(ctx, dc, name, req.client)
	if err != nil {
		return fmt.Errorf("cannot execute query %q: %w", name, err)
	}
	if res == nil {
		return errNoName
	}
	entries := make([]*api.ServiceEntry, 0, len(res.Nodes))
	for _, e := range res.Nodes {
		if e != nil && e.Node != nil && e.Service != nil {
			entries = append(entries, e)
		}
	}
	if len(entries) == 0 {
		return errNoName
	}
	if served := strings.ToLower(res.Datacenter); served != "" && s.remoteDC(served) != dc {
		req.zone = newZone(req.zone.domain, served)
	}
	ttl, err := queryTTL(res.DNS.TTL, s.cfg.ServiceTTL)
	if err != nil {
		return err
	}
	if req.qtype == mdns.TypeSRV {
		s.appendSRVs(ctx, req, entries, ttl, m)
	} else {
		s.appendServiceAddrs(ctx, req, entries, ttl, m)
	}
	return nil
}

// queryTTL is the TTL of a query's records: its own, when it has one,
// else def.
func queryTTL(ttl string, def time.Duration) (uint32, error) {
	if ttl == "" {
		return ttlOf(def), nil
	}
	d, err := time.ParseDuration(ttl)
	if err != nil || d < 0 || d > maxTTL {
		return 0, errors.Join(fmt.Errorf("query has a bad DNS TTL %q", ttl), err)
	}
	return ttlOf(d), nil
}
