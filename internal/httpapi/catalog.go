package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
)

// maxCatalogBody bounds a catalog registration body.
const maxCatalogBody = 512 << 10

// decodeBody decodes a JSON body into v (field names in any case).
func decodeBody(r *http.Request, limit int64, v any) error {
	data, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return err
	}
	if int64(len(data)) > limit {
		return api.TooLargeError{Reason: "Request body too large"}
	}
	if err := json.Unmarshal(data, v); err != nil {
		return badRequest("Request decode failed: " + err.Error())
	}
	return nil
}

// catalogRegister serves PUT /v1/catalog/register; the reply is true.
func (h *Handler) catalogRegister(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req api.CatalogRegistration
	if err := decodeBody(r, maxCatalogBody, &req); err != nil {
		return nil, err
	}
	ctx := r.Context()
	if req.Datacenter != "" && req.Datacenter != h.cfg.Datacenter {
		ctx = call.WithDatacenter(ctx, req.Datacenter) // as ?dc
	}
	if err := doWrite(ctx, h, call.CatalogRegister, call.RegisterArgs{Reg: &req}); err != nil {
		return nil, err
	}
	return true, nil
}

// catalogDeregister serves PUT /v1/catalog/deregister; the reply is true.
func (h *Handler) catalogDeregister(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req api.CatalogDeregistration
	if err := decodeBody(r, maxCatalogBody, &req); err != nil {
		return nil, err
	}
	if err := doWrite(r.Context(), h, call.CatalogDeregister, call.DeregisterArgs{Dereg: &req}); err != nil {
		return nil, err
	}
	return true, nil
}

// catalogNodes serves GET /v1/catalog/nodes.
func (h *Handler) catalogNodes(w http.ResponseWriter, r *http.Request) (any, error) {
	return read(h, w, r, func(ctx context.Context, q *api.QueryOptions) ([]*api.Node, api.QueryMeta, error) {
		return readCall(ctx, h, call.CatalogNodes, call.NodesArgs{Query: query(q)})
	})
}

// healthNode serves GET /v1/health/node/<node>: the node's checks.
func (h *Handler) healthNode(w http.ResponseWriter, r *http.Request) (any, error) {
	return read(h, w, r, func(ctx context.Context, q *api.QueryOptions) ([]*api.HealthCheck, api.QueryMeta, error) {
		return readCall(ctx, h, call.NodeChecks, call.NodeArgs{Query: query(q), Node: r.PathValue("node")})
	})
}
