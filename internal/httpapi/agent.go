package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
)

// Agent endpoints act on this agent's own state; they take no consistency
// or blocking parameters and most writes reply with an empty 200.

// empty is the reply of agent writes: 200 with no body.
var empty = rawBody{contentType: "text/plain; charset=utf-8"}

// agentSelf serves GET /v1/agent/self.
func (h *Handler) agentSelf(_ http.ResponseWriter, _ *http.Request) (any, error) {
	return h.backend.Self()
}

// agentServices serves GET /v1/agent/services (?filter).
func (h *Handler) agentServices(_ http.ResponseWriter, r *http.Request) (any, error) {
	f, err := parseFilter(r)
	if err != nil {
		return nil, err
	}
	return applyFilter(f, h.backend.AgentServices())
}

// Wait bounds of a blocking /v1/agent/service/<id>?hash=, as Consul's.
const (
	defaultAgentWait = 5 * time.Minute
	maxAgentWait     = 10 * time.Minute
)

// agentService serves GET /v1/agent/service/<id>. The reply carries the
// service's ContentHash in X-Consul-ContentHash; with ?hash= set to it the
// request blocks until the service changes or ?wait (default 5m, at most
// 10m) passes, then answers with the service as it is.
func (h *Handler) agentService(w http.ResponseWriter, r *http.Request) (any, error) {
	q := r.URL.Query()
	hash := q.Get("hash")
	wait := defaultAgentWait
	if v := q.Get("wait"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return nil, badRequest("Invalid wait time")
		}
		wait = min(d, maxAgentWait)
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		svc, changed, err := h.backend.AgentService(r.PathValue("id"))
		current := ""
		if svc != nil {
			current = svc.ContentHash
		}
		if hash == "" || current != hash {
			if err != nil {
				return nil, err
			}
			w.Header().Set("X-Consul-ContentHash", current)
			return svc, nil
		}
		select {
		case <-changed:
		case <-deadline.C:
			hash = "" // answer with what there is
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
	}
}

// agentServiceRegister serves PUT /v1/agent/service/register.
func (h *Handler) agentServiceRegister(_ http.ResponseWriter, r *http.Request) (any, error) {
	var reg api.AgentServiceRegistration
	if err := decodeAgentBody(r, &reg); err != nil {
		return nil, err
	}
	if err := h.allow(r, call.Resource{Kind: "service", Name: reg.Name, Access: "write"}); err != nil {
		return nil, err
	}
	replace := false
	if v, ok := r.URL.Query()["replace-existing-checks"]; ok {
		replace = v[0] == "" || v[0] == "true" || v[0] == "1"
	}
	return empty, h.backend.AgentServiceRegister(&reg, replace)
}

// agentServiceDeregister serves PUT /v1/agent/service/deregister/<id>.
func (h *Handler) agentServiceDeregister(_ http.ResponseWriter, r *http.Request) (any, error) {
	return empty, h.backend.AgentServiceDeregister(r.PathValue("id"))
}

// agentServiceMaintenance serves PUT /v1/agent/service/maintenance/<id>?enable=&reason=.
func (h *Handler) agentServiceMaintenance(_ http.ResponseWriter, r *http.Request) (any, error) {
	enable, reason, err := maintenanceParams(r)
	if err != nil {
		return nil, err
	}
	return empty, h.backend.AgentServiceMaintenance(r.PathValue("id"), enable, reason)
}

// agentMaintenance serves PUT /v1/agent/maintenance?enable=&reason=.
func (h *Handler) agentMaintenance(_ http.ResponseWriter, r *http.Request) (any, error) {
	enable, reason, err := maintenanceParams(r)
	if err != nil {
		return nil, err
	}
	return empty, h.backend.AgentNodeMaintenance(enable, reason)
}

func maintenanceParams(r *http.Request) (bool, string, error) {
	q := r.URL.Query()
	v, ok := q["enable"]
	if !ok {
		return false, "", badRequest("Missing value for enable")
	}
	enable, err := strconv.ParseBool(v[0])
	if err != nil {
		return false, "", badRequest("Invalid value for enable: " + strconv.Quote(v[0]))
	}
	return enable, q.Get("reason"), nil
}

// agentHealth is one entry of the agent health endpoints.
type agentHealth struct {
	AggregatedStatus string
	Service          *api.AgentService
	Checks           []*api.AgentCheck
}

// healthCode maps an aggregated status to Consul's HTTP code: passing
// 200, warning 429, critical and maintenance 503.
func healthCode(status string) int {
	switch status {
	case api.HealthPassing:
		return http.StatusOK
	case api.HealthWarning:
		return http.StatusTooManyRequests
	}
	return http.StatusServiceUnavailable
}

func (h *Handler) agentHealthEntry(id string) (*agentHealth, bool) {
	svc, status, ok := h.backend.AgentServiceHealth(id)
	if !ok {
		return nil, false
	}
	entry := &agentHealth{AggregatedStatus: status, Service: svc, Checks: []*api.AgentCheck{}}
	for _, c := range h.backend.AgentChecks() {
		if c.ServiceID == id || c.ServiceID == "" {
			entry.Checks = append(entry.Checks, c)
		}
	}
	return entry, true
}

// agentHealthByID serves GET /v1/agent/health/service/id/<id>.
func (h *Handler) agentHealthByID(_ http.ResponseWriter, r *http.Request) (any, error) {
	id := r.PathValue("id")
	entry, ok := h.agentHealthEntry(id)
	if !ok {
		return nil, api.NotFoundError{Reason: fmt.Sprintf("ServiceId %s not found", id)}
	}
	return healthReply(r, entry.AggregatedStatus, entry), nil
}

