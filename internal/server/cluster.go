package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
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

// maxMemberBatch bounds the catalog writes of one Raft entry: a storm of
// thousands of member changes becomes entries of a few hundred KiB.
const maxMemberBatch = 256

// runReconcile is the leader's membership loop: it keeps the catalog's
// nodes and serfHealth checks, and the Raft voters, in line with gossip.
// Events that queue while one batch is written go together in the next,
// so a lone event is written at once and a storm of them in few entries.
func (s *Server) runReconcile(stopCh <-chan struct{}) {
	s.reconcileAll()
	tick := time.NewTicker(reconcileInterval)
	defer tick.Stop()
	for {
		select {
		case <-stopCh:
			return
		case m := <-s.members.events:
			s.reconcileMembers(s.queuedEvents(m))
		case <-tick.C:
			s.reconcileAll()
		}
	}
}

// queuedEvents returns first and the member events queued behind it, at
// most maxMemberBatch in all.
func (s *Server) queuedEvents(first Member) []Member {
	batch := []Member{first}
	for len(batch) < maxMemberBatch {
		select {
		case m := <-s.members.events:
			batch = append(batch, m)
		default:
			return batch
		}
	}
	return batch
}

func (s *Server) reconcileAll() {
	members := s.members.members()
	known := map[string]bool{}
	for _, m := range members {
		known[m.Name] = true
	}
	s.reconcileMembers(members)
	s.reapUnknownNodes(known)
	s.removeDeadServers(members)
}

// reconcileMembers brings members' catalog entries and Raft membership in
// line, with one Raft entry for up to maxMemberBatch catalog writes. A
// member listed more than once counts by its last event, which is its
// latest state (as serf's coalescing of member events keeps the latest).
func (s *Server) reconcileMembers(members []Member) {
	var (
		ops     []fsm.CatalogOp
		writers []Member // writers[i] is the member ops[i] is for
		servers []Member // live servers to add to Raft once in the catalog
	)
	for _, m := range latestPerMember(members) {
		if m.Datacenter != s.cfg.Datacenter || m.Name == "" {
			continue
		}
		op, err := s.memberWrite(m)
		if err != nil {
			s.logger.Warn("cannot reconcile member", "member", m.Name, "status", m.Status, "error", err)
			continue
		}
		if op != nil {
			ops, writers = append(ops, *op), append(writers, m)
		}
		if m.Status == MemberAlive && m.Server {
			servers = append(servers, m)
		}
	}
	failed := map[string]bool{}
	for i, err := range s.applyCatalogBatch(ops) {
		if err != nil {
			m := writers[i]
			failed[m.Name] = true
			if !errors.Is(err, errBatchNotWritten) {
				s.logger.Warn("cannot reconcile member", "member", m.Name, "status", m.Status, "error", err)
			}
		}
	}
	for _, m := range servers {
		if failed[m.Name] {
			continue
		}
		if err := s.addServer(m); err != nil {
			s.logger.Warn("cannot reconcile member", "member", m.Name, "status", m.Status, "error", err)
		}
	}
}

// latestPerMember keeps the last of each member's entries, in the order
// of those last entries.
func latestPerMember(members []Member) []Member {
	seen := make(map[string]bool, len(members))
	out := make([]Member, 0, len(members))
	for i := len(members) - 1; i >= 0; i-- {
		if m := members[i]; !seen[m.Name] {
			seen[m.Name] = true
			out = append(out, m)
		}
	}
	slices.Reverse(out)
	return out
}

// memberWrite returns the catalog write that brings one member in line,
// or nil if the catalog already is. A server that left is taken out of
// the Raft configuration first, and stays in the catalog if that fails.
func (s *Server) memberWrite(m Member) (*fsm.CatalogOp, error) {
	switch m.Status {
	case MemberAlive:
		s.members.mu.Lock()
		delete(s.members.failedAt, m.ID)
		s.members.mu.Unlock()
		return s.memberRegistration(m, api.HealthPassing, "Agent alive and reachable")
	case MemberFailed:
		if m.Server {
			s.members.mu.Lock()
			if _, ok := s.members.failedAt[m.ID]; !ok {
				s.members.failedAt[m.ID] = time.Now()
			}
			s.members.mu.Unlock()
		}
		return s.memberRegistration(m, api.HealthCritical, "Agent not live or unreachable")
	case MemberLeft, MemberReaped:
		if m.Name == s.cfg.NodeName {
			return nil, nil
		}
		if m.Server {
			if err := s.removeServer(m.ID, m.raftAddr()); err != nil {
				return nil, err
			}
		}
		return s.nodeDeregistration(m.Name)
	}
	return nil, nil
}

// memberRegistration returns the write of the member's node and
// serfHealth check, unless the catalog already says so.
func (s *Server) memberRegistration(m Member, status, output string) (*fsm.CatalogOp, error) {
	st := s.fsm.State()
	_, node, err := st.Node(nil, m.Name)
	if err != nil {
		return nil, err
	}
	_, checks, err := st.NodeChecks(nil, m.Name)
	if err != nil {
		return nil, err
	}
	current := ""
	for _, c := range checks {
		if c.CheckID == api.SerfCheckID {
			current = c.Status
		}
	}
	if node != nil && node.Address == m.Addr && current == status {
		return nil, nil
	}
	if node == nil && status != api.HealthPassing {
		return nil, nil // never seen alive: nothing to mark
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
	return &fsm.CatalogOp{Register: reg}, nil
}

// nodeDeregistration returns the write that removes a node, or nil if the
// catalog has no such node.
func (s *Server) nodeDeregistration(name string) (*fsm.CatalogOp, error) {
	_, node, err := s.fsm.State().Node(nil, name)
	if err != nil || node == nil {
		return nil, err
	}
	return &fsm.CatalogOp{Deregister: &api.CatalogDeregistration{Node: name}}, nil
}

// applyCatalogBatch writes ops, maxMemberBatch to a Raft entry, and
// returns each write's error. An entry that fails as a whole (leadership
// lost) is logged once, not once per member, and fails each of its writes.
func (s *Server) applyCatalogBatch(ops []fsm.CatalogOp) []error {
	errs := make([]error, len(ops))
	for start := 0; start < len(ops); start += maxMemberBatch {
		chunk := ops[start:min(start+maxMemberBatch, len(ops))]
		res, err := s.raftApply(fsm.EncodeCatalogBatch(chunk, time.Now()))
		if err != nil {
			s.logger.Warn("cannot write membership changes to the catalog", "writes", len(chunk), "error", err)
			for i := range chunk {
				errs[start+i] = errBatchNotWritten
			}
			continue
		}
		results, _ := res.([]error)
		copy(errs[start:], results)
	}
	return errs
}

// errBatchNotWritten marks the writes of a batch whose Raft entry failed
// (and was logged as a whole).
var errBatchNotWritten = errors.New("server: membership batch not written")

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
	var ops []fsm.CatalogOp
	for _, c := range checks {
		if c.CheckID == api.SerfCheckID && !known[c.Node] && c.Node != s.cfg.NodeName {
			ops = append(ops, fsm.CatalogOp{Deregister: &api.CatalogDeregistration{Node: c.Node}})
		}
	}
	for i, err := range s.applyCatalogBatch(ops) {
		if err != nil && !errors.Is(err, errBatchNotWritten) {
			s.logger.Warn("cannot deregister a reaped node", "node", ops[i].Deregister.Node, "error", err)
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
