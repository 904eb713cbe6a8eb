package agent

import (
	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/config"
)

// autopilotSeed is the autopilot configuration a server stores when it is
// the first leader, from the agent's autopilot block.
func autopilotSeed(c config.Autopilot) *api.AutopilotConfiguration {
	return &api.AutopilotConfiguration{
		CleanupDeadServers:      c.CleanupDeadServers,
		LastContactThreshold:    api.NewReadableDuration(c.LastContactThreshold),
		MaxTrailingLogs:         uint64(c.MaxTrailingLogs),
		MinQuorum:               uint(c.MinQuorum),
		ServerStabilizationTime: api.NewReadableDuration(c.ServerStabilizationTime),
	}
}
