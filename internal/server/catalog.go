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
	if svc := req.Service; svc != nil {
		if err := api.ValidateMesh(svc.Kind, svc.Port, svc.SocketPath, &svc.Proxy, &svc.Connect); err != nil {
			return api.BadRequestError{Reason: "Invalid service: " + err.Error()}
		}
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
		idx, out, err := st.Nodes(ws)
		return idx, nearest(st, q, out, func(n *api.Node) string { return n.Node }), err
	})
}

// NodeChecks reads the checks of one node.
func (s *Server) NodeChecks(ctx context.Context, q *api.QueryOptions, node string) ([]*api.HealthCheck, api.QueryMeta, error) {
	return query(ctx, s, q, func(ws memdb.WatchSet, st *state.Store) (uint64, []*api.HealthCheck, error) {
		return st.NodeChecks(ws, node)
	})
}

// CatalogServices reads every service name with its tags.
func (s *Server) CatalogServices(ctx context.Context, q *api.QueryOptions) (map[string][]string, api.QueryMeta, error) {
	return query(ctx, s, q, func(ws memdb.WatchSet, st *state.Store) (uint64, map[string][]string, error) {
		return st.Services(ws)
	})
}

// CatalogService reads the instances of a service carrying every tag.
func (s *Server) CatalogService(ctx context.Context, q *api.QueryOptions, service string, tags []string) ([]*api.CatalogService, api.QueryMeta, error) {
	return query(ctx, s, q, func(ws memdb.WatchSet, st *state.Store) (uint64, []*api.CatalogService, error) {
		idx, out, err := st.ServiceNodes(ws, service, tags)
		return idx, nearest(st, q, out, func(e *api.CatalogService) string { return e.Node }), err
	})
}

// CatalogNode reads one node and its services; nil when unknown.
func (s *Server) CatalogNode(ctx context.Context, q *api.QueryOptions, node string) (*api.CatalogNode, api.QueryMeta, error) {
	return query(ctx, s, q, func(ws memdb.WatchSet, st *state.Store) (uint64, *api.CatalogNode, error) {
		return st.NodeServices(ws, node)
	})
}

// HealthService reads the instances of a service with their checks.
func (s *Server) HealthService(ctx context.Context, q *api.QueryOptions, service string, tags []string, passingOnly bool) ([]*api.ServiceEntry, api.QueryMeta, error) {
	return query(ctx, s, q, func(ws memdb.WatchSet, st *state.Store) (uint64, []*api.ServiceEntry, error) {
		idx, out, err := st.CheckServiceNodes(ws, service, tags, passingOnly)
		return idx, nearest(st, q, out, serviceEntryNode), err
	})
}

// HealthChecks reads the checks of a service's instances.
func (s *Server) HealthChecks(ctx context.Context, q *api.QueryOptions, service string) ([]*api.HealthCheck, api.QueryMeta, error) {
	return query(ctx, s, q, func(ws memdb.WatchSet, st *state.Store) (uint64, []*api.HealthCheck, error) {
		idx, out, err := st.ServiceChecks(ws, service)
		return idx, nearest(st, q, out, checkNode), err
	})
}

// HealthState reads every check in a state ("any" for all).
func (s *Server) HealthState(ctx context.Context, q *api.QueryOptions, status string) ([]*api.HealthCheck, api.QueryMeta, error) {
	return query(ctx, s, q, func(ws memdb.WatchSet, st *state.Store) (uint64, []*api.HealthCheck, error) {
		idx, out, err := st.ChecksInState(ws, status)
		return idx, nearest(st, q, out, checkNode), err
	})
}

// checkNode names a check's node, for ?near.
func checkNode(c *api.HealthCheck) string { return c.Node }

// serviceEntryNode names a health entry's node, for ?near.
func serviceEntryNode(e *api.ServiceEntry) string {
	if e.Node == nil {
		return ""
	}
	return e.Node.Node
}
