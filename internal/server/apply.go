package server

import (
	"errors"
	"fmt"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
	"github.com/hashicorp/raft"
)

// applyTimeout bounds how long a write waits to enter the Raft queue.
const applyTimeout = 30 * time.Second

// raftApply submits cmd to Raft and waits until the FSM has applied it. The
// result is the FSM's response; an error response comes back as the error.
func (s *Server) raftApply(cmd []byte) (any, error) {
	resp, _, err := s.raftApplyIndex(cmd)
	return resp, err
}

// raftApplyBool applies cmd, whose result is whether it took effect (a
// CAS that matched); what names the command in an error.
func (s *Server) raftApplyBool(cmd []byte, what string) (bool, error) {
	resp, err := s.raftApply(cmd)
	if err != nil {
		return false, err
	}
	ok, isBool := resp.(bool)
	if !isBool {
		return false, fmt.Errorf("server: unexpected %s result %T", what, resp)
	}
	return ok, nil
}

// raftApplyIndex is raftApply that also returns the entry's Raft index.
func (s *Server) raftApplyIndex(cmd []byte) (any, uint64, error) {
	if s.raft.State() != raft.Leader {
		return nil, 0, s.noLeaderError()
	}
	f := s.raft.Apply(cmd, applyTimeout)
	if err := f.Error(); err != nil {
		if errors.Is(err, raft.ErrNotLeader) {
			return nil, 0, s.noLeaderError()
		}
		return nil, 0, fmt.Errorf("raft apply: %w", err)
	}
	resp := f.Response()
	if err, ok := resp.(error); ok {
		return nil, 0, err
	}
	return resp, f.Index(), nil
}

// noLeaderError says why this server cannot serve a leader-only request.
func (s *Server) noLeaderError() error {
	if s.Leader() == "" {
		return api.ErrNoLeader
	}
	return call.ErrNotLeader
}
