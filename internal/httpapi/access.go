package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/acl"
	"github.com/concordhq/concord/internal/call"
)

// Access control in the HTTP API. Every request is served with a token in
// its context (call.WithToken): the one it names (?token=, X-Consul-Token
// or Authorization: Bearer, in that order, as Consul reads them), else
// the agent's default token, else the anonymous token "". Then:
//
//   - calls on the replicated state carry it to the servers, which decide
//     (and filter lists) at the call table: nothing here;
//   - the agent's own endpoints (/v1/agent/..., events) are decided here,
//     on this agent, by the route's guard below, with the token resolved
//     through ACLBackend.ResolveToken;
//   - denials are 403 with Consul's text; an unknown secret is 403 "ACL
//     not found" (writeErr).

// ACLBackend resolves tokens and holds the agent's own tokens.
type ACLBackend interface {
	// ResolveToken resolves the token ctx carries (call.TokenFrom): nil,
	// nil when ACLs are off; acl.ErrNotFound for an unknown or expired
	// secret. Called for every guarded request; a client agent asks a
	// server and keeps the answer for acl.token_ttl.
	ResolveToken(ctx context.Context) (*acl.Identity, error)
	// DefaultToken is the token of requests that name none
	// (acl.tokens.default); "" for the anonymous token.
	DefaultToken() string
	// SetAgentToken replaces one of the agent's tokens: kind is default,
	// agent, agent_recovery, replication, dns or
	// config_file_service_registration (Consul's legacy names are mapped
	// before). False for an unknown kind.
	SetAgentToken(kind, secret string) (bool, error)
}

// requestToken is the token a request names, and whether it names one.
func requestToken(r *http.Request) (string, bool) {
	if strings.Contains(r.URL.RawQuery, "token") {
		if v, ok := r.URL.Query()["token"]; ok && v[0] != "" {
			return v[0], true
		}
	}
	if v := r.Header.Get("X-Consul-Token"); v != "" {
		return v, true
	}
	if v := r.Header.Get("Authorization"); v != "" {
		if scheme, secret, ok := strings.Cut(v, " "); ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(secret), true
		}
	}
	return "", false
}

// withToken returns r with its token in its context.
func (h *Handler) withToken(r *http.Request) *http.Request {
	secret, ok := requestToken(r)
	if !ok {
		secret = h.backend.DefaultToken()
	}
	return r.WithContext(call.WithToken(r.Context(), secret))
}

// allow checks that the request's token may touch rs on this agent; nil
// when ACLs are off.
func (h *Handler) allow(r *http.Request, rs ...call.Resource) error {
	id, err := h.backend.ResolveToken(r.Context())
	if err != nil || id == nil {
		return err
	}
	return id.Authorizer.Authorize(id.AccessorID, rs)
}

// isACLError reports whether err is a refusal for lack of rights, which
// is answered with 403.
func isACLError(err error) bool {
	return errors.Is(err, acl.ErrPermissionDenied) || errors.Is(err, acl.ErrNotFound)
}

// guard is how an agent endpoint is decided on the agent: need names what
// the request touches, filter leaves out of a list what the token may not
// read (reporting whether it left anything out).
type guard struct {
	need   func(h *Handler, r *http.Request) []call.Resource
	filter func(a *acl.Authorizer, out any) (any, bool)
}

// guarded wraps fn with g, when ACLs are on.
func (g guard) guarded(fn handlerFunc) handlerFunc {
	return func(h *Handler, w http.ResponseWriter, r *http.Request) (any, error) {
		id, err := h.backend.ResolveToken(r.Context())
		if err != nil {
			return nil, err
		}
		if id == nil {
			return fn(h, w, r)
		}
		if g.need != nil {
			if err := id.Authorizer.Authorize(id.AccessorID, g.need(h, r)); err != nil {
				return nil, err
			}
		}
		out, err := fn(h, w, r)
		if err != nil || g.filter == nil {
			return out, err
		}
		out, filtered := g.filter(id.Authorizer, out)
		if filtered {
			w.Header().Set("X-Consul-Results-Filtered-By-ACLs", "true")
		}
		return out, nil
	}
}

