package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
	"github.com/concordhq/concord/internal/fsm"
	"github.com/concordhq/concord/internal/snapshot"
	"github.com/hashicorp/raft"
)

// restoreTimeout bounds how long a restore waits for Raft to take it in
// and replicate it.
const restoreTimeout = 2 * time.Minute

// SnapshotSave takes a Raft snapshot of this server's state and returns
// it as an archive (package snapshot), with the snapshot's index as the
// meta's LastIndex. The leader answers, after the same check as a default
// read, so the archive holds every write acknowledged before the call;
// with ?stale any server answers from its own state.
//
// Like Consul, it asks Raft for a real snapshot (raft.Snapshot), so the
// archive's metadata — ID, index, term, configuration — is Raft's own, and
// the log is compacted as a periodic snapshot would.
func (s *Server) SnapshotSave(ctx context.Context, q *api.QueryOptions) ([]byte, api.QueryMeta, error) {
	var m api.QueryMeta
	mode, err := s.checkRead(ctx, q)
	if err != nil {
		return nil, m, err
	}
	f := s.raft.Snapshot()
	if err := f.Error(); err != nil {
		return nil, m, fmt.Errorf("cannot take snapshot: %w", err)
	}
	meta, rc, err := f.Open()
	if err != nil {
		return nil, m, fmt.Errorf("cannot open snapshot: %w", err)
	}
	defer rc.Close()
	var buf bytes.Buffer
	if err := snapshot.Write(&limitWriter{w: &buf, left: call.MaxSnapshotArchive}, meta, rc); err != nil {
		return nil, m, err
	}
	m.LastIndex = meta.Index
	s.fillMeta(&m, mode)
	return buf.Bytes(), m, nil
}

// errArchiveTooLarge is a save whose archive passes MaxSnapshotArchive.
var errArchiveTooLarge = fmt.Errorf("snapshot: the archive would exceed %d MiB, the most a snapshot may be",
	call.MaxSnapshotArchive>>20)

// limitWriter fails once more than left bytes are written through it.
type limitWriter struct {
	w    io.Writer
	left int64
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.left {
		return 0, errArchiveTooLarge
	}
	l.left -= int64(len(p))
	return l.w.Write(p)
}

// SnapshotRestore replaces the whole state with the archive's, on every
// server, through Raft's user restore: the leader installs it as a
// snapshot past the end of its log, so followers install it from there.
//
// Nothing changes unless the archive is whole: its checksums, sizes and
// every record of its state are checked first (Raft takes a restore the
// FSM then refuses as fatal). The restored tables' indexes are raised
// above every index the cluster has answered with, so a table's
// X-Consul-Index never goes back (an entry's own ModifyIndex may: it is
// the snapshot's). Blocking queries are woken by the old store's
// AbandonCh and answer at once. The leader then restarts its session TTL
// timers from the restored sessions, as after an election, and reconciles
// the catalog with the live members.
func (s *Server) SnapshotRestore(ctx context.Context, archive []byte) error {
	if s.raft.State() != raft.Leader {
		return s.noLeaderError()
	}
	var state bytes.Buffer
	meta, err := snapshot.Read(bytes.NewReader(archive), &state)
	if err != nil {
		return err
	}
	if err := fsm.New(s.logger).Restore(io.NopCloser(bytes.NewReader(state.Bytes()))); err != nil {
		return fmt.Errorf("snapshot: the archive's state does not load: %w", err)
	}
	old, err := snapshot.StateIndex(state.Bytes())
	if err != nil {
		return err
	}
	// Raft puts the restore at max(its last index, meta.Index)+1: past
	// anything the cluster has answered with, and so past this index.
	index := max(s.raft.LastIndex()+1, meta.Index, old)
	data, err := snapshot.Reindex(state.Bytes(), index)
	if err != nil {
		return err
	}
	meta.Index, meta.Size = index, int64(len(data))
	if err := s.raft.Restore(meta, bytes.NewReader(data), restoreTimeout); err != nil {
		if errors.Is(err, raft.ErrNotLeader) {
			return s.noLeaderError()
		}
		return fmt.Errorf("cannot restore snapshot: %w", err)
	}
	s.logger.Info("restored snapshot", "id", meta.ID, "index", index)
	s.afterRestore()
	return nil
}

// afterRestore redoes the leader's work that depends on the state: the
// session TTL timers (every restored TTL session gets a full TTL, as after
// an election) and this cluster's members in the catalog.
func (s *Server) afterRestore() {
	if err := s.raft.Barrier(restoreTimeout).Error(); err != nil {
		s.logger.Warn("barrier after restore failed", "error", err)
		return
	}
	s.timers.clear()
	if s.raft.State() != raft.Leader {
		return // the next leader starts the timers itself
	}
	s.startSessionTimers()
	if err := s.registerSelf(); err != nil {
		s.logger.Warn("cannot register this node after restore", "error", err)
	}
	s.reconcileAll()
}
