package httpapi

import (
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
)

// handlerFunc is the shape of every endpoint: it returns the value to send
// as JSON, or an error for the adapter to map to a status code.
type handlerFunc func(h *Handler, w http.ResponseWriter, r *http.Request) (any, error)

// route is one method on one path pattern.
type route struct {
	method  string
	pattern string
	fn      handlerFunc
}

// allRoutes is the whole API: the core routes below, then those of the
// features that keep their routes beside their handlers.
func allRoutes() []route {
	return slices.Concat(routes, agentTokenRoutes, aclRoutes, aclAuthRoutes, queryRoutes, coordinateRoutes, snapshotRoutes, autopilotRoutes,
		keyringRoutes, configRoutes)
}

// routes are the core routes: KV, txn, sessions, catalog, health, streams,
// events, status, agent and Raft operator endpoints.
var routes = []route{
	{"GET", "/v1/kv/{key...}", (*Handler).kvGet},
	{"PUT", "/v1/kv/{key...}", (*Handler).kvPut},
	{"DELETE", "/v1/kv/{key...}", (*Handler).kvDelete},
	{"PUT", "/v1/txn", (*Handler).txn},
	{"PUT", "/v1/session/create", (*Handler).sessionCreate},
	{"PUT", "/v1/session/destroy/{id}", (*Handler).sessionDestroy},
	{"PUT", "/v1/session/renew/{id}", (*Handler).sessionRenew},
	{"GET", "/v1/session/info/{id}", (*Handler).sessionInfo},
	{"GET", "/v1/session/node/{node}", (*Handler).sessionNode},
	{"GET", "/v1/session/list", (*Handler).sessionList},
	{"PUT", "/v1/catalog/register", (*Handler).catalogRegister},
	{"PUT", "/v1/catalog/deregister", (*Handler).catalogDeregister},
	{"GET", "/v1/catalog/nodes", (*Handler).catalogNodes},
	{"GET", "/v1/catalog/datacenters", (*Handler).catalogDatacenters},
	{"GET", "/v1/catalog/services", (*Handler).catalogServices},
	{"GET", "/v1/catalog/service/{service}", (*Handler).catalogService},
	{"GET", "/v1/catalog/node/{node}", (*Handler).catalogNode},
	{"GET", "/v1/catalog/node-services/{node}", (*Handler).catalogNodeServices},
	{"GET", "/v1/health/node/{node}", (*Handler).healthNode},
	{"GET", "/v1/health/service/{service}", (*Handler).healthService},
	{"GET", "/v1/health/checks/{service}", (*Handler).healthChecks},
	{"GET", "/v1/health/state/{state}", (*Handler).healthState},
	{"PUT", "/v1/stream/{topic...}", (*Handler).streamPublish},
	{"GET", "/v1/stream/{topic...}", (*Handler).streamRead},
	{"PUT", "/v1/event/fire/{name}", (*Handler).eventFire},
	{"GET", "/v1/event/list", (*Handler).eventList},
	{"GET", "/v1/status/leader", (*Handler).statusLeader},
	{"GET", "/v1/status/peers", (*Handler).statusPeers},
	{"GET", "/v1/agent/self", (*Handler).agentSelf},
	{"GET", "/v1/agent/services", (*Handler).agentServices},
	{"GET", "/v1/agent/service/{id}", (*Handler).agentService},
	{"PUT", "/v1/agent/service/register", (*Handler).agentServiceRegister},
	{"PUT", "/v1/agent/service/deregister/{id}", (*Handler).agentServiceDeregister},
	{"PUT", "/v1/agent/service/maintenance/{id}", (*Handler).agentServiceMaintenance},
	{"GET", "/v1/agent/health/service/id/{id}", (*Handler).agentHealthByID},
	{"GET", "/v1/agent/health/service/name/{name}", (*Handler).agentHealthByName},
	{"GET", "/v1/agent/checks", (*Handler).agentChecks},
	{"PUT", "/v1/agent/check/register", (*Handler).agentCheckRegister},
	{"PUT", "/v1/agent/check/deregister/{id}", (*Handler).agentCheckDeregister},
	{"PUT", "/v1/agent/check/pass/{id}", (*Handler).agentCheckPass},
	{"PUT", "/v1/agent/check/warn/{id}", (*Handler).agentCheckWarn},
	{"PUT", "/v1/agent/check/fail/{id}", (*Handler).agentCheckFail},
	{"PUT", "/v1/agent/check/update/{id}", (*Handler).agentCheckUpdate},
	{"PUT", "/v1/agent/maintenance", (*Handler).agentMaintenance},
	{"PUT", "/v1/agent/reload", (*Handler).agentReload},
	{"GET", "/v1/agent/metrics", (*Handler).agentMetrics},
	{"GET", "/v1/agent/host", (*Handler).agentHost},
	{"GET", "/v1/agent/members", (*Handler).agentMembers},
	{"PUT", "/v1/agent/join/{address}", (*Handler).agentJoin},
	{"PUT", "/v1/agent/leave", (*Handler).agentLeave},
	{"PUT", "/v1/agent/force-leave/{node}", (*Handler).agentForceLeave},
	{"GET", "/v1/agent/monitor", (*Handler).agentMonitor},
	{"GET", "/v1/operator/raft/configuration", (*Handler).operatorRaftConfiguration},
	{"DELETE", "/v1/operator/raft/peer", (*Handler).operatorRaftRemovePeer},
	{"GET", "/{$}", (*Handler).index},
}