// agentHealthByName serves GET /v1/agent/health/service/name/<name>: every
// local instance of the service, with the worst status deciding the code.
func (h *Handler) agentHealthByName(_ http.ResponseWriter, r *http.Request) (any, error) {
	name := r.PathValue("name")
	var entries []*agentHealth
	worst := api.HealthPassing
	for id, svc := range h.backend.AgentServices() {
		if svc.Service != name {
			continue
		}
		if entry, ok := h.agentHealthEntry(id); ok {
			entries = append(entries, entry)
			if healthCode(entry.AggregatedStatus) > healthCode(worst) {
				worst = entry.AggregatedStatus
			}
		}
	}
	if len(entries) == 0 {
		return nil, api.NotFoundError{Reason: fmt.Sprintf("ServiceName %s Not Found", name)}
	}
	return healthReply(r, worst, entries), nil
}

// healthReply answers with the status's code, as JSON or, with
// ?format=text, the bare status.
func healthReply(r *http.Request, status string, body any) any {
	if r.URL.Query().Get("format") == "text" {
		return statusText{code: healthCode(status), text: status}
	}
	return statusBody{code: healthCode(status), body: body}
}

// agentChecks serves GET /v1/agent/checks (?filter).
func (h *Handler) agentChecks(_ http.ResponseWriter, r *http.Request) (any, error) {
	f, err := parseFilter(r)
	if err != nil {
		return nil, err
	}
	return applyFilter(f, h.backend.AgentChecks())
}

// agentCheckRegister serves PUT /v1/agent/check/register.
func (h *Handler) agentCheckRegister(_ http.ResponseWriter, r *http.Request) (any, error) {
	var reg api.AgentCheckRegistration
	if err := decodeAgentBody(r, &reg); err != nil {
		return nil, err
	}
	if err := h.allow(r, h.checkResources(reg.ServiceID)...); err != nil {
		return nil, err
	}
	return empty, h.backend.AgentCheckRegister(&reg)
}

// agentCheckDeregister serves PUT /v1/agent/check/deregister/<id>.
func (h *Handler) agentCheckDeregister(_ http.ResponseWriter, r *http.Request) (any, error) {
	return empty, h.backend.AgentCheckDeregister(r.PathValue("id"))
}

// agentCheckPass, Warn and Fail serve PUT /v1/agent/check/{pass,warn,fail}/<id>?note=.
func (h *Handler) agentCheckPass(_ http.ResponseWriter, r *http.Request) (any, error) {
	return empty, h.backend.AgentCheckUpdate(r.PathValue("id"), api.HealthPassing, r.URL.Query().Get("note"))
}

func (h *Handler) agentCheckWarn(_ http.ResponseWriter, r *http.Request) (any, error) {
	return empty, h.backend.AgentCheckUpdate(r.PathValue("id"), api.HealthWarning, r.URL.Query().Get("note"))
}

func (h *Handler) agentCheckFail(_ http.ResponseWriter, r *http.Request) (any, error) {
	return empty, h.backend.AgentCheckUpdate(r.PathValue("id"), api.HealthCritical, r.URL.Query().Get("note"))
}

// agentCheckUpdate serves PUT /v1/agent/check/update/<id> with body
// {"Status": "passing|warning|critical", "Output": "..."}.
func (h *Handler) agentCheckUpdate(_ http.ResponseWriter, r *http.Request) (any, error) {
	var body struct{ Status, Output string }
	if err := decodeAgentBody(r, &body); err != nil {
		return nil, err
	}
	switch body.Status {
	case api.HealthPassing, api.HealthWarning, api.HealthCritical:
	default:
		return nil, badRequest(fmt.Sprintf("Invalid check status: '%s'", body.Status))
	}
	return empty, h.backend.AgentCheckUpdate(r.PathValue("id"), body.Status, body.Output)
}

// decodeAgentBody decodes an agent registration body. Field names match in
// any case, and Consul's snake_case spellings (enable_tag_override,
// deregister_critical_service_after, ...) are accepted too.
func decodeAgentBody(r *http.Request, v any) error {
	var raw any
	if err := decodeBody(r, maxCatalogBody, &raw); err != nil {
		return err
	}
	if err := api.UnmarshalLoose(raw, v); err != nil {
		return badRequest("Request decode failed: " + err.Error())
	}
	return nil
}

// agentReload serves PUT /v1/agent/reload: config-file services and checks
// are loaded again.
func (h *Handler) agentReload(_ http.ResponseWriter, _ *http.Request) (any, error) {
	return empty, h.backend.AgentReload()
}

// agentHost serves GET /v1/agent/host: the host's memory, CPUs, identity
// and disk.
func (h *Handler) agentHost(_ http.ResponseWriter, _ *http.Request) (any, error) {
	return h.backend.Host()
}

// agentMetrics serves GET /v1/agent/metrics (?format=prometheus) from the
// registry the agent configured.
func (h *Handler) agentMetrics(w http.ResponseWriter, r *http.Request) (any, error) {
	if h.cfg.Metrics == nil {
		return nil, api.NotFoundError{Reason: "metrics are not enabled on this agent"}
	}
	h.cfg.Metrics.ServeHTTP(w, r)
	return handled{}, nil
}
