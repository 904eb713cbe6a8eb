package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/fsm"
	"github.com/hashicorp/raft"
)

// DefaultDeadServerGrace is how long a server stays in the Raft
// configuration after gossip declared it failed.
const DefaultDeadServerGrace = 30 * time.Second

// reconcileInterval is how often the leader compares the whole member
// list with the catalog and the Raft configuration, on top of reacting to
// each member event.
const reconcileInterval = 5 * time.Second

// Member statuses, as gossip reports them.
const (
	MemberAlive   = "alive"
	MemberLeaving = "leaving"
	MemberLeft    = "left"
	MemberFailed  = "failed"
	MemberReaped  = "reaped" // gone from the member list for good
)

// Member is one gossip pool member as a server needs it.
type Member struct {
	Name       string
	ID         string // node ID (and, for servers, Raft ID)
	Addr       string // IP address
	Status     string
	Datacenter string
	Server     bool
	Port       int    // a server's server port (Raft and RPC)
	Expect     int    // a server's bootstrap_expect
	Version    string // the Consul version a server speaks, for autopilot
}

// raftAddr is a server member's Raft and RPC address.
func (m Member) raftAddr() string { return net.JoinHostPort(m.Addr, strconv.Itoa(m.Port)) }

// membership is what the server knows of gossip.
type membership struct {
	mu       sync.Mutex
	list     func() []Member      // current members; guarded by mu
	failedAt map[string]time.Time // server ID → first seen failed; guarded by mu
	events   chan Member          // for the leader's reconcile loop
}

func (m *membership) init() {
	m.list = func() []Member { return nil }
	m.failedAt = map[string]time.Time{}
	m.events = make(chan Member, 1024)
}

func (m *membership) members() []Member {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.list()
}

// SetMembers tells the server how to list gossip's members.
func (s *Server) SetMembers(list func() []Member) {
	s.members.mu.Lock()
	s.members.list = list
	s.members.mu.Unlock()
	s.MemberEvent(Member{})
}

// MemberEvent tells the server that a member changed. It never blocks:
// the leader also reconciles everything every few seconds.
func (s *Server) MemberEvent(m Member) {
	if !s.bootstrapped.Load() && s.cfg.BootstrapExpect > 1 {
		go s.maybeBootstrap()
	}
	if m.Name == "" {
		return
	}
	select {
	case s.members.events <- m:
	default:
	}
}

// maybeBootstrap bootstraps Raft once bootstrap_expect servers of this
// datacenter are in gossip and none of them already has a configuration.
// Every one of them computes the same configuration, so whichever runs it
// agrees; a server that finds an existing cluster waits to be added.
func (s *Server) maybeBootstrap() {
	s.bootstrapMu.Lock()
	defer s.bootstrapMu.Unlock()
	if s.bootstrapped.Load() {
		return
	}
	var servers []Member
	for _, m := range s.members.members() {
		if !m.Server || m.Status != MemberAlive || m.Datacenter != s.cfg.Datacenter {
			continue
		}
		if m.Expect != 0 && m.Expect != s.cfg.BootstrapExpect {
			s.logger.Error("servers disagree on bootstrap_expect; not bootstrapping",
				"server", m.Name, "theirs", m.Expect, "ours", s.cfg.BootstrapExpect)
			return
		}
		servers = append(servers, m)
	}
	if len(servers) < s.cfg.BootstrapExpect {
		return
	}
	conf := raft.Configuration{}
	for _, m := range servers {
		if m.ID != s.cfg.NodeID {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			var peers []string
			err := s.pool.Call(ctx, m.raftAddr(), "Peers", struct{}{}, &peers)
			cancel()
			if err != nil {
				s.logger.Warn("cannot ask a server for its peers before bootstrapping", "server", m.Name, "error", err)
				return
			}
			if len(peers) > 0 {
				s.logger.Info("found an existing cluster; waiting to be added", "server", m.Name)
				s.bootstrapped.Store(true)
				return
			}
		}
		conf.Servers = append(conf.Servers, raft.Server{
			Suffrage: raft.Voter, ID: raft.ServerID(m.ID), Address: raft.ServerAddress(m.raftAddr()),
		})
	}
	if err := s.raft.BootstrapCluster(conf).Error(); err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
		s.logger.Error("cannot bootstrap raft", "error", err)
		return
	}
	s.bootstrapped.Store(true)
	s.logger.Info("bootstrapped raft", "servers", len(conf.Servers))
}

