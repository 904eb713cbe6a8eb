package config

import (
	"errors"
	"time"
)

// Coordinates are the network coordinate settings: whether the agent sends
// its serf coordinate to the servers, and how often.
type Coordinates struct {
	// Disable stops sending coordinates and answers the coordinate
	// endpoints with Consul's 401 (disable_coordinates).
	Disable bool
	// SyncIntervalMin is the shortest time between two updates of one agent
	// (sync_coordinate_interval_min, 15s as in Consul).
	SyncIntervalMin time.Duration
	// SyncRateTarget is the cluster-wide number of updates a second the
	// agents aim at: in a cluster of n nodes, each sends every
	// max(SyncIntervalMin, n/SyncRateTarget seconds), plus jitter
	// (sync_coordinate_rate_target, 64 as in Consul; a whole number here).
	SyncRateTarget int
}

func defaultCoordinates() Coordinates {
	return Coordinates{SyncIntervalMin: 15 * time.Second, SyncRateTarget: 64}
}

// coordinateOptions are the coordinate keys Concord honours.
var coordinateOptions = []option{
	{key: "disable_coordinates", kind: kindBool,
		set: func(c *Config, v any) { c.Coordinates.Disable = v.(bool) }},
	{key: "sync_coordinate_interval_min", kind: kindDuration,
		set:   func(c *Config, v any) { c.Coordinates.SyncIntervalMin = v.(time.Duration) },
		check: positiveDuration},
	{key: "sync_coordinate_rate_target", kind: kindInt,
		set: func(c *Config, v any) { c.Coordinates.SyncRateTarget = v.(int) },
		check: func(v any) error {
			if v.(int) <= 0 {
				return errors.New("must be positive")
			}
			return nil
		}},
}
