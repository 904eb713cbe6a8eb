package server

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/armon/go-metrics"
	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
	"github.com/concordhq/concord/internal/fsm"
	"github.com/concordhq/concord/internal/state"
	"github.com/hashicorp/go-memdb"
	"github.com/hashicorp/raft"
)

// autopilotInterval is how often the leader gathers every server's Raft
// stats, judges their health and promotes servers that became stable.
const autopilotInterval = time.Second

// statsTimeout bounds the leader's wait for one server's stats; a server
// that does not answer in time counts as unhealthy this round.
const statsTimeout = 500 * time.Millisecond

// autopilot is the leader's view of the servers' health, refreshed each
// round by runAutopilot.
type autopilot struct {
	mu     sync.Mutex
	state  *api.AutopilotState      // the last round's; nil before the first; guarded by mu
	health *api.OperatorHealthReply // the same, as /v1/operator/autopilot/health; guarded by mu
	since  map[string]stableMark    // server ID → its health and since when; guarded by mu
}

// stableMark is a server's health and when it last changed.
type stableMark struct {
	healthy bool
	since   time.Time
}

// autopilotConfig returns the replicated autopilot configuration, or the
// one this server would seed when none is stored yet.
func (s *Server) autopilotConfig() api.AutopilotConfiguration {
	if _, cfg, err := s.fsm.State().AutopilotConfig(nil); err == nil && cfg != nil {
		return *cfg
	}
	return s.seedConfig()
}

// seedConfig is the configuration a leader stores when it finds none: the
// agent's autopilot block, or Consul's defaults.
func (s *Server) seedConfig() api.AutopilotConfiguration {
	if s.cfg.Autopilot != nil {
		return *s.cfg.Autopilot
	}
	return api.DefaultAutopilotConfiguration()
}

// runAutopilot is the leader's autopilot loop, until stopCh closes: it
// seeds the replicated configuration, then each round refreshes the
// servers' health and promotes stable non-voters.
func (s *Server) runAutopilot(stopCh <-chan struct{}) {
	seed := s.seedConfig()
	if _, err := s.raftApply(fsm.EncodeOperator(&fsm.OperatorOp{
		Op: fsm.OperatorAutopilotSet, Autopilot: &seed, CAS: true}, time.Now())); err != nil {
		s.logger.Warn("cannot store the initial autopilot configuration", "error", err)
	}
	s.autopilot.mu.Lock()
	s.autopilot.since = map[string]stableMark{}
	s.autopilot.mu.Unlock()
	tick := time.NewTicker(autopilotInterval)
	defer tick.Stop()
	for {
		s.autopilotRound(stopCh)
		select {
		case <-stopCh:
			s.autopilot.mu.Lock()
			s.autopilot.state, s.autopilot.health = nil, nil
			s.autopilot.mu.Unlock()
			return
		case <-tick.C:
		}
	}
}

// autopilotRound judges every server and promotes those that have been
// healthy for the stabilization time.
func (s *Server) autopilotRound(stopCh <-chan struct{}) {
	cfg := s.autopilotConfig()
	st, health, err := s.judgeServers(cfg)
	if err != nil {
		s.logger.Warn("autopilot cannot judge the servers", "error", err)
		return
	}
	s.autopilot.mu.Lock()
	s.autopilot.state, s.autopilot.health = st, health
	s.autopilot.mu.Unlock()
	// Consul's gauges, set by the leader only.
	healthy := float32(0)
	if health.Healthy {
		healthy = 1
	}
	metrics.SetGauge([]string{"autopilot", "healthy"}, healthy)
	metrics.SetGauge([]string{"autopilot", "failure_tolerance"}, float32(health.FailureTolerance))
	stabilization := cfg.ServerStabilizationTime.Duration()
	for _, h := range health.Servers {
		if h.Voter || !h.Healthy || time.Since(h.StableSince) < stabilization {
			continue
		}
		select {
		case <-stopCh:
			return
		default:
		}
		s.logger.Info("promoting a stable server to voter", "server", h.Name, "id", h.ID)
		if err := s.raft.AddVoter(raft.ServerID(h.ID), raft.ServerAddress(h.Address), 0, 0).Error(); err != nil {
			s.logger.Warn("cannot promote server", "id", h.ID, "error", err)
		}
	}
}

