package httpapi

import (
	"net/http"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
)

// operatorRaftConfiguration serves GET /v1/operator/raft/configuration:
// the servers of the Raft configuration, read on the leader, or with
// ?stale on whichever server answers. A server the catalog does not name
// shows as Node "(unknown)".
func (h *Handler) operatorRaftConfiguration(w http.ResponseWriter, r *http.Request) (any, error) {
	opts, err := h.parseQueryOptions(r)
	if err != nil {
		return nil, err
	}
	conf, meta, err := readCall(r.Context(), h, call.RaftConfiguration, call.RaftConfigurationArgs{Query: query(opts)})
	setMeta(w, &meta)
	if err != nil {
		return nil, err
	}
	out := &api.RaftConfiguration{Index: conf.Index, Servers: make([]*api.RaftServer, 0, len(conf.Servers))}
	for _, s := range conf.Servers {
		c := *s // the backend's; not ours to change
		if c.Node == "" {
			c.Node = "(unknown)"
		}
		out.Servers = append(out.Servers, &c)
	}
	return out, nil
}

// operatorRaftRemovePeer serves DELETE /v1/operator/raft/peer?id=|address=:
// the leader removes that server from the Raft configuration.
func (h *Handler) operatorRaftRemovePeer(_ http.ResponseWriter, r *http.Request) (any, error) {
	q := r.URL.Query()
	id, addr := q.Get("id"), q.Get("address")
	switch {
	case id == "" && addr == "":
		return nil, badRequest("Must specify either ?id with the server's ID or ?address with IP:port of peer to remove")
	case id != "" && addr != "":
		return nil, badRequest("Must specify only one of ?id or ?address")
	}
	return empty, doWrite(r.Context(), h, call.RaftRemovePeer, call.RemovePeerArgs{ID: id, Address: addr})
}
