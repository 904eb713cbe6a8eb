package server

import (
	"context"
	"fmt"
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
	// Check what can be checked before Raft, so a bad request changes
	// nothing rather than registering the node and failing at a check.
	if req.Service != nil && req.Service.ID == "" && req.Service.Service == "" {
		return api.BadRequestError{Reason: "Must provide service name"}
	}
	for _, c := range append([]*api.HealthCheck{req.Check}, req.Checks...) {
		if c == nil {
			continue
		}
		switch c.Status {
		case "", api.HealthPassing, api.HealthWarning, api.HealthCritical:
		default:
			return api.BadRequestError{Reason: fmt.Sprintf("Invalid check status %q", c.Status)}
		}
		if c.CheckID == "" && c.Name == "" {
			return api.BadRequestError{Reason: "Must provide check name"}
		}
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
	return query(ctx, s, q, func(ws memdb.WatchSet, st *state.Store) (uint64, []*api.Node, error) {
		return st.Nodes(ws)
	})
}

// NodeChecks reads the checks of one node.
func (s *Server) NodeChecks(ctx context.Context, q *api.QueryOptions, node string) ([]*api.HealthCheck, api.QueryMeta, error) {
	return query(ctx, s, q, func(ws memdb.WatchSet, st *state.Store) (uint64, []*api.HealthCheck, error) {
		return st.NodeChecks(ws, node)
	})
}
