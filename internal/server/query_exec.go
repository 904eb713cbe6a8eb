package server

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
	"github.com/concordhq/concord/internal/state"
	"github.com/hashicorp/go-memdb"
)

// nearAgent names, as a Near node, the agent the request came to.
const nearAgent = "_agent"

// QueryExecute runs the query a.IDOrName resolves to: the instances of its
// service that pass its filters (queryNodes) and that the query's token
// (else the caller's) may read, in a new random order, or nearest first
// by network coordinates when a node to sort near is given (?near, else
// the query's Near; "_agent" is the asking agent's node, "_ip" the node
// with the client's address), at most a.Limit
// of them. Only this datacenter is asked: failover to others comes with
// federation, so Failovers is 0.
func (s *Server) QueryExecute(ctx context.Context, a *call.QueryExecuteArgs) (*api.PreparedQueryExecuteResponse, api.QueryMeta, error) {
	return query(ctx, s, a.Options(), func(ws memdb.WatchSet, st *state.Store) (uint64, *api.PreparedQueryExecuteResponse, error) {
		idx, pq, err := resolveQuery(ws, st, a.IDOrName)
		if err != nil {
			return idx, nil, err
		}
		svcIdx, entries, err := st.CheckServiceNodes(ws, pq.Service.Service, nil, false)
		if err != nil {
			return idx, nil, err
		}
		nodes := s.queryNodes(entries, &pq.Service)
		if nodes, err = s.readableNodes(ctx, pq.Token, nodes); err != nil {
			return idx, nil, err
		}
		near := a.Near
		if near == "" {
			near = pq.Service.Near
		}
		if near == nearAgent {
			near = a.Agent
		}
		near = nearNode(st, near, a.Options().SourceIP)
		// Shuffled, then sorted near: instances without a coordinate, or
		// all of them when the near node has none, stay shuffled.
		rand.Shuffle(len(nodes), func(i, j int) { nodes[i], nodes[j] = nodes[j], nodes[i] })
		sortNear(st, near, nodes, func(e *api.ServiceEntry) string { return e.Node.Node })
		if a.Limit > 0 && len(nodes) > a.Limit {
			nodes = nodes[:a.Limit]
		}
		return max(idx, svcIdx), &api.PreparedQueryExecuteResponse{
			Service:    pq.Service.Service,
			Nodes:      nodes,
			DNS:        pq.DNS,
			Datacenter: s.cfg.Datacenter,
		}, nil
	})
}

// queryNodes returns, in a new slice, the entries q selects: none with a
// critical check, or with OnlyPassing any check not passing (checks named
// in IgnoreCheckIDs aside); carrying every tag of q.Tags and none marked
// "!tag" (without regard to case); on a node with every pair of NodeMeta;
// with every pair of ServiceMeta. The entries are shared and stay as they
// are; a node without its datacenter gets a copy that names this one.
func (s *Server) queryNodes(entries []*api.ServiceEntry, q *api.ServiceQuery) []*api.ServiceEntry {
	want, refuse := splitTags(q.Tags)
	out := make([]*api.ServiceEntry, 0, len(entries))
	for _, e := range entries {
		if !passes(e.Checks, q.OnlyPassing, q.IgnoreCheckIDs) || !hasQueryTags(e.Service.Tags, want, refuse) ||
			!hasMeta(e.Node.Meta, q.NodeMeta) || !hasMeta(e.Service.Meta, q.ServiceMeta) {
			continue
		}
		if e.Node.Datacenter == "" {
			n := *e.Node
			n.Datacenter = s.cfg.Datacenter
			e = &api.ServiceEntry{Node: &n, Service: e.Service, Checks: e.Checks}
		}
		out = append(out, e)
	}
	return out
}

// passes reports whether checks let an instance through.
func passes(checks []*api.HealthCheck, onlyPassing bool, ignore []string) bool {
	for _, c := range checks {
		if slices.Contains(ignore, c.CheckID) {
			continue
		}
		if c.Status == api.HealthCritical || onlyPassing && c.Status != api.HealthPassing {
			return false
		}
	}
	return true
}

// splitTags splits a query's tags into those wanted and those refused
// ("!tag"), in lower case.
func splitTags(tags []string) (want, refuse []string) {
	for _, t := range tags {
		t = strings.ToLower(t)
		if rest, ok := strings.CutPrefix(t, "!"); ok {
			refuse = append(refuse, rest)
		} else {
			want = append(want, t)
		}
	}
	return want, refuse
}

// hasQueryTags reports whether an instance's tags hold every wanted tag
// and no refused one, without regard to case.
func hasQueryTags(tags, want, refuse []string) bool {
	has := func(t string) bool {
		for _, have := range tags {
			if strings.EqualFold(have, t) {
				return true
			}
		}
		return false
	}
	for _, t := range want {
		if !has(t) {
			return false
		}
	}
	for _, t := range refuse {
		if has(t) {
			return false
		}
	}
	return true
}

// hasMeta reports whether meta holds every pair of filter.
func hasMeta(meta, filter map[string]string) bool {
	for k, v := range filter {
		if got, ok := meta[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// readableNodes leaves out, with ACLs on, the instances whose node or
// service the query's token (else the caller's) may not read, as Consul
// runs a query with the token stored in it.
func (s *Server) readableNodes(ctx context.Context, token string, nodes []*api.ServiceEntry) ([]*api.ServiceEntry, error) {
	if !s.ACLEnabled() {
		return nodes, nil
	}
	if token == "" {
		token, _ = call.TokenFrom(ctx)
	}
	id, err := s.ResolveToken(token)
	if err != nil || id == nil {
		return nil, err
	}
	nodes, _ = id.Authorizer.FilterServiceEntries(nodes)
	return nodes, nil
}
