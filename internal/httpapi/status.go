package httpapi

import (
	"net/http"

	"github.com/concordhq/concord/internal/call"
)

// statusLeader serves GET /v1/status/leader: the leader's Raft address as a
// JSON string, "" when there is none.
func (h *Handler) statusLeader(_ http.ResponseWriter, r *http.Request) (any, error) {
	return call.Leader.Invoke(r.Context(), h.backend, call.StatusArgs{})
}

// statusPeers serves GET /v1/status/peers: the voters' Raft addresses.
func (h *Handler) statusPeers(_ http.ResponseWriter, r *http.Request) (any, error) {
	return call.Peers.Invoke(r.Context(), h.backend, call.StatusArgs{})
}
