// Package server runs a Concord server: Raft wiring and bootstrap, the write
// path into the FSM, and the read path (consistency modes and blocking
// queries) over the state store.
//
// Write: caller → Server.KVApply → raft.Apply (batched with other writers,
// one fsync per batch) → fsm.ApplyBatch → state store → result via the
// future. Read: caller → blockingQuery (consistency check, then run the
// query, then wait on its WatchSet until the index passes ?index or ?wait
// ends) → result and QueryMeta.
package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
	"github.com/concordhq/concord/internal/fsm"
	"github.com/concordhq/concord/internal/rpc"
	"github.com/concordhq/concord/internal/state"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	raftwal "github.com/hashicorp/raft-wal"
	"github.com/hashicorp/raft-wal/metadb"
	"go.etcd.io/bbolt"
)

// Config is what a server needs; the agent derives it from config.Config.
type Config struct {
	NodeID     string // stable Raft server ID
	NodeName   string
	Datacenter string
	DataDir    string // "" keeps everything in memory (dev mode)
	RaftAddr   string // host:port for Raft and RPC; port 0 picks a free port

	// AdvertiseAddr is the host other servers reach this one at ("":
	// RaftAddr's host, which must then not be 0.0.0.0).
	AdvertiseAddr string
	// AdvertisePort is the port others dial for this server (0: the bound
	// port); differs only behind NAT or a fault-injecting proxy.
	AdvertisePort int

	// RaftMultiplier scales Raft's timers (1 when 0); see raftConfig.
	RaftMultiplier int

	// DeadServerGrace is how long a server must have failed in gossip
	// before the leader removes it from Raft (DefaultDeadServerGrace when
	// 0, never when negative).
	DeadServerGrace time.Duration

	// Autopilot is the autopilot configuration the first leader stores
	// (api.DefaultAutopilotConfiguration when nil); from then on the
	// replicated one rules, changed through the operator API.
	Autopilot *api.AutopilotConfiguration

	// BootstrapExpect is how many servers of this datacenter must be alive
	// in gossip before Raft is bootstrapped: 1 bootstraps this server alone at
	// start, n > 1 waits for n (see maybeBootstrap), and 0 never bootstraps,
	// so the server waits to be added to an existing cluster.
	BootstrapExpect int

	// LogStore selects the Raft log backend: LogStoreWAL (default) or
	// LogStoreBoltDB, Consul's raft_logstore.backend.
	LogStore string
	// WALSegmentSize is the size in bytes of a WAL segment file
	// (raft_logstore.wal.segment_size_mb; raft-wal's 64 MiB when 0). A
	// data dir needs room for about two segments.
	WALSegmentSize int

	// ServiceName is the catalog service this server registers itself as
	// (ServerServiceID when empty).
	ServiceName string

	// SessionTTLMin is the shortest session TTL accepted
	// (DefaultSessionTTLMin when 0).
	SessionTTLMin time.Duration

	// StreamMaxMessages and StreamMaxAge bound each stream topic
	// (DefaultStreamMaxMessages / DefaultStreamMaxAge when 0).
	StreamMaxMessages int
	StreamMaxAge      time.Duration

	// TombstoneTTL is how long deleted keys' tombstones live
	// (DefaultTombstoneTTL when 0).
	TombstoneTTL time.Duration

	// Fast selects short Raft timers for a single in-memory dev server.
	Fast bool

	// RPCMaxConnsPerClient is how many connections one client IP may hold
	// to the server port (0: no limit; the agent's default is
	// rpc.DefaultMaxConnsPerClient, Consul's limits.rpc_max_conns_per_client).
	RPCMaxConnsPerClient int
	// RPCHandshakeTimeout is how long a new server-port connection may
	// take to send its first byte (rpc.DefaultHandshakeTimeout when 0;
	// negative for no limit).
	RPCHandshakeTimeout time.Duration

	// RequestLimits limits the rate of calls this server takes (see
	// ratelimit.go); SetRequestLimits changes them.
	RequestLimits RequestLimits

	// TLS secures the server port, incoming and outgoing (see rpc.TLS);
	// nil keeps it plain.
	TLS rpc.TLS

	// ACL holds the acl block's server settings (see ACLConfig).
	ACL ACLConfig

	// Hooks see every call this server receives, before it is answered or
	// forwarded (access control and datacenter routing hang here).
	Hooks call.Hooks

	// ReadFault breaks the read path on purpose, for test/chaos only:
	// ReadFaultStaleDefault answers default reads from the local store as
	// if ?stale were given; ReadFaultNoLease lets the leader answer default
	// reads without its lease (Concord before its read lease). "" in
	// production.
	ReadFault string

	Logger *slog.Logger // non-nil
}

