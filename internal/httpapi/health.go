package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/concordhq/concord/api"
)

// read runs a blocking-capable read: parse the query options, call fn,
// set the index headers.
func read[T any](h *Handler, w http.ResponseWriter, r *http.Request,
	fn func(ctx context.Context, q *api.QueryOptions) (T, api.QueryMeta, error)) (T, error) {
	var zero T
	opts, err := h.parseQueryOptions(r)
	if err != nil {
		return zero, err
	}
	out, m, err := fn(r.Context(), opts)
	setMeta(w, &m)
	return out, err
}

// catalogDatacenters serves GET /v1/catalog/datacenters: only this one
// until federation exists.
func (h *Handler) catalogDatacenters(_ http.ResponseWriter, _ *http.Request) (any, error) {
	return []string{h.cfg.Datacenter}, nil
}

// catalogServices serves GET /v1/catalog/services: name → tags.
func (h *Handler) catalogServices(w http.ResponseWriter, r *http.Request) (any, error) {
	return read(h, w, r, h.backend.CatalogServices)
}

// catalogService serves GET /v1/catalog/service/<name>?tag=..&tag=..
func (h *Handler) catalogService(w http.ResponseWriter, r *http.Request) (any, error) {
	tags := r.URL.Query()["tag"]
	return read(h, w, r, func(ctx context.Context, q *api.QueryOptions) ([]*api.CatalogService, api.QueryMeta, error) {
		return h.backend.CatalogService(ctx, q, r.PathValue("service"), tags)
	})
}

// catalogNode serves GET /v1/catalog/node/<node>: the node and its
// services, or null for an unknown node.
func (h *Handler) catalogNode(w http.ResponseWriter, r *http.Request) (any, error) {
	return read(h, w, r, func(ctx context.Context, q *api.QueryOptions) (*api.CatalogNode, api.QueryMeta, error) {
		return h.backend.CatalogNode(ctx, q, r.PathValue("node"))
	})
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
	return read(h, w, r, func(ctx context.Context, o *api.QueryOptions) ([]*api.ServiceEntry, api.QueryMeta, error) {
		return h.backend.HealthService(ctx, o, r.PathValue("service"), q["tag"], passing)
	})
}

// healthChecks serves GET /v1/health/checks/<service>.
func (h *Handler) healthChecks(w http.ResponseWriter, r *http.Request) (any, error) {
	return read(h, w, r, func(ctx context.Context, q *api.QueryOptions) ([]*api.HealthCheck, api.QueryMeta, error) {
		return h.backend.HealthChecks(ctx, q, r.PathValue("service"))
	})
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
		return h.backend.HealthState(ctx, q, status)
	})
}
