package server

import (
	"context"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/fsm"
	"github.com/concordhq/concord/internal/state"
	"github.com/hashicorp/go-memdb"
)

// StreamAppend appends value to topic through Raft and returns the
// message's index; the topic's oldest messages beyond the retention limits
// go in the same step.
func (s *Server) StreamAppend(_ context.Context, topic string, value []byte) (uint64, error) {
	maxMessages, maxAge := s.cfg.StreamMaxMessages, s.cfg.StreamMaxAge
	if maxMessages <= 0 {
		maxMessages = DefaultStreamMaxMessages
	}
	if maxAge <= 0 {
		maxAge = DefaultStreamMaxAge
	}
	req := &fsm.StreamAppend{Topic: topic, Value: value, MaxMessages: maxMessages, MaxAge: maxAge}
	_, idx, err := s.raftApplyIndex(fsm.EncodeStreamAppend(req, time.Now()))
	return idx, err
}

// StreamRead returns up to limit messages of topic after index after,
// blocking (q.MaxQueryTime, as blocking queries do) until there is one.
func (s *Server) StreamRead(ctx context.Context, q *api.QueryOptions, topic string, after uint64, limit int) ([]*api.StreamMessage, api.QueryMeta, error) {
	// Block until the topic's index passes after; an empty topic (index 0,
	// reported as 1) blocks too.
	q.MinQueryIndex = max(after, 1)
	return query(ctx, s, q, func(ws memdb.WatchSet, st *state.Store) (uint64, []*api.StreamMessage, error) {
		return st.StreamRead(ws, topic, after, limit)
	})
}
