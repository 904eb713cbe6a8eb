package server

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/armon/go-metrics"
	"github.com/hashicorp/raft"
	raftwal "github.com/hashicorp/raft-wal"
	"github.com/hashicorp/raft-wal/metadb"
)

// healingLog is the Raft log and stable store over raft-wal, reopened by
// itself after a write fails for want of a resource (descriptors, disk).
//
// raft-wal does not recover from such a failure: once it could not create
// its next segment it answers every later append with "segment is
// sealed", and a leader then steps down and re-elects itself forever
// without taking a write. Reopening the WAL from disk recovers: the open
// recreates the missing tail segment and reads back what was written.
//
// The contract with hashicorp/raft decides what each method may do while
// the store is broken:
//   - a failed log write (StoreLogs, DeleteRange) is an error raft
//     survives: a leader steps down, a follower refuses the append and the
//     leader retries. So log writes fail fast until a probe says the
//     resources are back, then reopen and go on.
//   - a failed stable-store write (the current term and vote) makes raft
//     panic, so Set and SetUint64 retry with backoff until they succeed:
//     that Raft goroutine waits, and the server answers ?stale reads
//     meanwhile.
//   - reads never see a closed WAL: a reopen holds mu for writing, so
//     readers wait for it rather than fail (raft panics when it cannot
//     read a committed entry).
type healingLog struct {
	open   func() (*raftwal.WAL, *metadb.BoltMetaDB, error)
	probe  func() error // nil when the resources a reopen needs are there
	logger *slog.Logger

	broken atomic.Bool // fast path: no failure to heal

	mu      sync.RWMutex // write-held while reopening
	wal     *raftwal.WAL // guarded by mu
	meta    *metadb.BoltMetaDB
	failure error     // the failure being healed, nil when healthy; guarded by mu
	since   time.Time // when failure happened; guarded by mu
	nextTry time.Time // no reopen before this; guarded by mu
	backoff time.Duration
	closed  bool // guarded by mu

	failures atomic.Uint64 // failed writes since start
	heals    atomic.Uint64 // successful reopens since start
}

var (
	_ raft.LogStore    = (*healingLog)(nil)
	_ raft.StableStore = (*healingLog)(nil)
)

// Backoff bounds between reopen attempts.
const (
	healMinBackoff = 50 * time.Millisecond
	healMaxBackoff = 2 * time.Second
)

// newHealingLog opens the WAL through open and keeps it healthy. probe
// tells whether a reopen can succeed; it runs before the old WAL closes.
func newHealingLog(open func() (*raftwal.WAL, *metadb.BoltMetaDB, error), probe func() error, logger *slog.Logger) (*healingLog, error) {
	wal, meta, err := open()
	if err != nil {
		return nil, err
	}
	metrics.SetGauge([]string{"raft", "logstore", "healthy"}, 1)
	return &healingLog{open: open, probe: probe, logger: logger, wal: wal, meta: meta, backoff: healMinBackoff}, nil
}

// LogStoreHealth says whether the Raft log store is healthy and, if not,
// what failed and since when.
type LogStoreHealth struct {
	Healthy  bool
	Error    string    `json:",omitempty"`
	Since    time.Time `json:",omitempty"`
	Failures uint64    // failed writes since start
	Heals    uint64    // reopens that healed a failure
}

// Health reports the store's state for /v1/agent/self.
func (h *healingLog) Health() LogStoreHealth {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := LogStoreHealth{Healthy: h.failure == nil, Failures: h.failures.Load(), Heals: h.heals.Load()}
	if h.failure != nil {
		out.Error, out.Since = h.failure.Error(), h.since
	}
	return out
}

// read runs op on the current WAL.
func (h *healingLog) read(op func(*raftwal.WAL) error) error {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return op(h.wal)
}

// write heals the store if it is broken, then runs op; a failure of op
// breaks it.
func (h *healingLog) write(op func(*raftwal.WAL) error) error {
	if h.broken.Load() {
		if err := h.heal(); err != nil {
			return err
		}
	}
	h.mu.RLock()
	err := op(h.wal)
	closed := h.closed
	h.mu.RUnlock()
	if err != nil && !closed {
		h.fail(err)
	}
	return err
}

// fail records a write failure; the next write tries to heal it.
func (h *healingLog) fail(err error) {
	h.failures.Add(1)
	metrics.IncrCounter([]string{"raft", "logstore", "failures"}, 1)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failure == nil {
		h.failure, h.since = err, time.Now()
		h.nextTry = time.Time{} // the first heal may come at once
		h.backoff = healMinBackoff
		h.broken.Store(true)
		metrics.SetGauge([]string{"raft", "logstore", "healthy"}, 0)
		h.logger.Error("raft log store failed; writes resume once it can be reopened", "error", err)
	}
}

// errStoreBroken wraps the failure a write is refused for.
var errStoreBroken = errors.New("raft log store is recovering from a failure")

