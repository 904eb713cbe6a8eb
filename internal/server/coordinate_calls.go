package server

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
	"github.com/concordhq/concord/internal/state"
	"github.com/hashicorp/go-memdb"
	"github.com/hashicorp/serf/coordinate"
)

// coordinateImpls answer the coordinate calls.
func (s *Server) coordinateImpls() []call.Impl {
	return []call.Impl{
		call.Implement(call.CoordinateUpdate, func(_ context.Context, a *call.CoordinateUpdateArgs) (struct{}, error) {
			return struct{}{}, s.CoordinateUpdate(a.Entry)
		}),
		read(call.CoordinateNodes, func(ctx context.Context, a *call.CoordinateNodesArgs) ([]*api.CoordinateEntry, api.QueryMeta, error) {
			return query(ctx, s, a.Options(), func(ws memdb.WatchSet, st *state.Store) (uint64, []*api.CoordinateEntry, error) {
				return st.Coordinates(ws)
			})
		}),
		read(call.CoordinateNode, func(ctx context.Context, a *call.CoordinateNodeArgs) ([]*api.CoordinateEntry, api.QueryMeta, error) {
			return query(ctx, s, a.Options(), func(ws memdb.WatchSet, st *state.Store) (uint64, []*api.CoordinateEntry, error) {
				return st.NodeCoordinates(ws, a.Node)
			})
		}),
		call.Implement(call.CoordinateDatacenters, func(context.Context, *call.CoordinateDatacentersArgs) ([]*api.CoordinateDatacenterMap, error) {
			return s.CoordinateDatacenters(), nil
		}),
		call.Implement(call.CatalogDatacenters, func(context.Context, *call.CatalogDatacentersArgs) ([]string, error) {
			return s.Datacenters(), nil
		}),
	}
}

// Errors of coordinate updates, with Consul's texts.
var (
	// errBadCoordinate refuses a coordinate with NaN or infinite values,
	// or with other dimensions than serf's.
	errBadCoordinate = errors.New("invalid coordinate")
	// errMissingNode refuses an update that names no node.
	errMissingNode = api.BadRequestError{Reason: "Must provide node"}
)

// coordinateDimensions is the dimensionality of serf's coordinates, which
// every agent sends.
var coordinateDimensions = coordinate.DefaultConfig().Dimensionality

// CoordinateUpdate queues one node's coordinate; the leader applies the
// queue in batches (see coordinate_batch.go), so the update shows a
// moment later, not when this returns.
func (s *Server) CoordinateUpdate(e *api.CoordinateEntry) error {
	if e == nil || e.Node == "" {
		return errMissingNode
	}
	if e.Coord == nil || !e.Coord.IsValid() || uint(len(e.Coord.Vec)) != coordinateDimensions {
		return errBadCoordinate
	}
	return s.coords.add(e)
}

// CoordinateDatacenters returns each datacenter's servers and their WAN
// coordinates, nearest datacenter first, as /v1/coordinate/datacenters
// lists the WAN pool. Without a WAN pool (ports.serf_wan -1) this
// datacenter's servers with their LAN coordinates stand in. Any server
// answers from its own view.
func (s *Server) CoordinateDatacenters() []*api.CoordinateDatacenterMap {
	if wan := s.wanCoordinates(); wan != nil {
		return wan
	}
	dc := &api.CoordinateDatacenterMap{Datacenter: s.cfg.Datacenter, AreaID: api.AreaWAN, Coordinates: []api.CoordinateEntry{}}
	st := s.fsm.State()
	for _, m := range s.members.members() {
		if !m.Server || m.Datacenter != s.cfg.Datacenter || m.Status == MemberLeft || m.Status == MemberReaped {
			continue
		}
		_, coords, err := st.NodeCoordinates(nil, m.Name)
		if err != nil {
			continue
		}
		for _, c := range coords {
			if c.Segment == "" {
				dc.Coordinates = append(dc.Coordinates, api.CoordinateEntry{Node: m.Name, Coord: c.Coord})
			}
		}
	}
	slices.SortFunc(dc.Coordinates, func(a, b api.CoordinateEntry) int { return strings.Compare(a.Node, b.Node) })
	return []*api.CoordinateDatacenterMap{dc}
}
