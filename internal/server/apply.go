package server

import (
	"errors"
	"fmt"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/hashicorp/raft"
)

// applyTimeout bounds how long a write waits to enter the Raft queue.
const applyTimeout = 30 * time.Second

// raftApply submits cmd to Raft and waits until the FSM has applied it. The
// result is the FSM's response; an error response comes back as the error.
func (s *Server) raftApply(cmd []byte) (any, error) {
	if s.raft.State() != raft.Leader {
		return nil, s.noLeaderError()
	}
	f := s.raft.Apply(cmd, applyTimeout)
	if err := f.Error(); err != nil {
		if errors.Is(err, raft.ErrNotLeader) {
			return nil, s.noLeaderError()
		}
		return nil, fmt.Errorf("raft apply: %w", err)
	}
	resp := f.Response()
	if err, ok := resp.(error); ok {
		return nil, err
	}
	return resp, nil
}

// noLeaderError says why this server cannot serve a leader-only request.
func (s *Server) noLeaderError() error {
	if s.Leader() == "" {
		return api.ErrNoLeader
	}
	return api.ErrNotLeader
}
