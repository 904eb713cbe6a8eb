// Package agent is Concord's composition root: it turns a config.Config into
// running components and stops them in order. It holds wiring only.
//
// Start order: logger → node ID → server (Raft, FSM, state; server mode
// only) and the store the other parts use (that server, or RPC to the servers
// on a client agent) → gossip → local services and checks (check runners,
// anti-entropy) → DNS → HTTP API → start_join, then retry_join in the
// background → config watches. When a step fails, the steps before it are
// undone.
//
// Stop order is the reverse: blocking queries are woken and the config
// watches stop, new HTTP requests stop and in-flight ones drain, then DNS,
// the check runners and gossip stop, and last the server (Raft's files are
// synced and closed) or a client agent's connections to the servers.
package agent

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/cache"
	"github.com/concordhq/concord/internal/call"
	"github.com/concordhq/concord/internal/checks"
	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/dns"
	"github.com/concordhq/concord/internal/events"
	"github.com/concordhq/concord/internal/gossip"
	"github.com/concordhq/concord/internal/httpapi"
	"github.com/concordhq/concord/internal/local"
	"github.com/concordhq/concord/internal/logstream"
	"github.com/concordhq/concord/internal/rexec"
	"github.com/concordhq/concord/internal/rpc"
	"github.com/concordhq/concord/internal/server"
	"github.com/concordhq/concord/internal/tlsutil"
	"github.com/concordhq/concord/internal/ui"
	"github.com/google/uuid"
)

// httpDrainGrace is how long in-flight HTTP requests get to finish at
// shutdown before their connections are closed.
const httpDrainGrace = time.Second

// Agent is a running Concord agent: a server, or a client agent that
// sends every state read and write to a server.
type Agent struct {
	cfg    config.Config
	logger *slog.Logger
	nodeID string
	server *server.Server // nil on a client agent
	calls  call.Caller    // the replicated state: server.Endpoint or RPC to servers
	pool   *rpc.Pool      // a client agent's connections to servers
	gossip *gossip.Pool
	wan    *gossip.Pool   // a server's WAN pool; nil on a client agent or with ports.serf_wan -1
	events *events.Buffer // user events received
	rexec  *rexec.Runner  // runs the remote exec jobs user events announce

	tokens   *agentTokens   // the acl.tokens the agent uses; see acl.go
	resolved resolvedTokens // a client agent's tokens resolved by servers

	left      atomic.Bool // Leave was called
	leaveCh   chan struct{}
	leaveOnce sync.Once
	local     *local.State // this node's services and checks
	runner    checkRunner  // runs the local checks, reporting to local
	dns       *dns.Server  // or nil when ports.dns is -1

	reloadMu     sync.Mutex                    // serialises Reload
	fileServices map[string]bool               // IDs of services from config files; guarded by reloadMu
	fileChecks   map[string]bool               // IDs of checks from config files; guarded by reloadMu
	configSource func() (config.Config, error) // or nil; guarded by reloadMu

	watchMu sync.Mutex // serialises starting and stopping the config watches
	watches *watchSet  // the running config watches, or nil; guarded by watchMu

	httpSrv *http.Server
	httpLn  net.Listener
	stopCtx context.Context    // canceled at shutdown; ends blocking queries
	stop    context.CancelFunc // cancels stopCtx
	cache   *cache.Cache       // ?cached HTTP reads and, with dns_config.use_cache, DNS
	httpErr chan error         // Serve's result

	tls      *tlsutil.Configurator // or nil when nothing uses TLS (tls.go)
	httpsSrv *http.Server          // or nil when ports.https is -1
	httpsLn  net.Listener
	httpsErr chan error // the HTTPS Serve's result
}