// Raft log backends. The WAL appends with one fsync per batch where bbolt
// needs two and rewrites B-tree pages; see the note on issue 2 for figures.
const (
	LogStoreWAL    = "wal"
	LogStoreBoltDB = "boltdb"
)

// Read-path faults for test/chaos (Config.ReadFault).
const (
	ReadFaultStaleDefault = "stale-default"
	ReadFaultNoLease      = "no-lease"
)

// Validate checks c.
func (c *Config) Validate() error {
	switch {
	case c.NodeID == "":
		return errors.New("server: node ID is required")
	case c.Datacenter == "":
		return errors.New("server: datacenter is required")
	case c.RaftAddr == "":
		return errors.New("server: raft address is required")
	case c.BootstrapExpect < 0:
		return fmt.Errorf("server: bootstrap_expect = %d must not be negative", c.BootstrapExpect)
	case c.LogStore != "" && c.LogStore != LogStoreWAL && c.LogStore != LogStoreBoltDB:
		return fmt.Errorf("server: unknown raft log store %q (want %q or %q)", c.LogStore, LogStoreWAL, LogStoreBoltDB)
	case c.ReadFault != "" && c.ReadFault != ReadFaultStaleDefault && c.ReadFault != ReadFaultNoLease:
		return fmt.Errorf("server: unknown read fault %q", c.ReadFault)
	case c.Logger == nil:
		return errors.New("server: logger is required")
	}
	return nil
}

// Server is one Concord server.
type Server struct {
	cfg       Config
	logger    *slog.Logger
	fsm       *fsm.FSM
	raft      *raft.Raft
	transport *raft.NetworkTransport
	mux       *rpc.Mux       // splits the server port into Raft and RPC
	rpcServer *rpc.Server    // answers agents and other servers
	table     *call.Table    // every declared call's implementation
	pool      *rpc.Pool      // connections to other servers
	prober    *rpc.Prober    // lease rounds' probes to other servers
	closers   []func() error // stores to close after Raft stops
	logStore  *healingLog    // the WAL log store; nil in dev mode and with bbolt

	// consistentReady is set once this server, as leader, has applied every
	// entry committed before its term (a barrier), so reads are current.
	consistentReady atomic.Bool

	lease readLease // the leader's read lease; see lease.go

	limiter rateLimiter // request rate limits; see ratelimit.go

	identities identityCache // tokens resolved for calls; see acl_identities.go

	timers sessionTimers // the leader's session TTL timers

	coords coordinateBatch // the leader's queue of coordinate updates

	autopilot autopilot // the leader's view of the servers' health

	acl aclResolver // token resolution; see acl_resolve.go

	wan     wanRef      // the WAN pool's view, to route calls to other datacenters; see dcrouter.go
	dcSlow  slowServers // servers of other datacenters that lately let a call time out; see dcrouter.go
	events  eventFirer  // fires user events from other datacenters; see event.go
	keyring keyringRef  // runs keyring operations on the agent's pools; see keyring.go

	members      membership  // gossip's view, for the leader's reconcile
	bootstrapped atomic.Bool // Raft has a configuration: never bootstrap again
	bootstrapMu  sync.Mutex  // one bootstrap attempt at a time

	leaderNotifyCh chan bool
	shutdownCh     chan struct{}
}

// New starts a server: opens its stores, starts Raft and, for a single
// server with no prior state, bootstraps the cluster.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg:            cfg,
		logger:         cfg.Logger,
		fsm:            fsm.New(cfg.Logger),
		leaderNotifyCh: make(chan bool, 8),
		shutdownCh:     make(chan struct{}),
		pool:           rpc.NewPool(),
	}
	s.members.init()
	s.limiter.set(cfg.RequestLimits)
	s.acl.replToken.set(cfg.ACL.ReplicationToken)
	s.timers.expire = s.expireSession
	table, err := s.newTable()
	if err != nil {
		return nil, err
	}
	s.table = table
	if err := s.startRaft(); err != nil {
		s.closeStores()
		return nil, err
	}
	s.rpcServer = rpc.NewServer(s.dispatch)
	go rpc.ServeProbes(s.mux.ProbeListener(), s.leaderCheck)
	if cfg.ReadFault != "" {
		s.logger.Warn("read path broken on purpose (test fault)", "read_fault", cfg.ReadFault)
	}
	go s.rpcServer.Serve(s.mux.RPCListener())
	go s.monitorLeadership()
	return s, nil
}

