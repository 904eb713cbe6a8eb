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
// with the client's address), at most a.Limit of them. When this
// datacenter has none, the query fails over to other datacenters
// (failover).
func (s *Server) QueryExecute(ctx context.Context, a *call.QueryExecuteArgs) (*api.PreparedQueryExecuteResponse, api.QueryMeta, error) {
	var pq *api.PreparedQuery
	res, meta, err := query(ctx, s, a.Options(), func(ws memdb.WatchSet, st *state.Store) (uint64, *api.PreparedQueryExecuteResponse, error) {
		var idx uint64
		var err error
		idx, pq, err = resolveQuery(ws, st, a.IDOrName)
		if err != nil {
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
		svcIdx, res, err := s.runQuery(ctx, ws, st, pq, near, a.Limit)
		return max(idx, svcIdx), res, err
	})
	if err != nil || len(res.Nodes) > 0 {
		return res, meta, err
	}
	return s.failover(ctx, pq, a, res), meta, nil
}

// QueryExecuteRemote runs a query's definition here for a server of
// another datacenter that fails the query over: as QueryExecute runs it,
// but never sorted near a node (the node is in the other datacenter) nor
// failed over again.
func (s *Server) QueryExecuteRemote(ctx context.Context, a *call.QueryExecuteRemoteArgs) (*api.PreparedQueryExecuteResponse, api.QueryMeta, error) {
	if a.Definition == nil {
		return nil, api.QueryMeta{}, api.BadRequestError{Reason: "missing prepared query"}
	}
	return query(ctx, s, a.Options(), func(ws memdb.WatchSet, st *state.Store) (uint64, *api.PreparedQueryExecuteResponse, error) {
		return s.runQuery(ctx, ws, st, a.Definition, "", a.Limit)
	})
}

// runQuery runs the query pq on this datacenter's state, its instances
// shuffled, then sorted near the node near when it is set, at most limit
// of them when limit is positive.
func (s *Server) runQuery(ctx context.Context, ws memdb.WatchSet, st *state.Store, pq *api.PreparedQuery, near string, limit int) (uint64, *api.PreparedQueryExecuteResponse, error) {
	idx, entries, err := st.CheckServiceNodes(ws, pq.Service.Service, nil, false)
	if err != nil {
		return idx, nil, err
	}
	nodes := s.queryNodes(entries, &pq.Service)
	if nodes, err = s.readableNodes(ctx, pq.Token, nodes); err != nil {
		return idx, nil, err
	}
	// Shuffled, then sorted near: instances without a coordinate, or
	// all of them when the near node has none, stay shuffled.
	rand.Shuffle(len(nodes), func(i, j int) { nodes[i], nodes[j] = nodes[j], nodes[i] })
	sortNear(st, near, nodes, func(e *api.ServiceEntry) string { return e.Node.Node })
	if limit > 0 && len(nodes) > limit {
		nodes = nodes[:limit]
	}
	return idx, &api.PreparedQueryExecuteResponse{
		Service:    pq.Service.Service,
		Nodes:      nodes,
		DNS:        pq.DNS,
		Datacenter: s.cfg.Datacenter,
	}, nil
}

// failover runs pq in the datacenters its Failover names, as Consul does:
// the NearestN other datacenters nearest by WAN round trip time
// (Datacenters), then those of Failover.Datacenters (and Targets) not yet
// tried, in their order, skipping any the WAN pool does not know. The
// first answer with instances is returned, its Failovers counting the
// datacenters asked (those that failed too); when none has any, local
// (this datacenter's empty answer) with that count. A datacenter that
// fails is logged and the next one asked.
func (s *Server) failover(ctx context.Context, pq *api.PreparedQuery, a *call.QueryExecuteArgs, local *api.PreparedQueryExecuteResponse) *api.PreparedQueryExecuteResponse {
	dcs := failoverDCs(s.Datacenters(), s.cfg.Datacenter, &pq.Service.Failover)
	args := call.QueryExecuteRemoteArgs{Query: a.Query, Definition: pq, Limit: a.Limit}
	for i, dc := range dcs {
		var out call.Result[*api.PreparedQueryExecuteResponse]
		err := s.CallDC(ctx, dc, call.QueryExecuteRemote.Desc, &args, &out)
		if err != nil {
			s.logger.Warn("prepared query failover: cannot query datacenter", "query", pq.ID, "datacenter", dc, "error", err)
			continue
		}
		if res := out.Value; res != nil && len(res.Nodes) > 0 {
			res.Failovers = i + 1
			return res
		}
	}
	local.Failovers = len(dcs)
	return local
}

// failoverDCs lists the datacenters a query fails over to, in order:
// the f.NearestN first of known (every datacenter, nearest first) other
// than self, then those f names that are known, once each.
func failoverDCs(known []string, self string, f *api.QueryFailoverOptions) []string {
	var out []string
	add := func(dc string) {
		if dc != self && slices.Contains(known, dc) && !slices.Contains(out, dc) {
			out = append(out, dc)
		}
	}
	for _, dc := range known {
		if len(out) >= f.NearestN {
			break
		}
		add(dc)
	}
	for _, dc := range f.Datacenters {
		add(dc)
	}
	for _, t := range f.Targets {
		if t.Datacenter != "" {
			add(t.Datacenter)
		}
	}
	return out
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
