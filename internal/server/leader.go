package server

import (
	"time"

	"github.com/concordhq/concord/internal/fsm"
)

// DefaultTombstoneTTL is how long a deleted key's tombstone is kept: long
// enough for any blocking query on its prefix to have seen the delete.
const DefaultTombstoneTTL = 15 * time.Minute

// runLeaderTasks runs the leader's periodic work until stopCh closes (on
// losing leadership or at shutdown).
func (s *Server) runLeaderTasks(stopCh <-chan struct{}) {
	ttl := s.cfg.TombstoneTTL
	if ttl <= 0 {
		ttl = DefaultTombstoneTTL
	}
	tick := time.NewTicker(max(ttl/8, 10*time.Millisecond))
	defer tick.Stop()

	// marks remembers the store's index at each tick; once a mark is older
	// than the TTL, every tombstone at or below its index may go.
	type mark struct {
		at  time.Time
		idx uint64
	}
	var marks []mark
	for {
		select {
		case <-stopCh:
			return
		case <-tick.C:
			// The index is read before the clock, so every tombstone at or
			// below it was made no later than at (a tick's own time can be
			// older, when it waited in the channel).
			idx := s.fsm.State().MaxIndex()
			now := time.Now()
			marks = append(marks, mark{at: now, idx: idx})
			var upTo uint64
			for len(marks) > 0 && now.Sub(marks[0].at) >= ttl {
				upTo = marks[0].idx
				marks = marks[1:]
			}
			oldest, ok := s.fsm.State().OldestTombstone()
			if !ok || upTo == 0 || oldest > upTo {
				continue
			}
			if _, err := s.raftApply(fsm.EncodeTombstoneReap(upTo, time.Now())); err != nil {
				s.logger.Warn("cannot reap tombstones", "up_to", upTo, "error", err)
			}
		}
	}
}