func (s *Server) raftConfig() *raft.Config {
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(s.cfg.NodeID)
	rc.Logger = raftLogger(s.logger)
	rc.NotifyCh = s.leaderNotifyCh
	// Let concurrent writers share one disk write: Raft drains up to
	// MaxAppendEntries queued applies into a single log append.
	rc.BatchApplyCh = true
	rc.MaxAppendEntries = 256
	rc.SnapshotThreshold = 16384
	rc.SnapshotInterval = 30 * time.Second
	// A follower starts an election 1–2 heartbeat timeouts after it last
	// heard from the leader, so a dead leader is replaced in well under a
	// second on a LAN. raft_multiplier scales this up for slow networks.
	mult := time.Duration(max(s.cfg.RaftMultiplier, 1))
	rc.HeartbeatTimeout = 400 * time.Millisecond * mult
	rc.ElectionTimeout = 400 * time.Millisecond * mult
	// The leader steps down after a lease without hearing from a quorum;
	// as long as the heartbeat timeout, so a short stall of a busy machine
	// does not cost an election.
	rc.LeaderLeaseTimeout = 400 * time.Millisecond * mult
	if s.cfg.Fast {
		rc.HeartbeatTimeout = 50 * time.Millisecond
		rc.ElectionTimeout = 50 * time.Millisecond
		rc.LeaderLeaseTimeout = 50 * time.Millisecond
	}
	return rc
}

func (s *Server) startRaft() error {
	logs, stable, snaps, err := s.openStores()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.cfg.RaftAddr)
	if err != nil {
		return fmt.Errorf("cannot listen for raft on %s: %w", s.cfg.RaftAddr, err)
	}
	advertise, err := advertiseAddr(ln.Addr().(*net.TCPAddr), s.cfg.AdvertiseAddr)
	if err != nil {
		ln.Close()
		return err
	}
	if s.cfg.AdvertisePort > 0 {
		advertise.Port = s.cfg.AdvertisePort
	}
	bindIP := ln.Addr().(*net.TCPAddr).IP
	s.mux = rpc.NewMuxTLS(ln, advertise, bindIP, s.cfg.RPCMaxConnsPerClient, s.cfg.TLS)
	s.mux.SetHandshakeTimeout(s.cfg.RPCHandshakeTimeout)
	s.pool.SetSourceIP(bindIP)
	s.pool.SetTLS(s.cfg.TLS)
	s.prober = rpc.NewProber(bindIP)
	s.prober.SetTLS(s.cfg.TLS)
	s.closers = append(s.closers, s.mux.Close)
	s.transport = raft.NewNetworkTransportWithLogger(s.mux.RaftLayer(), 3, 10*time.Second, raftLogger(s.logger))
	s.closers = append(s.closers, s.transport.Close)

	rc := s.raftConfig()
	s.lease.init(s, rc.HeartbeatTimeout)
	has, err := raft.HasExistingState(logs, stable, snaps)
	if err != nil {
		return fmt.Errorf("cannot read raft state: %w", err)
	}
	s.bootstrapped.Store(has)
	if s.cfg.BootstrapExpect == 1 {
		if !has {
			conf := raft.Configuration{Servers: []raft.Server{{
				Suffrage: raft.Voter, ID: rc.LocalID, Address: s.transport.LocalAddr(),
			}}}
			if err := raft.BootstrapCluster(rc, logs, stable, snaps, s.transport, conf); err != nil {
				return fmt.Errorf("cannot bootstrap raft: %w", err)
			}
			s.bootstrapped.Store(true)
		}
	}
	s.raft, err = raft.NewRaft(rc, s.fsm, logs, stable, snaps, s.transport)
	if err != nil {
		return fmt.Errorf("cannot start raft: %w", err)
	}
	// The log store drops a torn tail silently; saying where the log ends
	// makes a recovery from a crash visible.
	if has {
		last, _ := logs.LastIndex()
		s.logger.Info("raft state recovered", "last_log_index", last, "last_snapshot_index", s.raft.Stats()["last_snapshot_index"])
	}
	return nil
}

