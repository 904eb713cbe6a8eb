package server

import (
	"context"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/fsm"
	"github.com/concordhq/concord/internal/state"
	"github.com/hashicorp/go-memdb"
)

// CatalogRegister registers a node, service and checks through Raft.
func (s *Server) CatalogRegister(_ context.Context, req *api.CatalogRegistration) error {
	if req.Node == "" {
		return api.BadRequestError{Reason: "Must provide node"}
	}
	if req.Datacenter == "" {
		req.Datacenter = s.cfg.Datacenter
	}
	_, err := s.raftApply(fsm.EncodeRegister(req, time.Now()))
	return err
}

// CatalogDeregister removes a node, service or check through Raft.
func (s *Server) CatalogDeregister(_ context.Context, req *api.CatalogDeregistration) error {
	if req.Node == "" {
		return api.BadRequestError{Reason: "Must provide node"}
	}
	_, err := s.raftApply(fsm.EncodeDeregister(req, time.Now()))
	return err
}

// CatalogNodes reads every node.
func (s *Server) CatalogNodes(ctx context.Context, q *api.QueryOptions) ([]*api.Node, api.QueryMeta, error) {
	var m api.QueryMeta
	var out []*api.Node
	err := s.blockingQuery(ctx, q, &m, func(ws memdb.WatchSet, st *state.Store) (uint64, error) {
		idx, nodes, err := st.Nodes(ws)
		out = nodes
		return idx, err
	})
	return out, m, err
}

// NodeChecks reads the checks of one node.
func (s *Server) NodeChecks(ctx context.Context, q *api.QueryOptions, node string) ([]*api.HealthCheck, api.QueryMeta, error) {
	var m api.QueryMeta
	var out []*api.HealthCheck
	err := s.blockingQuery(ctx, q, &m, func(ws memdb.WatchSet, st *state.Store) (uint64, error) {
		idx, checks, err := st.NodeChecks(ws, node)
		out = checks
		return idx, err
	})
	return out, m, err
}
