package httpapi

import (
	"net/http"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
)

// autopilotRoutes are the autopilot, leadership-transfer and usage
// endpoints.
var autopilotRoutes = []route{
	{"GET", "/v1/operator/autopilot/configuration", (*Handler).autopilotGetConfiguration},
	{"PUT", "/v1/operator/autopilot/configuration", (*Handler).autopilotSetConfiguration},
	{"GET", "/v1/operator/autopilot/health", (*Handler).autopilotHealth},
	{"GET", "/v1/operator/autopilot/state", (*Handler).autopilotState},
	{"POST", "/v1/operator/raft/transfer-leader", (*Handler).raftTransferLeader},
	{"GET", "/v1/operator/usage", (*Handler).operatorUsage},
}

// maxAutopilotBody bounds an autopilot configuration body.
const maxAutopilotBody = 64 << 10

// autopilotGetConfiguration serves GET
// /v1/operator/autopilot/configuration: the replicated configuration.
func (h *Handler) autopilotGetConfiguration(w http.ResponseWriter, r *http.Request) (any, error) {
	return optionsRead(h, w, r, call.AutopilotGetConfiguration, func(q call.Query) call.AutopilotGetArgs {
		return call.AutopilotGetArgs{Query: q}
	})
}

// autopilotSetConfiguration serves PUT
// /v1/operator/autopilot/configuration[?cas=N]: it replaces the whole
// configuration (fields left out become zero, as in Consul) and answers
// true, or with ?cas whether the configuration's ModifyIndex was N.
func (h *Handler) autopilotSetConfiguration(_ http.ResponseWriter, r *http.Request) (any, error) {
	q := r.URL.Query()
	var cfg api.AutopilotConfiguration
	if err := decodeBody(r, maxAutopilotBody, &cfg); err != nil {
		if _, bad := err.(api.BadRequestError); bad {
			return nil, badRequest("Error parsing autopilot config: " + err.Error())
		}
		return nil, err
	}
	args := call.AutopilotSetArgs{Config: &cfg}
	if has(q, "cas") {
		idx, _, err := uintParam(q, "cas")
		if err != nil {
			return nil, badRequest("Error parsing cas value: " + err.Error())
		}
		cfg.ModifyIndex, args.CAS = idx, true
	}
	ok, err := call.AutopilotSetConfiguration.Invoke(r.Context(), h.backend, args)
	if err != nil {
		return nil, err
	}
	return ok || !args.CAS, nil
}

// autopilotHealth serves GET /v1/operator/autopilot/health: the leader's
// judgement of every server, with status 429 when any is unhealthy, as
// Consul answers (load balancers read the status alone).
func (h *Handler) autopilotHealth(w http.ResponseWriter, r *http.Request) (any, error) {
	out, err := optionsRead(h, w, r, call.AutopilotServerHealth, healthArgs)
	if err != nil {
		return nil, err
	}
	if !out.Healthy {
		return statusBody{code: http.StatusTooManyRequests, body: out}, nil
	}
	return out, nil
}

// autopilotState serves GET /v1/operator/autopilot/state.
func (h *Handler) autopilotState(w http.ResponseWriter, r *http.Request) (any, error) {
	return optionsRead(h, w, r, call.AutopilotState, healthArgs)
}

func healthArgs(q call.Query) call.AutopilotHealthArgs { return call.AutopilotHealthArgs{Query: q} }

// raftTransferLeader serves POST /v1/operator/raft/transfer-leader[?id=]:
// the leader hands over to the voter with that Raft ID, or to the one
// Raft picks.
func (h *Handler) raftTransferLeader(_ http.ResponseWriter, r *http.Request) (any, error) {
	q := r.URL.Query()
	ok, err := call.RaftTransferLeader.Invoke(r.Context(), h.backend, call.TransferLeaderArgs{ID: q.Get("id")})
	if err != nil {
		return nil, err
	}
	return api.TransferLeaderResponse{Success: ok}, nil
}

// operatorUsage serves GET /v1/operator/usage: node, service and
// instance counts of this datacenter.
func (h *Handler) operatorUsage(w http.ResponseWriter, r *http.Request) (any, error) {
	return optionsRead(h, w, r, call.OperatorUsage, func(q call.Query) call.UsageArgs { return call.UsageArgs{Query: q} })
}

// optionsRead serves a read whose only arguments are the query options:
// it parses them, runs c with the arguments args makes of them, and
// writes the meta headers.
func optionsRead[A, T any](h *Handler, w http.ResponseWriter, r *http.Request, c call.Call[A, call.Result[T]],
	args func(call.Query) A) (T, error) {
	opts, err := h.parseQueryOptions(r)
	if err != nil {
		var zero T
		return zero, err
	}
	out, meta, err := readCall(r.Context(), h, c, args(query(opts)))
	setMeta(w, &meta)
	return out, err
}
