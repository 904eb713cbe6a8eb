package httpapi

import (
	"context"
	"net/http"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
)

// maxCoordinateBody bounds a coordinate update (a few hundred bytes).
const maxCoordinateBody = 64 << 10

// coordinateRoutes are the coordinate endpoints.
var coordinateRoutes = []route{
	{"GET", "/v1/coordinate/datacenters", coordinatesOn((*Handler).coordinateDatacenters)},
	{"GET", "/v1/coordinate/nodes", coordinatesOn((*Handler).coordinateNodes)},
	{"GET", "/v1/coordinate/node/{node}", coordinatesOn((*Handler).coordinateNode)},
	{"PUT", "/v1/coordinate/update", coordinatesOn((*Handler).coordinateUpdate)},
}

// coordinatesOn runs fn unless the agent has coordinates disabled, which
// Consul answers with a 401.
func coordinatesOn(fn handlerFunc) handlerFunc {
	return func(h *Handler, w http.ResponseWriter, r *http.Request) (any, error) {
		if h.cfg.DisableCoordinates {
			return statusText{code: http.StatusUnauthorized, text: "Coordinate support disabled"}, nil
		}
		return fn(h, w, r)
	}
}

// coordinateDatacenters serves GET /v1/coordinate/datacenters: the servers'
// coordinates of each datacenter. Not a blocking query, as in Consul.
func (h *Handler) coordinateDatacenters(_ http.ResponseWriter, r *http.Request) (any, error) {
	out, err := call.CoordinateDatacenters.Invoke(r.Context(), h.backend, call.CoordinateDatacentersArgs{})
	if out == nil {
		out = []*api.CoordinateDatacenterMap{}
	}
	return out, err
}

// coordinateNodes serves GET /v1/coordinate/nodes: every node's LAN
// coordinates, or with ?segment those of one segment.
func (h *Handler) coordinateNodes(w http.ResponseWriter, r *http.Request) (any, error) {
	out, err := read(h, w, r, func(ctx context.Context, q *api.QueryOptions) ([]*api.CoordinateEntry, api.QueryMeta, error) {
		return readCall(ctx, h, call.CoordinateNodes, call.CoordinateNodesArgs{Query: query(q)})
	})
	if err != nil {
		return nil, err
	}
	return inSegment(r, out), nil
}

// coordinateNode serves GET /v1/coordinate/node/<node>: the node's
// coordinates, one per segment; 404 when it has none, as in Consul.
func (h *Handler) coordinateNode(w http.ResponseWriter, r *http.Request) (any, error) {
	out, err := read(h, w, r, func(ctx context.Context, q *api.QueryOptions) ([]*api.CoordinateEntry, api.QueryMeta, error) {
		return readCall(ctx, h, call.CoordinateNode, call.CoordinateNodeArgs{Query: query(q), Node: r.PathValue("node")})
	})
	if err != nil {
		return nil, err
	}
	if out = inSegment(r, out); len(out) == 0 {
		return nil, errNotFound
	}
	return out, nil
}

// inSegment keeps, with ?segment, the entries of that segment.
func inSegment(r *http.Request, entries []*api.CoordinateEntry) []*api.CoordinateEntry {
	q := r.URL.Query()
	if !has(q, "segment") {
		return entries
	}
	segment := q.Get("segment")
	return keep(entries, func(e *api.CoordinateEntry) bool { return e.Segment == segment })
}

// coordinateUpdate serves PUT /v1/coordinate/update: one node's coordinate,
// applied by the leader with the next batch. The reply is empty.
func (h *Handler) coordinateUpdate(_ http.ResponseWriter, r *http.Request) (any, error) {
	var e api.CoordinateEntry
	if err := decodeBody(r, maxCoordinateBody, &e); err != nil {
		return nil, err
	}
	if err := doWrite(r.Context(), h, call.CoordinateUpdate, call.CoordinateUpdateArgs{Entry: &e}); err != nil {
		return nil, err
	}
	return handled{}, nil
}
