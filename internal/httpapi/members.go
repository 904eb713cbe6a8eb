package httpapi

import (
	"net/http"

	"github.com/concordhq/concord/api"
)

// Gossip pool endpoints: the LAN pool, or with ?wan the WAN pool of the
// servers of every datacenter (a client agent is in none).

// agentMembers serves GET /v1/agent/members (?wan, ?filter; ?segment is
// accepted and ignored): every member this agent's gossip knows,
// including failed and left ones, with Status 1 alive, 2 leaving, 3 left,
// 4 failed.
func (h *Handler) agentMembers(_ http.ResponseWriter, r *http.Request) (any, error) {
	f, err := parseFilter(r)
	if err != nil {
		return nil, err
	}
	if has(r.URL.Query(), "wan") {
		return applyFilter(f, h.backend.WANMembers())
	}
	return applyFilter(f, h.backend.Members())
}

// agentJoin serves PUT /v1/agent/join/<address>(?wan): gossip contacts
// address (host or host:port, the serf LAN or WAN port by default) and
// joins its pool.
func (h *Handler) agentJoin(_ http.ResponseWriter, r *http.Request) (any, error) {
	if has(r.URL.Query(), "wan") {
		return empty, h.backend.JoinWAN(r.PathValue("address"))
	}
	return empty, h.backend.Join(r.PathValue("address"))
}

// agentLeave serves PUT /v1/agent/leave: the agent leaves gracefully (a
// server first leaves the Raft configuration) and answers once it has; the
// agent then shuts down.
func (h *Handler) agentLeave(_ http.ResponseWriter, _ *http.Request) (any, error) {
	return empty, h.backend.Leave()
}

// agentForceLeave serves PUT /v1/agent/force-leave/<node>(?prune)(?wan):
// a failed member is marked left at once; with prune it is also dropped
// from the member list. With ?wan node is a server of the WAN pool,
// "<node>.<datacenter>". A node gossip does not know answers 404 (Consul
// answers 500, which its own issue tracker calls a bug).
func (h *Handler) agentForceLeave(_ http.ResponseWriter, r *http.Request) (any, error) {
	q := r.URL.Query()
	wan := has(q, "wan")
	members, forceLeave := h.backend.Members, h.backend.ForceLeave
	if wan {
		members, forceLeave = h.backend.WANMembers, h.backend.ForceLeaveWAN
	}
	node := r.PathValue("node")
	known := false
	for _, m := range members() {
		known = known || m.Name == node
	}
	if !known && !(wan && len(members()) == 0) {
		return nil, api.NotFoundError{Reason: "agent: No node found with name '" + node + "'"}
	}
	return empty, forceLeave(node, has(q, "prune"))
}
