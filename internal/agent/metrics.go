package agent

import (
	"strconv"

	"github.com/concordhq/concord/internal/metrics"
)

// newMetrics builds the agent's registry, with the telemetry settings and
// gauges read from the server and the local state at each scrape.
func (a *Agent) newMetrics() *metrics.Metrics {
	t := a.cfg.Telemetry
	m := metrics.New(metrics.Options{Prefix: t.MetricsPrefix, DisableHostname: t.DisableHostname,
		Retention: t.PrometheusRetentionTime, BlockUnlisted: !t.FilterDefault, PrefixFilter: t.PrefixFilter})
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

// serverMetrics adds a server's Raft and state gauges: Consul's names
// where Consul has the figure, Concord's otherwise.
func (a *Agent) serverMetrics(m *metrics.Metrics) {
	raftStat := func(key string) func() float64 {
		return func() float64 {
			v, _ := strconv.ParseFloat(a.server.Stats()[key], 64)
			return v
		}
	}
	m.ConsulGauge("raft.last_index", raftStat("last_log_index"))
	m.ConsulGauge("raft.applied_index", raftStat("applied_index"))
	m.Gauge("concord_raft_commit_index", "Highest Raft index known committed.", raftStat("commit_index"))
	m.ConsulGauge("server.isLeader", func() float64 {
		if a.server.IsLeader() {
			return 1
		}
		return 0
	})
	m.Gauge("concord_state_index", "The state store's index (highest Raft index that changed it).", func() float64 {
		return float64(a.server.State().MaxIndex())
	})
}