// New starts an agent for cfg, which must have passed cfg.Validate.
func New(cfg config.Config, logger *slog.Logger) (*Agent, error) {
	logger = slog.New(logstream.NewHandler(logger.Handler())) // also feeds /v1/agent/monitor
	a := &Agent{cfg: cfg, logger: logger, httpErr: make(chan error, 1), httpsErr: make(chan error, 1), leaveCh: make(chan struct{}),
		events: events.NewBuffer(), tokens: newAgentTokens(cfg),
		resolved: resolvedTokens{ttl: cfg.ACL.TokenTTL, downPolicy: cfg.ACL.DownPolicy}}
	a.stopCtx, a.stop = context.WithCancel(context.Background())
	a.cache = cache.New(a.stopCtx, cache.Options{})
	var err error
	if a.nodeID, err = loadNodeID(cfg); err != nil {
		return nil, err
	}
	if a.tls, err = newTLS(cfg); err != nil {
		return nil, err
	}
	if cfg.Server {
		a.server, err = server.New(server.Config{
			NodeID:               a.nodeID,
			NodeName:             cfg.NodeName,
			Datacenter:           cfg.Datacenter,
			DataDir:              dataDirUnlessDev(cfg),
			RaftAddr:             net.JoinHostPort(cfg.BindAddr, strconv.Itoa(cfg.Ports.Server)),
			AdvertiseAddr:        cfg.AdvertiseAddr,
			AdvertisePort:        cfg.Ports.ServerAdvertise,
			BootstrapExpect:      max(cfg.BootstrapExpect, boolInt(cfg.DevMode)),
			LogStore:             cfg.RaftLogStore,
			WALSegmentSize:       cfg.RaftWALSegmentSizeMB << 20,
			ServiceName:          cfg.ServerServiceName,
			StreamMaxMessages:    cfg.StreamMaxMessages,
			StreamMaxAge:         cfg.StreamMaxAge,
			SessionTTLMin:        cfg.SessionTTLMin,
			RaftMultiplier:       cfg.RaftMultiplier,
			DeadServerGrace:      cfg.Autopilot.DeadServerGrace,
			Autopilot:            autopilotSeed(cfg.Autopilot),
			Fast:                 cfg.DevMode,
			ReadFault:            cfg.TestReadFault,
			RPCMaxConnsPerClient: cfg.Limits.RPCMaxConnsPerClient,
			RPCHandshakeTimeout:  handshakeTimeout(cfg.Limits.RPCHandshakeTimeout),
			RequestLimits:        requestLimits(cfg),
			TLS:                  a.serverPortTLS(),
			ACL: server.ACLConfig{
				Enabled: cfg.ACL.Enabled, DefaultAllow: cfg.ACL.DefaultPolicy != "deny",
				KeyListPolicy: cfg.ACL.EnableKeyListPolicy, InitialManagement: cfg.ACL.Tokens.InitialManagement,
				TokenTTL: cfg.ACL.TokenTTL, PolicyTTL: cfg.ACL.PolicyTTL, RoleTTL: cfg.ACL.RoleTTL,
				TokenMinExpirationTTL: cfg.ACL.TokenMinExpirationTTL,
				PrimaryDatacenter:     cfg.ACL.PrimaryDatacenter, ReplicationToken: a.tokens.get("replication"), // a persisted one (enable_token_persistence) wins
			},
			Logger: logger.With("component", "server"),
		})
		if err != nil {
			return nil, err
		}
	}
	a.calls = tokenCaller{next: a.newCaller(), token: a.tokens.agentToken}
	a.rexec = rexec.New(a.stopCtx, rexec.Config{NodeName: cfg.NodeName, Disabled: cfg.DisableRemoteExec, Logger: logger}, rexecStore{a.calls})
	// Each step's undo, run in reverse if a later step fails.
	var undo []func()
	fail := func(err error) (*Agent, error) {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
		return nil, err
	}
	undo = append(undo, a.closeStore)
	if err := a.startGossip(); err != nil {
		return fail(err)
	}
	undo = append(undo, func() { a.stopGossip() })
	if err := a.startLocal(); err != nil {
		return fail(err)
	}
	undo = append(undo, func() { a.stop(); a.runner.Stop() })
	if err := a.startDNS(); err != nil {
		return fail(err)
	}
	undo = append(undo, func() {
		if a.dns != nil {
			a.dns.Shutdown(context.Background())
		}
	})
	if err := a.startHTTP(); err != nil {
		return fail(err)
	}
	if err := a.joinAtStart(); err != nil {
		a.Shutdown(context.Background())
		return nil, err
	}
	if err := a.startWatches(cfg.Watches); err != nil {
		a.Shutdown(context.Background())
		return nil, err
	}
	logger.Info("agent started", "node", cfg.NodeName, "datacenter", cfg.Datacenter, "server", cfg.Server,
		"http", a.HTTPAddr(), "dns", a.DNSAddr(), "serf", a.SerfAddr(), "dev", cfg.DevMode)
	return a, nil
}