// judgeServers gathers every server's stats and judges its health by cfg.
func (s *Server) judgeServers(cfg api.AutopilotConfiguration) (*api.AutopilotState, *api.OperatorHealthReply, error) {
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, nil, fmt.Errorf("cannot read raft configuration: %w", err)
	}
	servers := f.Configuration().Servers
	byID := map[string]Member{}
	for _, m := range s.members.members() {
		if m.Server {
			byID[m.ID] = m
		}
	}
	stats := s.gatherStats(servers)
	me := raft.ServerID(s.cfg.NodeID)
	leaderStats := s.localStats()
	now := time.Now()

	health := &api.OperatorHealthReply{Servers: make([]api.ServerHealth, 0, len(servers))}
	st := &api.AutopilotState{Servers: map[string]api.AutopilotServer{}, Leader: string(me), Voters: []string{}}
	voters, healthyVoters := 0, 0
	s.autopilot.mu.Lock()
	for i, srv := range servers {
		m, known := byID[string(srv.ID)]
		status := "none"
		if known {
			status = m.Status
		} else if srv.ID == me {
			status, m.Name = MemberAlive, s.cfg.NodeName
		}
		h := api.ServerHealth{
			ID: string(srv.ID), Name: m.Name, Address: string(srv.Address), SerfStatus: status,
			Version: m.Version, Leader: srv.ID == me, Voter: srv.Suffrage == raft.Voter,
		}
		if stats[i] != nil {
			h.LastContact = api.NewReadableDuration(max(stats[i].LastContact, 0))
			h.LastTerm, h.LastIndex = stats[i].LastTerm, stats[i].LastIndex
		}
		h.Healthy = healthy(cfg, status, stats[i], leaderStats, h.Leader)
		mark, ok := s.autopilot.since[h.ID]
		if !ok || mark.healthy != h.Healthy {
			mark = stableMark{healthy: h.Healthy, since: now}
			s.autopilot.since[h.ID] = mark
		}
		h.StableSince = mark.since
		health.Servers = append(health.Servers, h)

		if h.Voter {
			voters++
			st.Voters = append(st.Voters, h.ID)
			if h.Healthy {
				healthyVoters++
			}
		}
		st.Servers[h.ID] = autopilotServer(h, m)
	}
	s.autopilot.mu.Unlock()

	quorum := voters/2 + 1
	health.FailureTolerance = max(healthyVoters-quorum, 0)
	health.Healthy = !slices.ContainsFunc(health.Servers, func(h api.ServerHealth) bool { return !h.Healthy })
	st.Healthy, st.FailureTolerance = health.Healthy, health.FailureTolerance
	st.OptimisticFailureTolerance = max(voters-quorum, 0)
	return st, health, nil
}

// autopilotServer is h as /v1/operator/autopilot/state shows it.
func autopilotServer(h api.ServerHealth, m Member) api.AutopilotServer {
	status := "non-voter"
	switch {
	case h.Leader:
		status = "leader"
	case h.Voter:
		status = "voter"
	}
	return api.AutopilotServer{
		ID: h.ID, Name: h.Name, Address: h.Address, NodeStatus: h.SerfStatus, Version: h.Version,
		LastContact: h.LastContact, LastTerm: h.LastTerm, LastIndex: h.LastIndex, Healthy: h.Healthy,
		StableSince: h.StableSince, Status: status, Meta: map[string]string{}, NodeType: "voter",
	}
}

// healthy judges one server as Consul's autopilot does: alive in gossip,
// heard from the leader within LastContactThreshold, on the leader's term
// and at most MaxTrailingLogs entries behind it.
func healthy(cfg api.AutopilotConfiguration, serfStatus string, st *call.ServerStats, leader call.ServerStats, isLeader bool) bool {
	switch {
	case serfStatus != MemberAlive || st == nil:
		return false
	case isLeader:
		return true
	case st.LastContact < 0 || st.LastContact > cfg.LastContactThreshold.Duration():
		return false
	case st.LastTerm != leader.LastTerm:
		return false
	}
	return st.LastIndex+cfg.MaxTrailingLogs >= leader.LastIndex
}