// register mounts routes, one mux pattern per path, with the methods of
// each path dispatched here so that 405 and OPTIONS answer as Consul does.
func (h *Handler) register() {
	byPath := map[string]map[string]handlerFunc{}
	var order []string
	for _, rt := range allRoutes() {
		if byPath[rt.pattern] == nil {
			byPath[rt.pattern] = map[string]handlerFunc{}
			order = append(order, rt.pattern)
		}
		fn := rt.fn
		if g, ok := agentGuards[rt.method+" "+rt.pattern]; ok {
			fn = g.guarded(fn)
		}
		byPath[rt.pattern][rt.method] = fn
	}
	for _, pattern := range order {
		methods := byPath[pattern]
		allow := []string{"OPTIONS"}
		for m := range methods {
			allow = append(allow, m)
		}
		sort.Strings(allow[1:])
		allowHeader := strings.Join(allow, ",")
		h.mux.HandleFunc(pattern, h.observed(pattern, func(w http.ResponseWriter, r *http.Request) {
			fn, ok := methods[r.Method]
			switch {
			case ok && h.cfg.Logger.Enabled(r.Context(), slog.LevelDebug):
				start := time.Now()
				h.serve(w, r, fn)
				h.cfg.Logger.Debug("Request finished", "method", r.Method, "url", redactToken(r.URL),
					"from", r.RemoteAddr, "latency", time.Since(start))
			case ok:
				h.serve(w, r, fn)
			case r.Method == http.MethodOptions:
				w.Header().Set("Allow", allowHeader)
				w.WriteHeader(http.StatusOK)
			default:
				w.Header().Set("Allow", allowHeader)
				writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed")
			}
		}))
	}
}

// redactToken is the request's path and query for the log, with a token
// given as ?token= hidden, as Consul logs it.
func redactToken(u *url.URL) string {
	q := u.Query()
	if q.Has("token") {
		q.Set("token", "<hidden>")
		return u.Path + "?" + q.Encode()
	}
	return u.RequestURI()
}

// observed reports each request's route, status and duration to
// cfg.Observe, when set.
func (h *Handler) observed(route string, next http.HandlerFunc) http.HandlerFunc {
	if h.cfg.Observe == nil {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		next(sw, r)
		h.cfg.Observe(r.Method, route, sw.code, time.Since(start))
	}
}

// statusWriter remembers the status code written through it.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the writer's Flush (monitor).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// index answers GET / as an agent without the UI does.
func (h *Handler) index(_ http.ResponseWriter, _ *http.Request) (any, error) {
	return rawBody{contentType: "text/plain; charset=utf-8", data: []byte("Concord Agent")}, nil
}