// closeStore stops the server, or a client agent's connections.
func (a *Agent) closeStore() {
	if a.server != nil {
		if err := a.server.Shutdown(); err != nil {
			a.logger.Error("cannot stop the server", "error", err)
		}
	}
	if a.pool != nil {
		a.pool.Close()
	}
}

// SerfAddr is the LAN gossip address.
func (a *Agent) SerfAddr() string { return memberAddr(a.gossip.LocalMember()) }

// stopGossip stops the WAN pool, if any, and the LAN pool, without
// leaving them.
func (a *Agent) stopGossip() error {
	var err error
	if a.wan != nil {
		err = a.wan.Shutdown()
	}
	return errors.Join(err, a.gossip.Shutdown())
}

func (a *Agent) startHTTP() error {
	if a.cfg.Ports.HTTP < 0 && a.cfg.Ports.HTTPS < 0 {
		return nil
	}
	handler := a.rootHandler()
	if a.cfg.Ports.HTTP >= 0 {
		ln, err := a.listenHTTP()
		if err != nil {
			return err
		}
		a.httpLn = ln
		if ln.Addr().Network() == "tcp" {
			lim := a.cfg.Limits
			ln = httpapi.LimitListener(ln, httpapi.ConnLimits{PerClient: lim.HTTPMaxConnsPerClient, Total: lim.HTTPMaxConns})
		}
		a.httpSrv = a.newHTTPServer(handler)
		go func() { a.httpErr <- a.httpSrv.Serve(ln) }()
	}
	return a.startHTTPS(handler)
}

// handshakeTimeout maps limits.rpc_handshake_timeout, where 0 is no
// limit, to the server's setting, where no limit is negative.
func handshakeTimeout(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// listenHTTP opens the HTTP API's listener: on addresses.http when set
// (an IP, or a unix socket, whose stale file from an earlier run is
// removed first), else on client_addr, at ports.http.
func (a *Agent) listenHTTP() (net.Listener, error) {
	if path, ok := strings.CutPrefix(a.cfg.HTTPAddr, "unix://"); ok {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("cannot remove old HTTP socket %s: %w", path, err)
		}
		ln, err := net.Listen("unix", path)
		if err != nil {
			return nil, fmt.Errorf("cannot listen for HTTP on %s: %w", a.cfg.HTTPAddr, err)
		}
		return ln, nil
	}
	host := a.cfg.ClientAddr
	if a.cfg.HTTPAddr != "" {
		host = a.cfg.HTTPAddr
	}
	addr := net.JoinHostPort(host, strconv.Itoa(a.cfg.Ports.HTTP))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen for HTTP on %s: %w", addr, err)
	}
	return ln, nil
}

// rootHandler is the HTTP API with what wraps it: pprof, the UI and the
// filter of unprintable paths. HTTP and HTTPS serve the same one.
func (a *Agent) rootHandler() http.Handler {
	m := a.newMetrics()
	handler := httpapi.New(httpapi.Config{
		Datacenter: a.cfg.Datacenter,
		Pretty:     a.cfg.DevMode,
		Logger:     a.logger.With("component", "http"),
		Observe:    m.ObserveHTTP,
		Metrics:    m.Handler(),

		ACLDefaultPolicy: aclDefaultPolicy(a.cfg.ACL),

		DisableCoordinates: a.cfg.Coordinates.Disable,
		Cache:              a.cache,
		TranslateWANAddrs:  a.cfg.WAN.TranslateAddrs,
	}, backend{Caller: a.calls, Agent: a})
	var root http.Handler = handler
	if a.cfg.EnableDebug {
		root = withPprof(handler)
	}
	if a.cfg.UI {
		root = ui.Mount(root)
	}
	if !a.cfg.DisableHTTPUnprintableCharFilter {
		root = httpapi.RefuseUnprintablePaths(root)
	}
	return root
}

