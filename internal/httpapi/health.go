package httpapi

import (
	"context"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
	"github.com/hashicorp/go-bexpr"
)

// read runs a blocking-capable read: parse the query options, call fn,
// set the index headers, then apply ?node-meta and ?filter to the result.
func read[T any](h *Handler, w http.ResponseWriter, r *http.Request,
	fn func(ctx context.Context, q *api.QueryOptions) (T, api.QueryMeta, error)) (T, error) {
	var zero T
	opts, err := h.parseQueryOptions(r)
	if err != nil {
		return zero, err
	}
	filter, err := parseFilter(r)
	if err != nil {
		return zero, err
	}
	meta, err := parseNodeMeta(r)
	if err != nil {
		return zero, err
	}
	out, m, err := fn(r.Context(), opts)
	setMeta(w, &m)
	if err != nil {
		return zero, err
	}
	out = filterNodeMeta(out, meta)
	return applyFilter(filter, out)
}

// parseFilter compiles ?filter, Consul's go-bexpr expression language.
func parseFilter(r *http.Request) (*bexpr.Filter, error) {
	expr := r.URL.Query().Get("filter")
	if expr == "" {
		return nil, nil
	}
	f, err := bexpr.CreateFilter(expr)
	if err != nil {
		return nil, badRequest("Failed to create boolean expression evaluator: " +
			strings.TrimPrefix(err.Error(), "failed to create boolean expression evaluator: "))
	}
	return f, nil
}

// applyFilter keeps the elements of a list or map result that match f.
func applyFilter[T any](f *bexpr.Filter, out T) (T, error) {
	if f == nil {
		return out, nil
	}
	switch reflect.ValueOf(out).Kind() {
	case reflect.Slice, reflect.Map:
	default:
		return out, nil
	}
	filtered, err := f.Execute(out)
	if err != nil {
		return out, badRequest("Failed to apply filter: " + err.Error())
	}
	return filtered.(T), nil
}

// parseNodeMeta reads ?node-meta=key:value (repeatable).
func parseNodeMeta(r *http.Request) (map[string]string, error) {
	pairs := r.URL.Query()["node-meta"]
	if len(pairs) == 0 {
		return nil, nil
	}
	meta := map[string]string{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, ":")
		if !ok || k == "" {
			return nil, badRequest("Invalid node-meta " + strconv.Quote(p) + ": want key:value")
		}
		meta[k] = v
	}
	return meta, nil
}

// filterNodeMeta keeps the entries whose node carries every pair of meta.
// Health checks do not carry their node's metadata: their handlers filter
// them with checksOnMetaNodes.
func filterNodeMeta[T any](out T, meta map[string]string) T {
	if len(meta) == 0 {
		return out
	}
	matches := func(m map[string]string) bool {
		for k, v := range meta {
			if m[k] != v {
				return false
			}
		}
		return true
	}
	var res any
	switch list := any(out).(type) {
	case []*api.Node:
		res = keep(list, func(n *api.Node) bool { return matches(n.Meta) })
	case []*api.CatalogService:
		res = keep(list, func(s *api.CatalogService) bool { return matches(s.NodeMeta) })
	case []*api.ServiceEntry:
		res = keep(list, func(e *api.ServiceEntry) bool { return matches(e.Node.Meta) })
	default:
		return out
	}
	return res.(T)
}

func keep[E any](list []E, ok func(E) bool) []E {
	out := make([]E, 0, len(list))
	for _, e := range list {
		if ok(e) {
			out = append(out, e)
		}
	}
	return out
}

// catalogDatacenters serves GET /v1/catalog/datacenters: every
// datacenter the servers know from the WAN pool, nearest first.
func (h *Handler) catalogDatacenters(_ http.ResponseWriter, r *http.Request) (any, error) {
	dcs, err := call.CatalogDatacenters.Invoke(r.Context(), h.backend, call.CatalogDatacentersArgs{})
	if err != nil {
		return nil, err
	}
	if len(dcs) == 0 {
		dcs = []string{h.cfg.Datacenter}
	}
	return dcs, nil
}

// catalogServices serves GET /v1/catalog/services: name → tags.
func (h *Handler) catalogServices(w http.ResponseWriter, r *http.Request) (any, error) {
	if r.URL.Query().Get("filter") != "" {
		return h.catalogServicesFiltered(w, r)
	}
	return readCached(h, w, r, func(ctx context.Context, q *api.QueryOptions) (map[string][]string, api.QueryMeta, error) {
		out, m, err := readCall(ctx, h, call.CatalogServices, call.ServicesArgs{Query: query(q)})
		if err == nil {
			out, err = h.servicesOnMetaNodes(ctx, r, q, out)
		}
		return out, m, err
	})
}

