package server

import (
	"context"
	"fmt"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
	"github.com/concordhq/concord/internal/state"
	"github.com/hashicorp/go-memdb"
	"github.com/hashicorp/raft"
)

// operatorImpls answer the operator calls: autopilot, leadership
// transfer, usage and the per-server Raft stats the leader gathers.
func (s *Server) operatorImpls() []call.Impl {
	return []call.Impl{
		read(call.AutopilotGetConfiguration, func(ctx context.Context, a *call.AutopilotGetArgs) (*api.AutopilotConfiguration, api.QueryMeta, error) {
			return s.AutopilotGetConfiguration(ctx, a.Options())
		}),
		call.Implement(call.AutopilotSetConfiguration, func(ctx context.Context, a *call.AutopilotSetArgs) (bool, error) {
			return s.AutopilotSetConfiguration(ctx, a.Config, a.CAS)
		}),
		read(call.AutopilotServerHealth, func(ctx context.Context, a *call.AutopilotHealthArgs) (*api.OperatorHealthReply, api.QueryMeta, error) {
			_, health, m, err := s.autopilotView(ctx, a.Options())
			return health, m, err
		}),
		read(call.AutopilotState, func(ctx context.Context, a *call.AutopilotHealthArgs) (*api.AutopilotState, api.QueryMeta, error) {
			st, _, m, err := s.autopilotView(ctx, a.Options())
			return st, m, err
		}),
		call.Implement(call.RaftTransferLeader, func(_ context.Context, a *call.TransferLeaderArgs) (bool, error) {
			return true, s.TransferLeadershipTo(a.ID)
		}),
		read(call.OperatorUsage, func(ctx context.Context, a *call.UsageArgs) (*api.Usage, api.QueryMeta, error) {
			return s.Usage(ctx, a.Options())
		}),
		call.Implement(call.RaftServerStats, func(context.Context, *call.ServerStatsArgs) (call.ServerStats, error) {
			return s.localStats(), nil
		}),
	}
}

// Usage counts the catalog's nodes, services and instances (and KV
// entries) of this datacenter.
func (s *Server) Usage(ctx context.Context, q *api.QueryOptions) (*api.Usage, api.QueryMeta, error) {
	return query(ctx, s, q, func(ws memdb.WatchSet, st *state.Store) (uint64, *api.Usage, error) {
		idx, u, err := st.Usage(ws, s.serviceName())
		if err != nil {
			return 0, nil, err
		}
		return idx, &api.Usage{Usage: map[string]api.ServiceUsage{s.cfg.Datacenter: *u}}, nil
	})
}

// TransferLeadershipTo hands leadership to the voter with Raft ID id, or
// with id "" to the voter Raft finds most up to date. Only the leader can.
func (s *Server) TransferLeadershipTo(id string) error {
	if s.raft.State() != raft.Leader {
		return s.noLeaderError()
	}
	if id == "" {
		return s.handOver(s.raft.LeadershipTransfer)
	}
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return fmt.Errorf("cannot read raft configuration: %w", err)
	}
	for _, srv := range f.Configuration().Servers {
		if string(srv.ID) != id {
			continue
		}
		switch {
		case srv.ID == raft.ServerID(s.cfg.NodeID):
			return api.BadRequestError{Reason: fmt.Sprintf("cannot transfer leadership to %q: it is the leader already", id)}
		case srv.Suffrage != raft.Voter:
			return api.BadRequestError{Reason: fmt.Sprintf("cannot transfer leadership to %q: it is not a voter", id)}
		}
		return s.handOver(func() raft.Future { return s.raft.LeadershipTransferToServer(srv.ID, srv.Address) })
	}
	return api.NotFoundError{Reason: fmt.Sprintf("cannot transfer leadership to %q: no server with that ID in the Raft configuration", id)}
}

// handOver runs a leadership transfer. The chosen follower stands for
// election at once, ahead of the timeout the read lease counts on, so the
// lease is given up first; if the transfer fails, the lease resumes once
// any election the follower started has settled (two heartbeat timeouts).
func (s *Server) handOver(transfer func() raft.Future) error {
	s.lease.suspend()
	err := transfer().Error()
	if err != nil {
		s.lease.resumeAfter(2 * s.raft.ReloadableConfig().HeartbeatTimeout)
		return fmt.Errorf("cannot transfer leadership: %w", err)
	}
	return nil
}
