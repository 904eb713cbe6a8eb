package agent

import (
	"strconv"

	"github.com/concordhq/concord/internal/metrics"
)

// newMetrics builds the agent's registry with gauges read from the server
// and the local state at each scrape.
func (a *Agent) newMetrics() *metrics.Metrics {
	m := metrics.New()
	if a.server != nil {
		a.serverMetrics(m)
	}
	m.Gauge("concord_local_services", "Services registered on this agent.", func() float64 {
		return float64(len(a.local.Services()))
	})
	m.Gauge("concord_local_checks", "Checks registered on this agent.", func() float64 {
		return float64(len(a.local.Checks()))
	})
	return m
}

// serverMetrics adds a server's Raft and state gauges.
func (a *Agent) serverMetrics(m *metrics.Metrics) {
	raftStat := func(key string) func() float64 {
		return func() float64 {
			v, _ := strconv.ParseFloat(a.server.Stats()[key], 64)
			return v
		}
	}
	m.Gauge("concord_raft_last_log_index", "Index of the last entry in this server's Raft log.", raftStat("last_log_index"))
	m.Gauge("concord_raft_commit_index", "Highest Raft index known committed.", raftStat("commit_index"))
	m.Gauge("concord_raft_applied_index", "Highest Raft index applied to the state store.", raftStat("applied_index"))
	m.Gauge("concord_raft_leader", "1 while this server is the Raft leader.", func() float64 {
		if a.server.IsLeader() {
			return 1
		}
		return 0
	})
	m.Gauge("concord_state_index", "The state store's index (highest Raft index that changed it).", func() float64 {
		return float64(a.server.State().MaxIndex())
	})
}