// addTags records service name in a name → tags map, with the tags it
// does not have yet ([] rather than null for none).
func addTags(out map[string][]string, name string, tags []string) {
	have := out[name]
	if have == nil {
		have = []string{}
	}
	for _, t := range tags {
		if !slices.Contains(have, t) {
			have = append(have, t)
		}
	}
	out[name] = have
}

// catalogServicesFiltered serves /v1/catalog/services?filter=: as Consul
// does, the filter is evaluated against each service instance (the shape
// /v1/catalog/service/:name returns, NodeMeta included), and the reply
// lists the names and tags of the instances that match. Each service's
// instances are read right after the names, without blocking again.
func (h *Handler) catalogServicesFiltered(w http.ResponseWriter, r *http.Request) (any, error) {
	filter, err := parseFilter(r)
	if err != nil {
		return nil, err
	}
	meta, err := parseNodeMeta(r)
	if err != nil {
		return nil, err
	}
	q, err := h.parseQueryOptions(r)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	names, m, err := readCall(ctx, h, call.CatalogServices, call.ServicesArgs{Query: query(q)})
	setMeta(w, &m)
	if err != nil {
		return nil, err
	}
	nq := *q
	nq.MinQueryIndex, nq.MaxQueryTime = 0, 0
	out := map[string][]string{}
	for name := range names {
		insts, _, err := readCall(ctx, h, call.CatalogService, call.ServiceArgs{Query: query(&nq), Service: name})
		if err != nil {
			return nil, err
		}
		if insts, err = applyFilter(filter, filterNodeMeta(insts, meta)); err != nil {
			return nil, err
		}
		for _, inst := range insts {
			addTags(out, name, inst.ServiceTags)
		}
	}
	return out, nil
}

// servicesOnMetaNodes keeps, with ?node-meta, the services that have an
// instance on a node carrying every pair, with the tags of those instances.
// The name → tags map says nothing of nodes, so the matching nodes and
// their services are read right after it, without blocking again.
func (h *Handler) servicesOnMetaNodes(ctx context.Context, r *http.Request, q *api.QueryOptions, services map[string][]string) (map[string][]string, error) {
	nodes, nq, err := h.metaNodes(ctx, r, q)
	if err != nil || nodes == nil {
		return services, err
	}
	out := map[string][]string{}
	for _, n := range nodes {
		cn, _, err := readCall(ctx, h, call.CatalogNode, call.NodeArgs{Query: query(nq), Node: n.Node})
		if err != nil {
			return nil, err
		}
		if cn == nil {
			continue // deregistered meanwhile
		}
		for _, svc := range cn.Services {
			if _, ok := services[svc.Service]; !ok {
				continue
			}
			addTags(out, svc.Service, svc.Tags)
		}
	}
	return out, nil
}

// metaNodes returns, with ?node-meta, the nodes carrying every pair (not
// nil, maybe empty) and the non-blocking query it read them with; without
// ?node-meta, nil.
func (h *Handler) metaNodes(ctx context.Context, r *http.Request, q *api.QueryOptions) ([]*api.Node, *api.QueryOptions, error) {
	meta, err := parseNodeMeta(r)
	if err != nil || len(meta) == 0 {
		return nil, nil, err
	}
	nq := *q
	nq.MinQueryIndex, nq.MaxQueryTime = 0, 0
	nodes, _, err := readCall(ctx, h, call.CatalogNodes, call.NodesArgs{Query: query(&nq)})
	if err != nil {
		return nil, nil, err
	}
	return filterNodeMeta(nodes, meta), &nq, nil
}

// catalogService serves GET /v1/catalog/service/<name>?tag=..&tag=..
func (h *Handler) catalogService(w http.ResponseWriter, r *http.Request) (any, error) {
	tags := r.URL.Query()["tag"]
	return readCached(h, w, r, func(ctx context.Context, q *api.QueryOptions) ([]*api.CatalogService, api.QueryMeta, error) {
		return readCall(ctx, h, call.CatalogService, call.ServiceArgs{Query: query(q), Service: r.PathValue("service"), Tags: tags})
	})
}

