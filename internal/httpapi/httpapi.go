// Package httpapi serves Consul's HTTP API v1 over a Backend that it
// declares, so the same handlers serve on every agent: a server's backend
// reads and writes its own server, a client agent's forwards over RPC to the
// servers (internal/agent wires either).
//
// A request goes: ServeMux pattern (routes.go) → method dispatch (405 and
// OPTIONS handled once) → a handler func(w, r) (any, error) that parses
// parameters and calls the Backend → one adapter that writes JSON, or maps
// the error to Consul's status code and plain-text body.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/concordhq/concord/api"
)

// KVBackend reads and writes the KV store. Reads honour the consistency
// mode and blocking parameters in q and return the metadata for the reply
// headers; results belong to the backend and must not be changed.
type KVBackend interface {
	KVApply(ctx context.Context, op *api.KVTxnOp) (bool, error)
	KVGet(ctx context.Context, q *api.QueryOptions, key string) (*api.KVPair, api.QueryMeta, error)
	KVList(ctx context.Context, q *api.QueryOptions, prefix string) ([]*api.KVPair, api.QueryMeta, error)
	KVKeys(ctx context.Context, q *api.QueryOptions, prefix, sep string) ([]string, api.QueryMeta, error)
	Txn(ctx context.Context, q *api.QueryOptions, ops []api.KVTxnOp) (*api.TxnResponse, api.QueryMeta, error)
}

// SessionBackend manages sessions. Writes go to the leader, which also
// keeps the TTL timers that renew resets.
type SessionBackend interface {
	SessionCreate(ctx context.Context, sess *api.SessionEntry) (string, error)
	SessionDestroy(ctx context.Context, id string) error
	SessionRenew(ctx context.Context, id string) (*api.SessionEntry, error)
	SessionInfo(ctx context.Context, q *api.QueryOptions, id string) ([]*api.SessionEntry, api.QueryMeta, error)
	SessionList(ctx context.Context, q *api.QueryOptions, node string) ([]*api.SessionEntry, api.QueryMeta, error)
}

// CatalogBackend registers and reads nodes, services and checks.
type CatalogBackend interface {
	CatalogRegister(ctx context.Context, req *api.CatalogRegistration) error
	CatalogDeregister(ctx context.Context, req *api.CatalogDeregistration) error
	CatalogNodes(ctx context.Context, q *api.QueryOptions) ([]*api.Node, api.QueryMeta, error)
	NodeChecks(ctx context.Context, q *api.QueryOptions, node string) ([]*api.HealthCheck, api.QueryMeta, error)
}

// HealthBackend answers the service-discovery reads of /v1/catalog and
// /v1/health.
type HealthBackend interface {
	CatalogServices(ctx context.Context, q *api.QueryOptions) (map[string][]string, api.QueryMeta, error)
	CatalogService(ctx context.Context, q *api.QueryOptions, service string, tags []string) ([]*api.CatalogService, api.QueryMeta, error)
	CatalogNode(ctx context.Context, q *api.QueryOptions, node string) (*api.CatalogNode, api.QueryMeta, error)
	HealthService(ctx context.Context, q *api.QueryOptions, service string, tags []string, passingOnly bool) ([]*api.ServiceEntry, api.QueryMeta, error)
	HealthChecks(ctx context.Context, q *api.QueryOptions, service string) ([]*api.HealthCheck, api.QueryMeta, error)
	HealthState(ctx context.Context, q *api.QueryOptions, status string) ([]*api.HealthCheck, api.QueryMeta, error)
}

// StreamBackend appends to and reads durable streams (Concord's extension).
type StreamBackend interface {
	StreamAppend(ctx context.Context, topic string, value []byte) (uint64, error)
	StreamRead(ctx context.Context, q *api.QueryOptions, topic string, after uint64, limit int) ([]*api.StreamMessage, api.QueryMeta, error)
}

// StatusBackend answers /v1/status.
type StatusBackend interface {
	Leader() string
	Peers() ([]string, error)
}

// AgentBackend answers /v1/agent/self and the agent's own services.
type AgentBackend interface {
	Self() (*api.AgentSelf, error)
	AgentServices() map[string]*api.AgentService
	AgentService(id string) (*api.AgentService, error)
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
}

// ClusterBackend is this agent's view of, and part in, the LAN gossip
// pool. Leave returns once the agent has left; the agent then shuts down.
// Monitor's channel carries log lines at or above level until ctx ends,
// then closes; the caller must keep reading it.
type ClusterBackend interface {
	Members() []*api.AgentMember
	Join(addr string) error
	Leave() error
	ForceLeave(node string, prune bool) error
	Monitor(ctx context.Context, level string, json bool) (<-chan string, error)
}

// OperatorBackend reads and changes the Raft configuration; writes go to
// the leader, reads too unless q allows stale.
type OperatorBackend interface {
	RaftConfiguration(ctx context.Context, q *api.QueryOptions) (*api.RaftConfiguration, api.QueryMeta, error)
	RaftRemovePeer(ctx context.Context, id, address string) error
}

// Backend is everything the API needs.
type Backend interface {
	KVBackend
	SessionBackend
	CatalogBackend
	HealthBackend
	StreamBackend
	StatusBackend
	AgentBackend
	AgentCheckBackend
	ClusterBackend
	OperatorBackend
	EventBackend
}

// EventBackend fires user events into gossip and lists those this agent
// received.
type EventBackend interface {
	EventFire(ev *api.UserEvent) (*api.UserEvent, error)
	EventList(ctx context.Context, q *api.QueryOptions, name string) ([]*api.UserEvent, api.QueryMeta, error)
}

// Config configures the API.
type Config struct {
	Datacenter string       // the agent's own datacenter; others are unreachable for now
	Pretty     bool         // indent every JSON reply (dev mode), not only ?pretty ones
	Logger     *slog.Logger // non-nil

	// Observe, if set, is told of every finished request, by route
	// pattern, for metrics.
	Observe func(method, route string, code int, d time.Duration)
	// Metrics, if set, serves GET /v1/agent/metrics.
	Metrics http.Handler
}

// Handler is the /v1 HTTP API.
type Handler struct {
	cfg     Config
	backend Backend
	mux     *http.ServeMux
}

// New returns the API handler over backend.
func New(cfg Config, backend Backend) *Handler {
	h := &Handler{cfg: cfg, backend: backend, mux: http.NewServeMux()}
	h.register()
	return h
}

// ServeHTTP serves one request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Consul-Default-Acl-Policy", "allow")
	h.mux.ServeHTTP(w, r)
}