// newHTTPServer is an HTTP server for handler with the limits' timeouts.
func (a *Agent) newHTTPServer(handler http.Handler) *http.Server {
	lim := a.cfg.Limits
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: lim.HTTPReadHeaderTimeout,
		IdleTimeout:       lim.HTTPIdleTimeout,
		BaseContext:       func(net.Listener) context.Context { return a.stopCtx },
		ErrorLog:          slog.NewLogLogger(a.logger.Handler(), slog.LevelWarn),
	}
}

// taggedAddresses are the node's tagged addresses at lan and wan, as
// Consul's agents declare them: "lan" and "wan", and each again under
// _ipv4 or _ipv6 as it is.
func taggedAddresses(lan, wan string) map[string]string {
	out := map[string]string{"lan": lan, "wan": wan}
	for name, addr := range map[string]string{"lan": lan, "wan": wan} {
		if ip := net.ParseIP(addr); ip != nil && ip.To4() == nil {
			out[name+"_ipv6"] = addr
		} else {
			out[name+"_ipv4"] = addr
		}
	}
	return out
}

// startLocal sets up this node's services and checks: the check runners,
// the entries saved by earlier runs and those in config files, and the
// anti-entropy syncer.
func (a *Agent) startLocal() error {
	host := a.gossip.LocalMember().Addr.String()
	a.local = local.New(local.Config{
		NodeName: a.cfg.NodeName, NodeID: a.nodeID, Datacenter: a.cfg.Datacenter, Address: host,
		DataDir: dataDirUnlessDev(a.cfg), Logger: a.logger.With("component", "local"),
		ServerService: a.cfg.ServerServiceName, NodeMeta: nodeMeta(a.cfg),
		TaggedAddresses: taggedAddresses(host, cmp.Or(a.cfg.WAN.AdvertiseAddr, host)),
	})
	runner, err := checks.NewRunner(checks.Config{
		EnableScriptChecks:      a.cfg.EnableScriptChecks,
		EnableLocalScriptChecks: a.cfg.EnableLocalScriptChecks,
		OutputMaxSize:           checks.DefaultConfig().OutputMaxSize,
		Logger:                  a.logger.With("component", "checks"),
		Alias:                   aliasSource{a},
		TLS:                     a.checkTLS,
	}, a.local)
	if err != nil {
		return err
	}
	a.runner = runner
	services, saved, err := local.LoadPersisted(dataDirUnlessDev(a.cfg))
	if err != nil {
		return err
	}
	for _, svc := range services {
		if err := a.local.AddService(svc, true); err != nil {
			return fmt.Errorf("cannot restore service %q: %w", svc.ID, err)
		}
	}
	for _, pc := range saved {
		if err := a.restoreCheck(pc); err != nil {
			a.logger.Warn("cannot restore check", "check", pc.Check.CheckID, "error", err)
		}
	}
	if err := a.loadFileDefinitions(a.cfg); err != nil {
		return err
	}
	go a.local.Run(a.stopCtx, catalog{a}, local.DefaultSyncInterval)
	go a.reapCriticalServices(a.stopCtx, reapInterval)
	go a.sendCoordinates(a.stopCtx)
	return nil
}

// restoreCheck registers a check saved by an earlier run. A TTL check comes
// back with the status last reported (its TTL starts again); a check
// without a definition (maintenance) is restored as it was.
func (a *Agent) restoreCheck(pc local.PersistedCheck) error {
	if pc.Definition == nil {
		return a.local.AddCheck(pc.Check, nil, true)
	}
	reg := &api.AgentCheckRegistration{ID: pc.Check.CheckID, ServiceID: pc.Check.ServiceID, AgentServiceCheck: *pc.Definition}
	reg.Name, reg.Notes = pc.Check.Name, pc.Check.Notes
	if reg.TTL != "" && pc.Check.Status != "" {
		reg.Status = pc.Check.Status
	}
	return a.addCheck(reg, false)
}