// runReconcile is the leader's membership loop: it keeps the catalog's
// nodes and serfHealth checks, and the Raft voters, in line with gossip.
func (s *Server) runReconcile(stopCh <-chan struct{}) {
	s.reconcileAll()
	tick := time.NewTicker(reconcileInterval)
	defer tick.Stop()
	for {
		select {
		case <-stopCh:
			return
		case m := <-s.members.events:
			s.reconcile(m)
		case <-tick.C:
			s.reconcileAll()
		}
	}
}

func (s *Server) reconcileAll() {
	members := s.members.members()
	known := map[string]bool{}
	for _, m := range members {
		known[m.Name] = true
		s.reconcile(m)
	}
	s.reapUnknownNodes(known)
	s.removeDeadServers(members)
}

// reconcile brings one member's catalog entry and Raft membership in line.
func (s *Server) reconcile(m Member) {
	if m.Datacenter != s.cfg.Datacenter || m.Name == "" {
		return
	}
	var err error
	switch m.Status {
	case MemberAlive:
		s.members.mu.Lock()
		delete(s.members.failedAt, m.ID)
		s.members.mu.Unlock()
		err = s.registerMember(m, api.HealthPassing, "Agent alive and reachable")
		if err == nil && m.Server {
			err = s.addServer(m)
		}
	case MemberFailed:
		if m.Server {
			s.members.mu.Lock()
			if _, ok := s.members.failedAt[m.ID]; !ok {
				s.members.failedAt[m.ID] = time.Now()
			}
			s.members.mu.Unlock()
		}
		err = s.registerMember(m, api.HealthCritical, "Agent not live or unreachable")
	case MemberLeft, MemberReaped:
		if m.Name == s.cfg.NodeName {
			return
		}
		if m.Server {
			err = s.removeServer(m.ID, m.raftAddr())
		}
		if err == nil {
			err = s.deregisterNode(m.Name)
		}
	}
	if err != nil {
		s.logger.Warn("cannot reconcile member", "member", m.Name, "status", m.Status, "error", err)
	}
}

// registerMember writes the member's node and serfHealth check, unless
// the catalog already says so.
func (s *Server) registerMember(m Member, status, output string) error {
	st := s.fsm.State()
	_, node, err := st.Node(nil, m.Name)
	if err != nil {
		return err
	}
	_, checks, err := st.NodeChecks(nil, m.Name)
	if err != nil {
		return err
	}
	current := ""
	for _, c := range checks {
		if c.CheckID == api.SerfCheckID {
			current = c.Status
		}
	}
	if node != nil && node.Address == m.Addr && current == status {
		return nil
	}
	if node == nil && status != api.HealthPassing {
		return nil // never seen alive: nothing to mark
	}
	reg := &api.CatalogRegistration{
		ID: m.ID, Node: m.Name, Address: m.Addr, Datacenter: m.Datacenter,
		TaggedAddresses: map[string]string{"lan": m.Addr, "lan_ipv4": m.Addr, "wan": m.Addr, "wan_ipv4": m.Addr},
		NodeMeta:        map[string]string{"consul-network-segment": ""},
		Check: &api.HealthCheck{
			Node: m.Name, CheckID: api.SerfCheckID, Name: SerfCheckName, Status: status, Output: output,
		},
	}
	if node != nil {
		reg.TaggedAddresses, reg.NodeMeta = node.TaggedAddresses, node.Meta
	}
	if m.Server {
		reg.Service = &api.NodeService{ID: s.serviceName(), Service: s.serviceName(), Port: m.Port}
	}
	_, err = s.raftApply(fsm.EncodeRegister(reg, time.Now()))
	return err
}