// res is one resource.
func res(kind, name, access string) []call.Resource {
	return []call.Resource{{Kind: kind, Name: name, Access: access}}
}

// onAgent is a guard needing access on this agent's own agent rule.
func onAgent(kind, access string) guard {
	return guard{need: func(h *Handler, _ *http.Request) []call.Resource {
		name := ""
		if kind == "agent" || kind == "node" {
			name = h.backend.NodeName()
		}
		return res(kind, name, access)
	}}
}

// onService is a guard needing access on the agent service named by the
// path's {id} (its name, as service rules name services).
func onService(access string) guard {
	return guard{need: func(h *Handler, r *http.Request) []call.Resource {
		return res("service", h.serviceName(r.PathValue("id")), access)
	}}
}

// serviceName is the name of the agent's service with id; id itself when
// there is none (the handler then answers that it does not exist).
func (h *Handler) serviceName(id string) string {
	if s, ok := h.backend.AgentServices()[id]; ok && s != nil {
		return s.Service
	}
	return id
}

// onCheck is the guard of the agent check named by the path's {id}: a
// service's check needs service:write, a node's node:write.
var onCheck = guard{need: func(h *Handler, r *http.Request) []call.Resource {
	c := h.backend.AgentChecks()[r.PathValue("id")]
	if c != nil && c.ServiceID != "" {
		return res("service", c.ServiceName, "write")
	}
	return res("node", h.backend.NodeName(), "write")
}}

// checkResources is what registering c needs: service:write on its
// service, or node:write for a node check.
func (h *Handler) checkResources(serviceID string) []call.Resource {
	if serviceID != "" {
		return res("service", h.serviceName(serviceID), "write")
	}
	return res("node", h.backend.NodeName(), "write")
}

// agentGuards decide the agent's own endpoints, by "METHOD pattern", as
// Consul documents them. Endpoints that decode a body (service and check
// registration) check in their handler; endpoints backed by calls are
// decided by the servers.
var agentGuards = map[string]guard{
	"GET /v1/agent/self":                       onAgent("agent", "read"),
	"GET /v1/agent/metrics":                    onAgent("agent", "read"),
	"GET /v1/agent/monitor":                    onAgent("agent", "read"),
	"PUT /v1/agent/reload":                     onAgent("agent", "write"),
	"PUT /v1/agent/join/{address}":             onAgent("agent", "write"),
	"PUT /v1/agent/leave":                      onAgent("agent", "write"),
	"PUT /v1/agent/maintenance":                onAgent("node", "write"),
	"GET /v1/agent/host":                       onAgent("operator", "read"),
	"PUT /v1/agent/force-leave/{node}":         onAgent("operator", "write"),
	"GET /v1/agent/service/{id}":               onService("read"),
	"PUT /v1/agent/service/deregister/{id}":    onService("write"),
	"PUT /v1/agent/service/maintenance/{id}":   onService("write"),
	"GET /v1/agent/health/service/id/{id}":     onService("read"),
	"GET /v1/agent/health/service/name/{name}": {need: func(_ *Handler, r *http.Request) []call.Resource { return res("service", r.PathValue("name"), "read") }},
	"PUT /v1/agent/check/deregister/{id}":      onCheck,
	"PUT /v1/agent/check/pass/{id}":            onCheck,
	"PUT /v1/agent/check/warn/{id}":            onCheck,
	"PUT /v1/agent/check/fail/{id}":            onCheck,
	"PUT /v1/agent/check/update/{id}":          onCheck,
	"PUT /v1/agent/token/{type}":               onAgent("acl", "write"),
	"PUT /v1/event/fire/{name}":                {need: func(_ *Handler, r *http.Request) []call.Resource { return res("event", r.PathValue("name"), "write") }},
	"GET /v1/agent/services":                   {filter: filterAgentServices},
	"GET /v1/agent/checks":                     {filter: filterAgentChecks},
	"GET /v1/agent/members":                    {filter: filterMembers},
	"GET /v1/event/list":                       {filter: filterEvents},
	"GET /v1/operator/keyring":                 onAgent("keyring", "read"),
	"POST /v1/operator/keyring":                onAgent("keyring", "write"),
	"PUT /v1/operator/keyring":                 onAgent("keyring", "write"),
	"DELETE /v1/operator/keyring":              onAgent("keyring", "write"),
}