// catalogNode serves GET /v1/catalog/node/<node>: the node and its
// services, or null for an unknown node.
func (h *Handler) catalogNode(w http.ResponseWriter, r *http.Request) (any, error) {
	f, err := parseFilter(r)
	if err != nil {
		return nil, err
	}
	return read(h, w, r, func(ctx context.Context, q *api.QueryOptions) (*api.CatalogNode, api.QueryMeta, error) {
		cn, m, err := readCall(ctx, h, call.CatalogNode, call.NodeArgs{Query: query(q), Node: r.PathValue("node")})
		if err == nil && cn != nil && f != nil {
			// ?filter applies to the node's services, as Consul's does;
			// on a copy, as a local call's answer may be shared.
			c := *cn
			c.Services, err = applyFilter(f, cn.Services)
			cn = &c
		}
		return cn, m, err
	})
}

// nodeServiceList is the body of /v1/catalog/node-services: the node and
// its services as a list.
type nodeServiceList struct {
	Node     *api.Node
	Services []*api.NodeService
}

// catalogNodeServices serves GET /v1/catalog/node-services/<node>; ?filter
// applies to the services.
func (h *Handler) catalogNodeServices(w http.ResponseWriter, r *http.Request) (any, error) {
	f, err := parseFilter(r)
	if err != nil {
		return nil, err
	}
	cn, err := read(h, w, r, func(ctx context.Context, q *api.QueryOptions) (*api.CatalogNode, api.QueryMeta, error) {
		return readCall(ctx, h, call.CatalogNode, call.NodeArgs{Query: query(q), Node: r.PathValue("node")})
	})
	if err != nil || cn == nil {
		return nil, err
	}
	list := &nodeServiceList{Node: cn.Node, Services: []*api.NodeService{}}
	for _, id := range slices.Sorted(maps.Keys(cn.Services)) {
		list.Services = append(list.Services, cn.Services[id])
	}
	list.Services, err = applyFilter(f, list.Services)
	return list, err
}

// healthService serves GET /v1/health/service/<name>?passing&tag=..
func (h *Handler) healthService(w http.ResponseWriter, r *http.Request) (any, error) {
	q := r.URL.Query()
	passing := false
	if v, ok := q["passing"]; ok {
		// Present and empty means true; otherwise Go's bool syntax.
		passing = v[0] == ""
		if !passing {
			b, err := strconv.ParseBool(v[0])
			if err != nil {
				return nil, badRequest("Invalid value for ?passing")
			}
			passing = b
		}
	}
	return readCached(h, w, r, func(ctx context.Context, o *api.QueryOptions) ([]*api.ServiceEntry, api.QueryMeta, error) {
		return readCall(ctx, h, call.HealthService, call.HealthServiceArgs{
			Query: query(o), Service: r.PathValue("service"), Tags: q["tag"], PassingOnly: passing})
	})
}

// healthChecks serves GET /v1/health/checks/<service>.
func (h *Handler) healthChecks(w http.ResponseWriter, r *http.Request) (any, error) {
	return read(h, w, r, func(ctx context.Context, q *api.QueryOptions) ([]*api.HealthCheck, api.QueryMeta, error) {
		out, m, err := readCall(ctx, h, call.HealthChecks, call.HealthChecksArgs{Query: query(q), Service: r.PathValue("service")})
		if err == nil {
			out, err = h.checksOnMetaNodes(ctx, r, q, out)
		}
		return out, m, err
	})
}

// checksOnMetaNodes keeps the checks whose node carries every pair of
// ?node-meta. Checks do not carry their node's metadata, so the nodes are
// read too, right after the checks and without blocking again.
func (h *Handler) checksOnMetaNodes(ctx context.Context, r *http.Request, q *api.QueryOptions, checks []*api.HealthCheck) ([]*api.HealthCheck, error) {
	nodes, _, err := h.metaNodes(ctx, r, q)
	if err != nil || nodes == nil {
		return checks, err
	}
	names := map[string]bool{}
	for _, n := range nodes {
		names[n.Node] = true
	}
	return keep(checks, func(c *api.HealthCheck) bool { return names[c.Node] }), nil
}

// healthState serves GET /v1/health/state/<state>: any, passing, warning
// or critical.
func (h *Handler) healthState(w http.ResponseWriter, r *http.Request) (any, error) {
	status := r.PathValue("state")
	switch status {
	case "any", api.HealthPassing, api.HealthWarning, api.HealthCritical:
	default:
		return nil, badRequest("Invalid check state: " + status)
	}
	return read(h, w, r, func(ctx context.Context, q *api.QueryOptions) ([]*api.HealthCheck, api.QueryMeta, error) {
		out, m, err := readCall(ctx, h, call.HealthState, call.HealthStateArgs{Query: query(q), State: status})
		if err == nil {
			out, err = h.checksOnMetaNodes(ctx, r, q, out)
		}
		return out, m, err
	})
}
