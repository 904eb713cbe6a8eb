package config

import (
	"fmt"
	"time"
)

// Autopilot is the autopilot block. Apart from DeadServerGrace, it is the
// autopilot configuration the first elected leader stores in the
// replicated state; from then on that copy rules, changed through
// /v1/operator/autopilot/configuration (`concord operator autopilot
// set-config`), not by this file.
type Autopilot struct {
	CleanupDeadServers      bool          // cleanup_dead_servers (true)
	LastContactThreshold    time.Duration // last_contact_threshold (200ms)
	MaxTrailingLogs         int           // max_trailing_logs (250)
	MinQuorum               int           // min_quorum (0: no floor)
	ServerStabilizationTime time.Duration // server_stabilization_time (10s)

	// DeadServerGrace is how long a server must have failed in gossip
	// before it is cleaned up (Concord's dead_server_grace, 30s).
	DeadServerGrace time.Duration
}

// defaultAutopilot is Consul's autopilot defaults with Concord's grace.
func defaultAutopilot() Autopilot {
	return Autopilot{
		CleanupDeadServers:      true,
		LastContactThreshold:    200 * time.Millisecond,
		MaxTrailingLogs:         250,
		ServerStabilizationTime: 10 * time.Second,
		DeadServerGrace:         30 * time.Second,
	}
}

// autopilotOptions are the keys of the autopilot block that Concord honours.
var autopilotOptions = []option{
	{key: "autopilot.cleanup_dead_servers", kind: kindBool,
		set: func(c *Config, v any) { c.Autopilot.CleanupDeadServers = v.(bool) }},
	{key: "autopilot.dead_server_grace", kind: kindDuration,
		set:   func(c *Config, v any) { c.Autopilot.DeadServerGrace = v.(time.Duration) },
		check: positiveDuration},
	{key: "autopilot.last_contact_threshold", kind: kindDuration,
		set:   func(c *Config, v any) { c.Autopilot.LastContactThreshold = v.(time.Duration) },
		check: positiveDuration},
	{key: "autopilot.max_trailing_logs", kind: kindInt,
		set:   func(c *Config, v any) { c.Autopilot.MaxTrailingLogs = v.(int) },
		check: intRange(0, 1<<30)},
	{key: "autopilot.min_quorum", kind: kindInt,
		set:   func(c *Config, v any) { c.Autopilot.MinQuorum = v.(int) },
		check: intRange(0, 1<<10)},
	{key: "autopilot.server_stabilization_time", kind: kindDuration,
		set: func(c *Config, v any) { c.Autopilot.ServerStabilizationTime = v.(time.Duration) },
		check: func(v any) error {
			if v.(time.Duration) < 0 {
				return fmt.Errorf("must not be negative")
			}
			return nil
		}},
}