func (s *Server) deregisterNode(name string) error {
	_, node, err := s.fsm.State().Node(nil, name)
	if err != nil || node == nil {
		return err
	}
	_, err = s.raftApply(fsm.EncodeDeregister(&api.CatalogDeregistration{Node: name}, time.Now()))
	return err
}

// reapUnknownNodes deregisters nodes that gossip once reported (they have
// a serfHealth check) but no longer lists at all.
func (s *Server) reapUnknownNodes(known map[string]bool) {
	if len(known) == 0 {
		return // gossip not wired (tests of a bare server)
	}
	_, checks, err := s.fsm.State().ChecksInState(nil, "any")
	if err != nil {
		return
	}
	for _, c := range checks {
		if c.CheckID == api.SerfCheckID && !known[c.Node] && c.Node != s.cfg.NodeName {
			if err := s.deregisterNode(c.Node); err != nil {
				s.logger.Warn("cannot deregister a reaped node", "node", c.Node, "error", err)
			}
		}
	}
}

// addServer adds a live server to the Raft configuration, or fixes its
// address. A new server joins as a non-voter, which autopilot promotes
// once it has been healthy for the stabilization time (at once when that
// is 0); a known one keeps its vote, or lack of one.
func (s *Server) addServer(m Member) error {
	if !s.bootstrapped.Load() && s.cfg.BootstrapExpect != 1 {
		// A leader exists, so a configuration does too.
		s.bootstrapped.Store(true)
	}
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return err
	}
	id, addr := raft.ServerID(m.ID), raft.ServerAddress(m.raftAddr())
	voter := s.autopilotConfig().ServerStabilizationTime.Duration() <= 0
	for _, srv := range f.Configuration().Servers {
		if srv.ID != id {
			continue
		}
		if srv.Address == addr {
			return nil
		}
		voter = srv.Suffrage == raft.Voter
	}
	if voter {
		s.logger.Info("adding server to raft", "server", m.Name, "address", addr)
		return s.raft.AddVoter(id, addr, 0, 0).Error()
	}
	s.logger.Info("adding server to raft as a non-voter until it is stable", "server", m.Name, "address", addr)
	return s.raft.AddNonvoter(id, addr, 0, 0).Error()
}

// removeServer takes a server out of the Raft configuration.
func (s *Server) removeServer(id, addr string) error {
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return err
	}
	for _, srv := range f.Configuration().Servers {
		if (id != "" && srv.ID == raft.ServerID(id)) || (addr != "" && string(srv.Address) == addr) {
			if srv.ID == raft.ServerID(s.cfg.NodeID) {
				return api.BadRequestError{Reason: "the leader cannot remove itself; transfer leadership first"}
			}
			s.logger.Info("removing server from raft", "id", srv.ID, "address", srv.Address)
			return s.raft.RemoveServer(srv.ID, 0, 0).Error()
		}
	}
	return nil
}

// removeDeadServers removes servers that have been failed longer than the
// grace, when the autopilot configuration asks for it, while the servers
// still alive stay a majority of the voters that remain and at least
// MinQuorum voters remain.
func (s *Server) removeDeadServers(members []Member) {
	grace := s.cfg.DeadServerGrace
	if grace == 0 {
		grace = DefaultDeadServerGrace
	}
	cfg := s.autopilotConfig()
	if grace < 0 || !cfg.CleanupDeadServers {
		return
	}
	f := s.raft.GetConfiguration()
	if f.Error() != nil {
		return
	}
	failed := map[string]bool{}
	s.members.mu.Lock()
	for _, m := range members {
		if at, ok := s.members.failedAt[m.ID]; ok && m.Status == MemberFailed && time.Since(at) >= grace {
			failed[m.ID] = true
		}
	}
	s.members.mu.Unlock()
	remove, held := deadToRemove(f.Configuration().Servers, failed, int(cfg.MinQuorum))
	if held != "" {
		s.logger.Warn("not removing a dead server: "+held, "min_quorum", cfg.MinQuorum)
	}
	for _, srv := range remove {
		s.logger.Info("removing dead server", "id", srv.ID, "address", srv.Address)
		if err := s.raft.RemoveServer(srv.ID, 0, 0).Error(); err != nil {
			s.logger.Warn("cannot remove dead server", "id", srv.ID, "error", err)
			return
		}
	}
}

