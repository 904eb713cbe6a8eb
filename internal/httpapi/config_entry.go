package httpapi

import (
	"context"
	"fmt"
	"net/http"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
	"github.com/hashicorp/go-bexpr"
)

// configRoutes are the config entry endpoints.
var configRoutes = []route{
	{"PUT", "/v1/config", (*Handler).configApply},
	{"GET", "/v1/config/{kind}", (*Handler).configList},
	{"GET", "/v1/config/{kind}/{name...}", (*Handler).configGet},
	{"DELETE", "/v1/config/{kind}/{name...}", (*Handler).configDelete},
}

// maxConfigBody bounds a config entry; real ones are a few kilobytes.
const maxConfigBody = 1 << 20

// configApply serves PUT /v1/config: the body is an entry, in Consul's
// JSON (field names in any case or snake_case); ?cas=<index> stores it
// only if the stored one's ModifyIndex is that (0: only if there is
// none). The reply is true or false.
func (h *Handler) configApply(_ http.ResponseWriter, r *http.Request) (any, error) {
	cas, hasCAS, err := uintParam(r.URL.Query(), "cas")
	if err != nil {
		return nil, err
	}
	var raw map[string]any
	if err := decodeBody(r, maxConfigBody, &raw); err != nil {
		return nil, err
	}
	e, err := api.DecodeConfigEntry(raw)
	if err != nil {
		return nil, badRequest("Request decoding failed: " + err.Error())
	}
	return call.ConfigApply.Invoke(r.Context(), h.backend, call.ConfigApplyArgs{Entry: e, CAS: hasCAS, Index: cas})
}

// configGet serves GET /v1/config/<kind>/<name>: the entry, or 404.
func (h *Handler) configGet(w http.ResponseWriter, r *http.Request) (any, error) {
	return read(h, w, r, func(ctx context.Context, q *api.QueryOptions) (*api.ConfigEntry, api.QueryMeta, error) {
		return readCall(ctx, h, call.ConfigGet, call.ConfigGetArgs{Query: query(q), Kind: r.PathValue("kind"), Name: r.PathValue("name")})
	})
}

// configList serves GET /v1/config/<kind>: every entry of the kind, by
// name; [] when there is none. ?filter applies to service-defaults
// entries only, as in Consul.
func (h *Handler) configList(w http.ResponseWriter, r *http.Request) (any, error) {
	opts, err := h.parseQueryOptions(r)
	if err != nil {
		return nil, err
	}
	filter, err := parseFilter(r)
	if err != nil {
		return nil, err
	}
	kind := r.PathValue("kind")
	if filter != nil && kind != api.ServiceDefaults {
		return nil, badRequest(fmt.Sprintf("filtering not supported for config entry kind=%v", kind))
	}
	out, m, err := readCall(r.Context(), h, call.ConfigList, call.ConfigListArgs{Query: query(opts), Kind: kind})
	setMeta(w, &m)
	if err != nil {
		return nil, err
	}
	if filter != nil {
		return filterServiceDefaults(filter, out)
	}
	if out == nil {
		out = []*api.ConfigEntry{}
	}
	return out, nil
}

// filterServiceDefaults keeps the entries that match f, its selectors
// naming the entry's own fields ("Protocol == http").
func filterServiceDefaults(f *bexpr.Filter, entries []*api.ConfigEntry) ([]*api.ServiceConfigEntry, error) {
	list := make([]*api.ServiceConfigEntry, 0, len(entries))
	for _, e := range entries {
		list = append(list, e.Service)
	}
	return applyFilter(f, list)
}

// configDelete serves DELETE /v1/config/<kind>/<name>, with ?cas=<index>
// to delete only if the entry's ModifyIndex is that. The reply is {}, or
// with ?cas true or false, as Consul's.
func (h *Handler) configDelete(_ http.ResponseWriter, r *http.Request) (any, error) {
	cas, hasCAS, err := uintParam(r.URL.Query(), "cas")
	if err != nil {
		return nil, err
	}
	ok, err := call.ConfigDelete.Invoke(r.Context(), h.backend, call.ConfigDeleteArgs{
		Kind: r.PathValue("kind"), Name: r.PathValue("name"), CAS: hasCAS, Index: cas,
	})
	if err != nil || hasCAS {
		return ok, err
	}
	return struct{}{}, nil
}
