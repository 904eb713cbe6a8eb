// Package httpapi serves Consul's HTTP API v1 over a Backend that it
// declares, so the same handlers serve on every agent: a server's backend
// runs calls on its own server, a client agent's sends them over RPC to the
// servers (internal/agent wires either).
//
// A request goes: ServeMux pattern (routes.go) → method dispatch (405 and
// OPTIONS handled once) → a handler func(w, r) (any, error) that parses
// parameters and invokes a declared call (package call) through the
// Backend, or asks the Backend about the agent itself → one adapter that
// writes JSON, or maps the error to Consul's status code and plain-text
// body.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/cache"
	"github.com/concordhq/concord/internal/call"
)

// AgentBackend answers /v1/agent/self and the agent's own services.
type AgentBackend interface {
	Self() (*api.AgentSelf, error)
	NodeName() string
	AgentServices() map[string]*api.AgentService
	// AgentService returns a service with its ContentHash, and a channel
	// closed at the next change to the agent's services (also when the
	// service is unknown, so ?hash= can wait for it to appear).
	AgentService(id string) (*api.AgentService, <-chan struct{}, error)
	AgentServiceRegister(reg *api.AgentServiceRegistration, replaceChecks bool) error
	AgentServiceDeregister(id string) error
	AgentServiceHealth(id string) (svc *api.AgentService, status string, ok bool)
}

// AgentCheckBackend manages the agent's own checks and maintenance modes.
type AgentCheckBackend interface {
	AgentChecks() map[string]*api.AgentCheck
	AgentCheckRegister(reg *api.AgentCheckRegistration) error
	AgentCheckDeregister(id string) error
	AgentCheckUpdate(id, status, output string) error
	AgentNodeMaintenance(enable bool, reason string) error
	AgentServiceMaintenance(id string, enable bool, reason string) error
	AgentReload() error
	Host() (*api.HostInfo, error)
}

// ClusterBackend is this agent's view of, and part in, the LAN gossip
// pool and (a server) the WAN pool. Leave returns once the agent has left;
// the agent then shuts down. Monitor's channel carries log lines at or
// above level until ctx ends, then closes; the caller must keep reading
// it. The WAN methods fail on a client agent, which is in no WAN pool.
type ClusterBackend interface {
	Members() []*api.AgentMember
	Join(addr string) error
	Leave() error
	ForceLeave(node string, prune bool) error
	WANMembers() []*api.AgentMember
	JoinWAN(addr string) error
	ForceLeaveWAN(node string, prune bool) error
	Monitor(ctx context.Context, level string, json bool) (<-chan string, error)
}

// Backend is everything the API needs.
type Backend interface {
	// The replicated state — KV, sessions, catalog, health, streams, Raft
	// operations, status — is reached through its declared calls (package
	// call): this server's endpoint, or RPC to the servers. Reads honour
	// the consistency and blocking options of their call.Query; results
	// belong to the backend and must not be changed.
	call.Caller
	AgentBackend
	AgentCheckBackend
	ClusterBackend
	EventBackend
	ACLBackend
	KeyringBackend
}

// EventBackend fires user events into gossip and lists those this agent
// received.
type EventBackend interface {
	EventFire(ev *api.UserEvent) (*api.UserEvent, error)
	EventList(ctx context.Context, q *api.QueryOptions, name string) ([]*api.UserEvent, api.QueryMeta, error)
}

// Config configures the API.
type Config struct {
	Datacenter string       // the agent's own datacenter
	Pretty     bool         // indent every JSON reply (dev mode), not only ?pretty ones
	Logger     *slog.Logger // non-nil

	// Observe, if set, is told of every finished request, by route
	// pattern, for metrics.
	Observe func(method, route string, code int, d time.Duration)
	// Metrics, if set, serves GET /v1/agent/metrics.
	Metrics http.Handler
	// ACLDefaultPolicy is acl.default_policy, sent in every reply's
	// X-Consul-Default-Acl-Policy ("allow" when empty).
	ACLDefaultPolicy string
	// DisableCoordinates answers the coordinate endpoints with Consul's
	// 401 "Coordinate support disabled" (disable_coordinates).
	DisableCoordinates bool
	// Cache is the agent's cache that ?cached reads answer from (see
	// readCached); the agent shares it with DNS. Without one, ?cached
	// reads go to the servers as usual.
	Cache *cache.Cache
	// TranslateWANAddrs answers reads about another datacenter with the
	// WAN addresses of its nodes and services, and says so in every
	// reply's X-Consul-Translate-Addresses (translate_wan_addrs).
	TranslateWANAddrs bool
}

// Handler is the /v1 HTTP API.
type Handler struct {
	cfg     Config
	backend Backend
	mux     *http.ServeMux
	cache   *cache.Cache // ?cached reads; may be nil
}

// New returns the API handler over backend.
func New(cfg Config, backend Backend) *Handler {
	h := &Handler{cfg: cfg, backend: backend, mux: http.NewServeMux(), cache: cfg.Cache}
	h.register()
	return h
}

// ServeHTTP serves one request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	policy := h.cfg.ACLDefaultPolicy
	if policy == "" {
		policy = "allow"
	}
	w.Header().Set("X-Consul-Default-Acl-Policy", policy)
	h.mux.ServeHTTP(w, r)
}