// openStores opens the Raft log, stable and snapshot stores under
// DataDir/raft, or in memory in dev mode.
func (s *Server) openStores() (raft.LogStore, raft.StableStore, raft.SnapshotStore, error) {
	if s.cfg.DataDir == "" {
		store := raft.NewInmemStore()
		return store, store, raft.NewInmemSnapshotStore(), nil
	}
	dir := filepath.Join(s.cfg.DataDir, "raft")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, nil, fmt.Errorf("cannot create raft directory: %w", err)
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, 2, raftLogger(s.logger))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("cannot open snapshot store: %w", err)
	}
	if s.cfg.LogStore == LogStoreBoltDB {
		logs, stable, err := s.openBolt(filepath.Join(dir, "raft.db"))
		return logs, stable, snaps, err
	}
	walDir := filepath.Join(dir, "wal")
	if err := os.MkdirAll(walDir, 0o700); err != nil {
		return nil, nil, nil, fmt.Errorf("cannot create WAL directory: %w", err)
	}
	segmentSize := s.cfg.WALSegmentSize
	if segmentSize == 0 {
		segmentSize = raftwal.DefaultSegmentSize
	}
	open := func() (*raftwal.WAL, *metadb.BoltMetaDB, error) {
		// raft-wal's Close leaves its metadata database open (and
		// locked), so the store closes that itself after the WAL.
		meta := &metadb.BoltMetaDB{}
		wal, err := raftwal.Open(walDir, raftwal.WithLogger(raftLogger(s.logger)), raftwal.WithMetaStore(meta),
			raftwal.WithSegmentSize(segmentSize))
		if err != nil {
			meta.Close()
			return nil, nil, fmt.Errorf("cannot open raft WAL in %s: %w", walDir, err)
		}
		return wal, meta, nil
	}
	probe := func() error { return probeResources(walDir, uint64(segmentSize)) }
	logs, err := newHealingLog(open, probe, s.logger)
	if err != nil {
		return nil, nil, nil, err
	}
	s.logStore = logs
	s.closers = append(s.closers, logs.Close)
	return logs, logs, snaps, nil
}

// openBolt opens the bbolt log store, fronted by a cache of recent entries.
func (s *Server) openBolt(path string) (raft.LogStore, raft.StableStore, error) {
	bolt, err := raftboltdb.New(raftboltdb.Options{
		Path: path,
		BoltOptions: &bbolt.Options{
			Timeout: time.Second, // another process holding the file fails fast
			// The freelist is rebuilt on open, so each commit writes less.
			NoFreelistSync: true,
			FreelistType:   bbolt.FreelistMapType,
		},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("cannot open raft log %s: %w", path, err)
	}
	s.closers = append(s.closers, bolt.Close)
	logs, err := raft.NewLogCache(1024, bolt)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot create log cache: %w", err)
	}
	return logs, bolt, nil
}

// monitorLeadership tracks leadership changes: on gaining it, a barrier
// makes sure every earlier entry is applied before consistent reads run.
func (s *Server) monitorLeadership() {
	var stopLeader chan struct{} // non-nil while the leader tasks run
	stop := func() {
		if stopLeader != nil {
			close(stopLeader)
			stopLeader = nil
		}
	}
	defer stop()
	for {
		select {
		case <-s.shutdownCh:
			return
		case isLeader := <-s.leaderNotifyCh:
			s.consistentReady.Store(false)
			s.lease.reset()
			stop()
			s.timers.clear()
			if !isLeader {
				s.logger.Info("lost leadership")
				continue
			}
			if err := s.raft.Barrier(time.Minute).Error(); err != nil {
				s.logger.Error("leader barrier failed", "error", err)
				continue
			}
			s.updateOwnAddress()
			if err := s.registerSelf(); err != nil {
				s.logger.Error("cannot register this node in the catalog", "error", err)
			}
			s.startSessionTimers()
			s.establishACLs()
			s.consistentReady.Store(true)
			stopLeader = make(chan struct{})
			go s.lease.keep(stopLeader)
			go s.runLeaderTasks(stopLeader)
			go s.runReconcile(stopLeader)
			go s.runCoordinateBatches(stopLeader)
			go s.runAutopilot(stopLeader)
			go s.runACLLeader(stopLeader)
			s.logger.Info("became leader", "node", s.cfg.NodeName)
		}
	}
}

