package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// The methods below act on the agent's own services and checks: what the
// agent registers in the catalog for its node by anti-entropy, a moment
// after the call returns. They take no QueryOptions, as the agent answers
// from its local state.

// ServiceRegister registers reg on the agent, replacing any service with
// the same ID. The service's checks that reg does not name are kept.
func (a *Agent) ServiceRegister(reg *AgentServiceRegistration) error {
	return a.ServiceRegisterOpts(reg, false)
}

// ServiceRegisterOpts is ServiceRegister; replaceExistingChecks also
// removes the service's checks that reg does not name.
func (a *Agent) ServiceRegisterOpts(reg *AgentServiceRegistration, replaceExistingChecks bool) error {
	var params url.Values
	if replaceExistingChecks {
		params = url.Values{"replace-existing-checks": {"true"}}
	}
	return a.put("/v1/agent/service/register", params, reg)
}

// ServiceDeregister removes service id and its checks from the agent. An
// unknown id is an error (404): the agent wants the ID, not the name.
func (a *Agent) ServiceDeregister(id string) error {
	return a.put("/v1/agent/service/deregister/"+id, nil, nil)
}

// Services returns the agent's services by ID.
func (a *Agent) Services() (map[string]*AgentService, error) {
	var out map[string]*AgentService
	if _, err := a.c.read("/v1/agent/services", nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Service returns the agent's service id, or nil when the agent has none.
func (a *Agent) Service(id string) (*AgentService, error) {
	var out *AgentService
	_, err := a.c.read("/v1/agent/service/"+id, nil, &out)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Checks returns the agent's checks by ID, maintenance checks included.
func (a *Agent) Checks() (map[string]*AgentCheck, error) {
	var out map[string]*AgentCheck
	if _, err := a.c.read("/v1/agent/checks", nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// CheckRegister registers check on the agent, replacing any check with the
// same ID. A check with a ServiceID fails unless that service is registered.
func (a *Agent) CheckRegister(check *AgentCheckRegistration) error {
	return a.put("/v1/agent/check/register", nil, check)
}

// CheckDeregister removes check id from the agent.
func (a *Agent) CheckDeregister(id string) error {
	return a.put("/v1/agent/check/deregister/"+id, nil, nil)
}

// PassTTL marks TTL check id passing, with note as its output, and restarts
// its TTL.
func (a *Agent) PassTTL(id, note string) error { return a.ttl("pass", id, note) }

// WarnTTL marks TTL check id warning, with note as its output.
func (a *Agent) WarnTTL(id, note string) error { return a.ttl("warn", id, note) }

// FailTTL marks TTL check id critical, with note as its output.
func (a *Agent) FailTTL(id, note string) error { return a.ttl("fail", id, note) }

func (a *Agent) ttl(verb, id, note string) error {
	var params url.Values
	if note != "" {
		params = url.Values{"note": {note}}
	}
	return a.put("/v1/agent/check/"+verb+"/"+id, params, nil)
}

// UpdateTTL sets the status and output of TTL check id. status is one of
// the Health* constants, or "pass", "warn" or "fail" as consul's client
// also accepts. Unlike the note of PassTTL, output is sent in the body, so
// it may be long.
func (a *Agent) UpdateTTL(id, output, status string) error {
	switch status {
	case "pass":
		status = HealthPassing
	case "warn":
		status = HealthWarning
	case "fail":
		status = HealthCritical
	case HealthPassing, HealthWarning, HealthCritical:
	default:
		return fmt.Errorf("api: invalid check status %q", status)
	}
	body := struct{ Status, Output string }{status, output}
	return a.put("/v1/agent/check/update/"+id, nil, body)
}

// EnableNodeMaintenance puts the agent's node in maintenance: a critical
// check, whose notes are reason, takes every service of the node out of
// healthy results. An empty reason gets the agent's default text.
func (a *Agent) EnableNodeMaintenance(reason string) error {
	return a.put("/v1/agent/maintenance", maintParams(true, reason), nil)
}

// DisableNodeMaintenance takes the agent's node out of maintenance; a node
// not in maintenance is not an error.
func (a *Agent) DisableNodeMaintenance() error {
	return a.put("/v1/agent/maintenance", maintParams(false, ""), nil)
}

// EnableServiceMaintenance puts service id in maintenance, as
// EnableNodeMaintenance does for the node.
func (a *Agent) EnableServiceMaintenance(id, reason string) error {
	return a.put("/v1/agent/service/maintenance/"+id, maintParams(true, reason), nil)
}

// DisableServiceMaintenance takes service id out of maintenance.
func (a *Agent) DisableServiceMaintenance(id string) error {
	return a.put("/v1/agent/service/maintenance/"+id, maintParams(false, ""), nil)
}

func maintParams(enable bool, reason string) url.Values {
	params := url.Values{"enable": {strconv.FormatBool(enable)}}
	if reason != "" {
		params.Set("reason", reason)
	}
	return params
}

// put sends PUT path with in as its JSON body (none when in is nil). Agent
// writes answer 200 with an empty body, which is not read.
func (a *Agent) put(path string, params url.Values, in any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("api: cannot encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := a.c.newRequest(http.MethodPut, path, params, body)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.c.do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody)) // lets the connection be reused
	return resp.Body.Close()
}

// Reload asks the agent to load its config files again.
func (a *Agent) Reload() error {
	return a.put("/v1/agent/reload", nil, nil)
}