// heal reopens a broken WAL once the probe passes, at most once per
// backoff. It returns nil when the store is healthy again.
func (h *healingLog) heal() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failure == nil {
		return nil
	}
	if h.closed {
		return raftwal.ErrClosed
	}
	if time.Now().Before(h.nextTry) {
		return fmt.Errorf("%w: %v", errStoreBroken, h.failure)
	}
	if err := h.probe(); err != nil {
		h.later()
		return fmt.Errorf("%w: %v (still: %v)", errStoreBroken, h.failure, err)
	}
	// Readers wait on mu while the WAL is closed: they must never find it
	// gone. So once closed, it is reopened here, however long that takes.
	if err := h.wal.Close(); err != nil {
		h.logger.Warn("closing the failed raft WAL", "error", err)
	}
	if err := h.meta.Close(); err != nil {
		h.logger.Warn("closing the raft WAL's metadata", "error", err)
	}
	for {
		wal, meta, err := h.open()
		if err == nil {
			h.wal, h.meta = wal, meta
			break
		}
		h.logger.Error("reopening the raft log store", "error", err)
		time.Sleep(h.backoff)
		h.backoff = min(2*h.backoff, healMaxBackoff)
	}
	h.logger.Info("raft log store reopened; writes resume", "failed_for", time.Since(h.since).Round(time.Millisecond),
		"error_was", h.failure)
	h.failure = nil
	h.backoff = healMinBackoff
	h.broken.Store(false)
	h.heals.Add(1)
	metrics.SetGauge([]string{"raft", "logstore", "healthy"}, 1)
	return nil
}

// later schedules the next reopen attempt after a growing backoff.
func (h *healingLog) later() {
	h.nextTry = time.Now().Add(h.backoff)
	h.backoff = min(2*h.backoff, healMaxBackoff)
}

// stable runs a stable-store write until it succeeds or the store closes:
// raft panics when it cannot persist its term or vote.
func (h *healingLog) stable(op func(*raftwal.WAL) error) error {
	wait := healMinBackoff
	for {
		err := h.write(op)
		if err == nil || errors.Is(err, raftwal.ErrClosed) {
			return err
		}
		time.Sleep(wait)
		wait = min(2*wait, healMaxBackoff)
	}
}

// Close closes the WAL and its metadata; blocked writers give up.
func (h *healingLog) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	return errors.Join(h.wal.Close(), h.meta.Close())
}

// IsMonotonic tells Raft, as the WAL underneath does, that the log takes
// no gaps: after installing a snapshot past the log's end (a follower
// catching up, a user restore), Raft must drop the old entries before it
// appends, or the next append fails as non-monotonic.
func (h *healingLog) IsMonotonic() bool { return true }

var _ raft.MonotonicLogStore = (*healingLog)(nil)

func (h *healingLog) FirstIndex() (idx uint64, err error) {
	err = h.read(func(w *raftwal.WAL) (e error) { idx, e = w.FirstIndex(); return })
	return
}

func (h *healingLog) LastIndex() (idx uint64, err error) {
	err = h.read(func(w *raftwal.WAL) (e error) { idx, e = w.LastIndex(); return })
	return
}

func (h *healingLog) GetLog(index uint64, log *raft.Log) error {
	return h.read(func(w *raftwal.WAL) error { return w.GetLog(index, log) })
}

func (h *healingLog) StoreLog(log *raft.Log) error { return h.StoreLogs([]*raft.Log{log}) }

// StoreLogs appends logs. Entries on disk at or past the first of them are
// dropped first: raft hands over an index it already holds only after a
// failed append left part of a batch on disk, which raft never counted
// (a leader stepped down, a follower refused the append).
func (h *healingLog) StoreLogs(logs []*raft.Log) error {
	return h.write(func(w *raftwal.WAL) error {
		if len(logs) == 0 {
			return nil
		}
		last, err := w.LastIndex()
		if err != nil {
			return err
		}
		if last > 0 && logs[0].Index <= last {
			h.logger.Warn("dropping raft log entries a failed append left behind", "from", logs[0].Index, "to", last)
			if err := w.DeleteRange(logs[0].Index, last); err != nil {
				return err
			}
		}
		return w.StoreLogs(logs)
	})
}

func (h *healingLog) DeleteRange(min, max uint64) error {
	return h.write(func(w *raftwal.WAL) error { return w.DeleteRange(min, max) })
}

func (h *healingLog) Set(key, val []byte) error {
	return h.stable(func(w *raftwal.WAL) error { return w.Set(key, val) })
}

func (h *healingLog) Get(key []byte) (val []byte, err error) {
	err = h.read(func(w *raftwal.WAL) (e error) { val, e = w.Get(key); return })
	return
}

func (h *healingLog) SetUint64(key []byte, val uint64) error {
	return h.stable(func(w *raftwal.WAL) error { return w.SetUint64(key, val) })
}

func (h *healingLog) GetUint64(key []byte) (val uint64, err error) {
	err = h.read(func(w *raftwal.WAL) (e error) { val, e = w.GetUint64(key); return })
	return
}

// probeResources reports whether a WAL in dir can be reopened: a few
// descriptors can be opened, and the disk has room for a new segment.
func probeResources(dir string, segmentSize uint64) error {
	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	for range 8 {
		f, err := os.Open(os.DevNull)
		if err != nil {
			return fmt.Errorf("cannot open descriptors: %w", err)
		}
		files = append(files, f)
	}
	free, err := freeBytes(dir)
	if err != nil {
		return err
	}
	if need := segmentSize + 1<<20; free < need {
		return fmt.Errorf("%d bytes free in %s, a new log segment needs %d", free, dir, need)
	}
	return nil
}