// HTTPAddr is the address the HTTP API listens on, "" when disabled.
func (a *Agent) HTTPAddr() string {
	if a.httpLn == nil {
		return ""
	}
	return a.httpLn.Addr().String()
}

// Shutdown stops the agent: HTTP first (blocking queries are woken and
// in-flight requests drain until ctx ends), then Raft and its stores.
func (a *Agent) Shutdown(ctx context.Context) error {
	a.logger.Info("agent stopping")
	a.stop()
	a.stopWatches()
	var errs []error
	if a.httpSrv != nil {
		if err := stopHTTPServer(ctx, a.httpSrv, a.httpErr); err != nil {
			errs = append(errs, err)
		}
	}
	if err := a.stopHTTPS(ctx); err != nil {
		errs = append(errs, err)
	}
	if a.dns != nil {
		if err := a.dns.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("cannot stop DNS: %w", err))
		}
	}
	a.runner.Stop()
	if err := a.stopGossip(); err != nil {
		errs = append(errs, fmt.Errorf("cannot stop gossip: %w", err))
	}
	a.closeStore()
	a.logger.Info("agent stopped")
	return errors.Join(errs...)
}

// stopHTTPServer stops srv, whose Serve reports to served: blocking
// queries end at once (stopCtx); other requests get a short grace, within
// ctx. Connections that never sent a request would hold Shutdown for 5s,
// so after the grace everything left is closed.
func stopHTTPServer(ctx context.Context, srv *http.Server, served <-chan error) error {
	drainCtx, cancel := context.WithTimeout(ctx, httpDrainGrace)
	defer cancel()
	if err := srv.Shutdown(drainCtx); err != nil {
		srv.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// backend joins the replicated state (reached through its declared calls:
// this server's endpoint or RPC to the servers) and the agent (self,
// members, local services and checks) into the one Backend the HTTP API
// declares.
type backend struct {
	call.Caller
	*Agent
}

// NodeName is this agent's node name.
func (a *Agent) NodeName() string { return a.cfg.NodeName }

// loadNodeID returns the node's stable ID: read from data_dir/node-id, or
// made and saved there on first start; dev mode makes a fresh one.
func loadNodeID(cfg config.Config) (string, error) {
	if cfg.NodeID != "" {
		return cfg.NodeID, nil
	}
	if cfg.DevMode {
		return uuid.NewString(), nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return "", fmt.Errorf("cannot create data dir: %w", err)
	}
	path := filepath.Join(cfg.DataDir, "node-id")
	data, err := os.ReadFile(path)
	if err == nil {
		id := strings.TrimSpace(string(data))
		if _, err := uuid.Parse(id); err != nil {
			return "", fmt.Errorf("node ID in %s is not a UUID: %q", path, id)
		}
		return id, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("cannot read node ID: %w", err)
	}
	id := uuid.NewString()
	if err := writeFileSync(path, []byte(id)); err != nil {
		return "", fmt.Errorf("cannot save node ID: %w", err)
	}
	return id, nil
}

// writeFileSync writes data to path and fsyncs it before returning.
func writeFileSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func dataDirUnlessDev(cfg config.Config) string {
	if cfg.DevMode {
		return ""
	}
	return cfg.DataDir
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// rexecStore is the replicated state as remote exec jobs use it.
type rexecStore struct{ calls call.Caller }

func (r rexecStore) KVApply(ctx context.Context, op *api.KVTxnOp) (bool, error) {
	return call.KVApply.Invoke(ctx, r.calls, call.KVApplyArgs{Op: op})
}

func (r rexecStore) KVGet(ctx context.Context, q *api.QueryOptions, key string) (*api.KVPair, api.QueryMeta, error) {
	res, err := call.KVGet.Invoke(ctx, r.calls, call.KVGetArgs{Query: call.Query{Q: q}, Key: key})
	return res.Value, res.Meta, err
}

func (r rexecStore) SessionInfo(ctx context.Context, q *api.QueryOptions, id string) ([]*api.SessionEntry, api.QueryMeta, error) {
	res, err := call.SessionInfo.Invoke(ctx, r.calls, call.SessionGetArgs{Query: call.Query{Q: q}, ID: id})
	return res.Value, res.Meta, err
}