// gatherStats asks every server for its Raft stats at once: this one
// directly, the others over RPC. A server that does not answer gets nil.
func (s *Server) gatherStats(servers []raft.Server) []*call.ServerStats {
	out := make([]*call.ServerStats, len(servers))
	var wg sync.WaitGroup
	for i, srv := range servers {
		if srv.ID == raft.ServerID(s.cfg.NodeID) {
			st := s.localStats()
			out[i] = &st
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), statsTimeout)
			defer cancel()
			var st call.ServerStats
			if err := s.pool.Call(ctx, string(srv.Address), call.RaftServerStats.Name, &call.ServerStatsArgs{}, &st); err != nil {
				s.logger.Debug("cannot get a server's raft stats", "id", srv.ID, "error", err)
				return
			}
			out[i] = &st
		}()
	}
	wg.Wait()
	return out
}

// localStats is this server's Raft progress.
func (s *Server) localStats() call.ServerStats {
	stats := s.raft.Stats()
	var out call.ServerStats
	out.LastTerm, _ = strconv.ParseUint(stats["last_log_term"], 10, 64)
	out.LastIndex, _ = strconv.ParseUint(stats["last_log_index"], 10, 64)
	if s.raft.State() != raft.Leader {
		out.LastContact = -1
		if last := s.raft.LastContact(); !last.IsZero() {
			out.LastContact = time.Since(last)
		}
	}
	return out
}

// errNoAutopilotState is returned for health and state asked of a server
// that does not lead (with ?stale), or before the leader's first round.
var errNoAutopilotState = fmt.Errorf("Failed to get autopilot state: no state found")

// autopilotView returns the last round's state and health; the leader
// runs a round first when it has none yet.
func (s *Server) autopilotView(ctx context.Context, q *api.QueryOptions) (*api.AutopilotState, *api.OperatorHealthReply, api.QueryMeta, error) {
	var m api.QueryMeta
	mode, err := s.checkRead(ctx, q)
	if err != nil {
		return nil, nil, m, err
	}
	s.fillMeta(&m, mode)
	if s.raft.State() != raft.Leader {
		return nil, nil, m, errNoAutopilotState
	}
	s.autopilot.mu.Lock()
	st, health := s.autopilot.state, s.autopilot.health
	s.autopilot.mu.Unlock()
	if st == nil {
		return nil, nil, m, errNoAutopilotState
	}
	m.LastIndex = max(s.fsm.State().MaxIndex(), 1)
	return st, health, m, nil
}

// AutopilotGetConfiguration reads the replicated configuration.
func (s *Server) AutopilotGetConfiguration(ctx context.Context, q *api.QueryOptions) (*api.AutopilotConfiguration, api.QueryMeta, error) {
	cfg, m, err := query(ctx, s, q, func(ws memdb.WatchSet, st *state.Store) (uint64, *api.AutopilotConfiguration, error) {
		return st.AutopilotConfig(ws)
	})
	if err == nil && cfg == nil {
		err = fmt.Errorf("autopilot config not initialized yet")
	}
	return cfg, m, err
}

// AutopilotSetConfiguration stores cfg through Raft; with cas, only if
// the stored ModifyIndex is cfg.ModifyIndex. It reports whether it did.
func (s *Server) AutopilotSetConfiguration(_ context.Context, cfg *api.AutopilotConfiguration, cas bool) (bool, error) {
	if cfg == nil {
		return false, api.BadRequestError{Reason: "missing autopilot configuration"}
	}
	return s.raftApplyBool(fsm.EncodeOperator(&fsm.OperatorOp{Op: fsm.OperatorAutopilotSet, Autopilot: cfg, CAS: cas}, time.Now()), "autopilot")
}