// deadToRemove picks the failed servers cleanup may remove: every failed
// non-voter, and failed voters one by one while the live voters stay a
// majority of the voters that remain and at least minQuorum voters
// remain. held says why a failed voter stays, if one does.
func deadToRemove(servers []raft.Server, failed map[string]bool, minQuorum int) (remove []raft.Server, held string) {
	voters, alive := 0, 0
	for _, srv := range servers {
		switch {
		case srv.Suffrage != raft.Voter:
			if failed[string(srv.ID)] {
				remove = append(remove, srv)
			}
		case failed[string(srv.ID)]:
			voters++
		default:
			voters++
			alive++
		}
	}
	for _, srv := range servers {
		if srv.Suffrage != raft.Voter || !failed[string(srv.ID)] {
			continue
		}
		switch {
		case alive <= (voters-1)/2:
			return remove, "too few live servers would remain for a quorum"
		case voters-1 < minQuorum:
			return remove, "autopilot's min_quorum would not be met"
		}
		remove = append(remove, srv)
		voters--
	}
	return remove, ""
}

// RaftConfiguration answers /v1/operator/raft/configuration from this
// server's view.
func (s *Server) RaftConfiguration(ctx context.Context, q *api.QueryOptions) (*api.RaftConfiguration, api.QueryMeta, error) {
	var m api.QueryMeta
	mode, err := s.checkRead(ctx, q)
	if err != nil {
		return nil, m, err
	}
	s.fillMeta(&m, mode)
	out, err := s.raftConfiguration()
	if out != nil {
		m.LastIndex = max(out.Index, 1)
	}
	return out, m, err
}

func (s *Server) raftConfiguration() (*api.RaftConfiguration, error) {
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, fmt.Errorf("cannot read raft configuration: %w", err)
	}
	_, leaderID := s.raft.LeaderWithID()
	_, nodes, err := s.fsm.State().Nodes(nil)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, n := range nodes {
		names[n.ID] = n.Node
	}
	out := &api.RaftConfiguration{Index: f.Index()}
	for _, srv := range f.Configuration().Servers {
		out.Servers = append(out.Servers, &api.RaftServer{
			ID: string(srv.ID), Node: names[string(srv.ID)], Address: string(srv.Address),
			Leader: srv.ID == leaderID, Voter: srv.Suffrage == raft.Voter, ProtocolVersion: "3",
		})
	}
	return out, nil
}

// RaftRemovePeer removes a server by ID or address (leader only).
func (s *Server) RaftRemovePeer(_ context.Context, id, addr string) error {
	if id == "" && addr == "" {
		return api.BadRequestError{Reason: "Must specify either ?id with the server's ID or ?address with IP:port of peer to remove"}
	}
	if s.raft.State() != raft.Leader {
		return s.noLeaderError()
	}
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return err
	}
	for _, srv := range f.Configuration().Servers {
		if (id != "" && srv.ID == raft.ServerID(id)) || (addr != "" && string(srv.Address) == addr) {
			return s.removeServer(id, addr)
		}
	}
	return api.NotFoundError{Reason: fmt.Sprintf("id %q / address %q was not found in the Raft configuration", id, addr)}
}

// TransferLeadership hands leadership to another voter (before leaving).
func (s *Server) TransferLeadership() error {
	if s.raft.State() != raft.Leader {
		return nil
	}
	if peers, err := s.Peers(); err != nil || len(peers) < 2 {
		return err // alone: there is no one to hand over to
	}
	return s.handOver(s.raft.LeadershipTransfer)
}
