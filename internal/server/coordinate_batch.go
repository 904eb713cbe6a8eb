package server

import (
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/fsm"
)

// Every agent sends its coordinate every few seconds. One Raft entry per
// update would make coordinates most of the log, so the leader keeps the
// latest update of each node and applies them together: one entry per
// coordinateBatchPeriod with at most coordinateBatchMax updates, about 500
// updates a second at most (Consul applies up to 5 × 128 every 5 s). What
// does not fit waits for the next batch; a backlog past
// coordinatePendingMax nodes refuses new nodes' updates until it drains.
const (
	coordinateBatchPeriod = time.Second
	coordinateBatchMax    = 512
	coordinatePendingMax  = 4 * coordinateBatchMax
)

// errCoordinateBacklog refuses an update while the leader's queue is full.
var errCoordinateBacklog = errors.New("coordinate update rate limit exceeded: too many pending updates")

// coordinateBatch is the leader's queue of coordinate updates.
type coordinateBatch struct {
	mu      sync.Mutex
	pending map[string]*api.CoordinateEntry // node (lower case) and segment → latest update; guarded by mu
}

// add queues e, replacing an update of the same node and segment.
func (b *coordinateBatch) add(e *api.CoordinateEntry) error {
	key := strings.ToLower(e.Node) + "\x00" + e.Segment
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pending == nil {
		b.pending = map[string]*api.CoordinateEntry{}
	}
	if _, ok := b.pending[key]; !ok && len(b.pending) >= coordinatePendingMax {
		return errCoordinateBacklog
	}
	b.pending[key] = e
	return nil
}

// take removes and returns up to n queued updates.
func (b *coordinateBatch) take(n int) []*api.CoordinateEntry {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []*api.CoordinateEntry
	for key, e := range b.pending {
		if len(out) == n {
			break
		}
		out = append(out, e)
		delete(b.pending, key)
	}
	return out
}

// clear drops every queued update.
func (b *coordinateBatch) clear() {
	b.mu.Lock()
	b.pending = nil
	b.mu.Unlock()
}

// runCoordinateBatches applies the queued updates, one batch a period,
// while this server leads (until stopCh closes). Updates queued in an
// earlier term are dropped: newer ones may have been applied since.
func (s *Server) runCoordinateBatches(stopCh <-chan struct{}) {
	s.coords.clear()
	tick := time.NewTicker(coordinateBatchPeriod)
	defer tick.Stop()
	for {
		select {
		case <-stopCh:
			return
		case <-tick.C:
			batch := s.coords.take(coordinateBatchMax)
			if len(batch) == 0 {
				continue
			}
			if _, err := s.raftApply(fsm.EncodeCoordinates(batch, time.Now())); err != nil {
				s.logger.Warn("cannot apply coordinate updates", "updates", len(batch), "error", err)
			}
		}
	}
}
