package agent

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
	"github.com/concordhq/concord/internal/config"
)

// sendCoordinates sends this node's serf coordinate to the servers until
// ctx ends, as Consul's agents do: after a wait of coordinateInterval plus
// up to as much again at random (so agents started together spread out),
// again and again. The leader stores the updates in batches.
func (a *Agent) sendCoordinates(ctx context.Context) {
	if a.cfg.Coordinates.Disable {
		return
	}
	for {
		wait := coordinateInterval(a.cfg.Coordinates, len(a.gossip.Members()))
		wait += rand.N(wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		coord, err := a.gossip.Coordinate()
		if err != nil {
			a.logger.Warn("cannot read this node's coordinate", "error", err)
			continue
		}
		entry := &api.CoordinateEntry{Node: a.cfg.NodeName, Coord: coord}
		if _, err := call.CoordinateUpdate.Invoke(ctx, a.calls, call.CoordinateUpdateArgs{Entry: entry}); err != nil && ctx.Err() == nil {
			a.logger.Warn("cannot send this node's coordinate to the servers", "error", err)
		}
	}
}

// coordinateInterval is how long one agent waits between updates in a
// cluster of nodes members: long enough that all agents together send
// about SyncRateTarget updates a second, and never less than
// SyncIntervalMin.
func coordinateInterval(c config.Coordinates, nodes int) time.Duration {
	scaled := time.Duration(float64(nodes) / float64(max(c.SyncRateTarget, 1)) * float64(time.Second))
	return max(c.SyncIntervalMin, scaled, time.Millisecond)
}