// updateOwnAddress fixes this server's entry in the Raft configuration when
// it restarted on another address, so /v1/status/peers stays true.
func (s *Server) updateOwnAddress() {
	f := s.raft.GetConfiguration()
	if f.Error() != nil {
		return
	}
	me, addr := raft.ServerID(s.cfg.NodeID), s.transport.LocalAddr()
	for _, srv := range f.Configuration().Servers {
		if srv.ID == me && srv.Address != addr && srv.Suffrage == raft.Voter {
			if err := s.raft.AddVoter(me, addr, 0, 0).Error(); err != nil {
				s.logger.Warn("cannot update own raft address", "address", addr, "error", err)
			}
			return
		}
	}
}

// State returns the current state store, for reads that need no
// consistency checks (tests, agent-local views).
func (s *Server) State() *state.Store { return s.fsm.State() }

// Shutdown stops Raft and closes the stores. It is safe to call once.
func (s *Server) Shutdown() error {
	close(s.shutdownCh)
	s.timers.clear()
	s.rpcServer.Stop()
	s.pool.Close()
	s.prober.Close()
	var errs []error
	if s.raft != nil {
		if err := s.raft.Shutdown().Error(); err != nil {
			errs = append(errs, fmt.Errorf("cannot shut down raft: %w", err))
		}
	}
	errs = append(errs, s.closeStores())
	return errors.Join(errs...)
}

func (s *Server) closeStores() error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i]())
	}
	s.closers = nil
	return errors.Join(errs...)
}

// advertiseAddr is the address this server gives others: bound, with the
// advertised host when one is set.
func advertiseAddr(bound *net.TCPAddr, host string) (*net.TCPAddr, error) {
	addr := *bound
	if host != "" {
		ip := net.ParseIP(host)
		if ip == nil {
			return nil, fmt.Errorf("advertise address %q is not an IP address", host)
		}
		addr.IP = ip
	}
	if addr.IP.IsUnspecified() {
		return nil, fmt.Errorf("server address %s is not reachable by others; set advertise_addr", addr.String())
	}
	return &addr, nil
}

// RaftAddr is the address Raft listens on (and reports as the leader's).
func (s *Server) RaftAddr() string { return string(s.transport.LocalAddr()) }

// IsLeader reports whether this server leads.
func (s *Server) IsLeader() bool { return s.raft.State() == raft.Leader }

// Leader returns the leader's Raft address, or "" when none is known.
func (s *Server) Leader() string {
	addr, _ := s.raft.LeaderWithID()
	return string(addr)
}

// Peers returns the Raft addresses of the voting servers.
func (s *Server) Peers() ([]string, error) {
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, fmt.Errorf("cannot read raft configuration: %w", err)
	}
	peers := []string{}
	for _, srv := range f.Configuration().Servers {
		if srv.Suffrage == raft.Voter {
			peers = append(peers, string(srv.Address))
		}
	}
	return peers, nil
}

// Stats returns Raft's counters and the log store's health (logstore_*)
// for /v1/agent/self.
func (s *Server) Stats() map[string]string {
	st := s.raft.Stats()
	h := s.LogStoreHealth()
	st["logstore_healthy"] = strconv.FormatBool(h.Healthy)
	st["logstore_failures"] = strconv.FormatUint(h.Failures, 10)
	st["logstore_heals"] = strconv.FormatUint(h.Heals, 10)
	if !h.Healthy {
		st["logstore_error"] = h.Error
		st["logstore_failed_since"] = h.Since.UTC().Format(time.RFC3339Nano)
	}
	return st
}

// LogStoreHealth reports the Raft log store's state: healthy, or what
// failed and since when (always healthy in dev mode and with bbolt).
func (s *Server) LogStoreHealth() LogStoreHealth {
	if s.logStore == nil {
		return LogStoreHealth{Healthy: true}
	}
	return s.logStore.Health()
}