func filterAgentServices(a *acl.Authorizer, out any) (any, bool) {
	return keepInMap(a, out, func(s *api.AgentService) bool { return a.Allowed(acl.Service, s.Service, acl.Read) })
}

func filterAgentChecks(a *acl.Authorizer, out any) (any, bool) {
	return keepInMap(a, out, func(c *api.AgentCheck) bool {
		if c.ServiceID != "" {
			return a.Allowed(acl.Service, c.ServiceName, acl.Read)
		}
		return a.Allowed(acl.Node, c.Node, acl.Read)
	})
}

func filterMembers(a *acl.Authorizer, out any) (any, bool) {
	return keepInSlice(a, out, func(m *api.AgentMember) bool { return a.Allowed(acl.Node, m.Name, acl.Read) })
}

func filterEvents(a *acl.Authorizer, out any) (any, bool) {
	return keepInSlice(a, out, func(e *api.UserEvent) bool { return a.Allowed(acl.Event, e.Name, acl.Read) })
}

// keepInSlice keeps the elements of out, a []T, that keep accepts, and
// reports whether it left any out. Other values pass unchanged.
func keepInSlice[T any](a *acl.Authorizer, out any, keep func(T) bool) (any, bool) {
	in, ok := out.([]T)
	if !ok || a.IsManagement() {
		return out, false
	}
	kept := make([]T, 0, len(in))
	for _, v := range in {
		if keep(v) {
			kept = append(kept, v)
		}
	}
	return kept, len(kept) < len(in)
}

// keepInMap is keepInSlice for a map[string]T.
func keepInMap[T any](a *acl.Authorizer, out any, keep func(T) bool) (any, bool) {
	in, ok := out.(map[string]T)
	if !ok || a.IsManagement() {
		return out, false
	}
	kept := make(map[string]T, len(in))
	for k, v := range in {
		if keep(v) {
			kept[k] = v
		}
	}
	return kept, len(kept) < len(in)
}

// agentTokenRoutes set the agent's tokens (consul acl set-agent-token).
var agentTokenRoutes = []route{
	{"PUT", "/v1/agent/token/{type}", (*Handler).agentToken},
}

// legacyTokenKinds maps the token names of older Consul versions to
// today's.
var legacyTokenKinds = map[string]string{
	"acl_token":              "default",
	"acl_agent_token":        "agent",
	"acl_agent_master_token": "agent_recovery",
	"agent_master":           "agent_recovery",
	"acl_replication_token":  "replication",
}

// agentToken serves PUT /v1/agent/token/<type> with body {"Token": "..."}
// (acl:write, checked by its guard): the agent uses the new token at once.
func (h *Handler) agentToken(_ http.ResponseWriter, r *http.Request) (any, error) {
	id, err := h.backend.ResolveToken(r.Context())
	if err != nil {
		return nil, err
	}
	if id == nil {
		return nil, acl.ErrDisabled
	}
	var body struct{ Token string }
	if err := decodeAgentBody(r, &body); err != nil {
		return nil, err
	}
	kind := r.PathValue("type")
	if k, ok := legacyTokenKinds[kind]; ok {
		kind = k
	}
	ok, err := h.backend.SetAgentToken(kind, body.Token)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, api.NotFoundError{Reason: "Token \"" + r.PathValue("type") + "\" is unknown"}
	}
	return empty, nil
}
