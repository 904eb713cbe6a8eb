package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
)

// queryRoutes are the prepared query endpoints.
var queryRoutes = []route{
	{"POST", "/v1/query", (*Handler).queryCreate},
	{"GET", "/v1/query", (*Handler).queryList},
	{"GET", "/v1/query/{id}", (*Handler).queryGet},
	{"PUT", "/v1/query/{id}", (*Handler).queryUpdate},
	{"DELETE", "/v1/query/{id}", (*Handler).queryDelete},
	{"GET", "/v1/query/{id}/execute", (*Handler).queryExecute},
	{"GET", "/v1/query/{id}/explain", (*Handler).queryExplain},
}

// maxQueryBody bounds a prepared query definition; real ones are small.
const maxQueryBody = 1 << 20

// queryCreate serves POST /v1/query; the reply is {"ID": id}.
func (h *Handler) queryCreate(_ http.ResponseWriter, r *http.Request) (any, error) {
	id, err := h.queryApply(r, call.QueryCreate, "")
	if err != nil {
		return nil, err
	}
	return map[string]string{"ID": id}, nil
}

// queryUpdate serves PUT /v1/query/<id>: the body replaces the query, whose
// ID is the path's whatever the body says. The reply is empty, as Consul's.
func (h *Handler) queryUpdate(_ http.ResponseWriter, r *http.Request) (any, error) {
	if _, err := h.queryApply(r, call.QueryUpdate, r.PathValue("id")); err != nil {
		return nil, err
	}
	return rawBody{contentType: "application/json"}, nil
}

// queryDelete serves DELETE /v1/query/<id>; the reply is empty.
func (h *Handler) queryDelete(_ http.ResponseWriter, r *http.Request) (any, error) {
	q := &api.PreparedQuery{ID: r.PathValue("id")}
	if _, err := call.QueryApply.Invoke(r.Context(), h.backend, call.QueryApplyArgs{Op: call.QueryDelete, Query: q}); err != nil {
		return nil, err
	}
	return rawBody{contentType: "application/json"}, nil
}

// queryApply decodes a definition from the body and creates or updates it.
func (h *Handler) queryApply(r *http.Request, op, id string) (string, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxQueryBody+1))
	if err != nil {
		return "", fmt.Errorf("cannot read request body: %w", err)
	}
	if len(body) > maxQueryBody {
		return "", api.TooLargeError{Reason: "Request body too large"}
	}
	q := &api.PreparedQuery{}
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, q); err != nil {
			return "", badRequest("Request decode failed: " + err.Error())
		}
	}
	if op == call.QueryUpdate {
		q.ID = id
	}
	return call.QueryApply.Invoke(r.Context(), h.backend, call.QueryApplyArgs{Op: op, Query: q})
}

// queryList serves GET /v1/query.
func (h *Handler) queryList(w http.ResponseWriter, r *http.Request) (any, error) {
	return read(h, w, r, func(ctx context.Context, q *api.QueryOptions) ([]*api.PreparedQuery, api.QueryMeta, error) {
		return readCall(ctx, h, call.QueryList, call.QueryListArgs{Query: query(q)})
	})
}

// queryGet serves GET /v1/query/<id>: a list of one, or 404.
func (h *Handler) queryGet(w http.ResponseWriter, r *http.Request) (any, error) {
	return read(h, w, r, func(ctx context.Context, q *api.QueryOptions) ([]*api.PreparedQuery, api.QueryMeta, error) {
		return readCall(ctx, h, call.QueryGet, call.QueryGetArgs{Query: query(q), ID: r.PathValue("id")})
	})
}

// queryExecute serves GET /v1/query/<id-or-name>/execute, with ?near
// ("_agent" for this agent's node, "_ip" for the client's) and ?limit.
func (h *Handler) queryExecute(w http.ResponseWriter, r *http.Request) (any, error) {
	params := r.URL.Query()
	limit := 0
	if v := params.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, badRequest(fmt.Sprintf("Invalid limit %q: must be a non-negative integer", v))
		}
		limit = n
	}
	return read(h, w, r, func(ctx context.Context, q *api.QueryOptions) (*api.PreparedQueryExecuteResponse, api.QueryMeta, error) {
		q.SourceIP = sourceIP(r) // for a query whose own Near is "_ip"
		return readCall(ctx, h, call.QueryExecute, call.QueryExecuteArgs{
			Query: query(q), IDOrName: r.PathValue("id"),
			Near: params.Get("near"), Agent: h.backend.NodeName(), Limit: limit,
		})
	})
}

// queryExplain serves GET /v1/query/<id-or-name>/explain.
func (h *Handler) queryExplain(w http.ResponseWriter, r *http.Request) (any, error) {
	return read(h, w, r, func(ctx context.Context, q *api.QueryOptions) (*api.PreparedQueryExplainResponse, api.QueryMeta, error) {
		return readCall(ctx, h, call.QueryExplain, call.QueryExplainArgs{Query: query(q), IDOrName: r.PathValue("id")})
	})
}
