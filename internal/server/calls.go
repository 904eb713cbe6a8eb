package server

import (
	"context"
	"slices"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
)

// newTable pairs every declared call with the Server method that answers
// it. call.NewTable refuses a table that misses one.
func (s *Server) newTable() (*call.Table, error) {
	return call.NewTable(slices.Concat(s.coreImpls(), s.aclImpls(), s.queryImpls(), s.coordinateImpls(),
		s.operatorImpls(), s.snapshotImpls(), s.enforceImpls(), s.eventImpls(), s.keyringImpls(), s.configEntryImpls())...)
}

// coreImpls answer the calls of KV, sessions, catalog, health, streams and
// status.
func (s *Server) coreImpls() []call.Impl {
	return []call.Impl{
		call.Implement(call.KVApply, func(ctx context.Context, a *call.KVApplyArgs) (bool, error) {
			return s.KVApply(ctx, a.Op)
		}),
		read(call.KVGet, func(ctx context.Context, a *call.KVGetArgs) (*api.KVPair, api.QueryMeta, error) {
			return s.KVGet(ctx, a.Options(), a.Key)
		}),
		read(call.KVList, func(ctx context.Context, a *call.KVListArgs) ([]*api.KVPair, api.QueryMeta, error) {
			return s.KVList(ctx, a.Options(), a.Prefix)
		}),
		read(call.KVKeys, func(ctx context.Context, a *call.KVKeysArgs) ([]string, api.QueryMeta, error) {
			return s.KVKeys(ctx, a.Options(), a.Prefix, a.Separator)
		}),
		read(call.Txn, func(ctx context.Context, a *call.TxnArgs) (*api.TxnResponse, api.QueryMeta, error) {
			return s.Txn(ctx, a.Options(), a.Ops, a.Catalog)
		}),

		call.Implement(call.SessionCreate, func(ctx context.Context, a *call.SessionCreateArgs) (string, error) {
			return s.SessionCreate(ctx, a.Session)
		}),
		call.Implement(call.SessionDestroy, func(ctx context.Context, a *call.SessionIDArgs) (struct{}, error) {
			return struct{}{}, s.SessionDestroy(ctx, a.ID)
		}),
		call.Implement(call.SessionRenew, func(ctx context.Context, a *call.SessionIDArgs) (*api.SessionEntry, error) {
			return s.SessionRenew(ctx, a.ID)
		}),
		read(call.SessionInfo, func(ctx context.Context, a *call.SessionGetArgs) ([]*api.SessionEntry, api.QueryMeta, error) {
			return s.SessionInfo(ctx, a.Options(), a.ID)
		}),
		read(call.SessionList, func(ctx context.Context, a *call.SessionListArgs) ([]*api.SessionEntry, api.QueryMeta, error) {
			return s.SessionList(ctx, a.Options(), a.Node)
		}),

		call.Implement(call.CatalogRegister, func(ctx context.Context, a *call.RegisterArgs) (struct{}, error) {
			return struct{}{}, s.CatalogRegister(ctx, a.Reg)
		}),
		call.Implement(call.CatalogDeregister, func(ctx context.Context, a *call.DeregisterArgs) (struct{}, error) {
			return struct{}{}, s.CatalogDeregister(ctx, a.Dereg)
		}),
		read(call.CatalogNodes, func(ctx context.Context, a *call.NodesArgs) ([]*api.Node, api.QueryMeta, error) {
			return s.CatalogNodes(ctx, a.Options())
		}),
		read(call.NodeChecks, func(ctx context.Context, a *call.NodeArgs) ([]*api.HealthCheck, api.QueryMeta, error) {
			return s.NodeChecks(ctx, a.Options(), a.Node)
		}),
		read(call.CatalogNode, func(ctx context.Context, a *call.NodeArgs) (*api.CatalogNode, api.QueryMeta, error) {
			return s.CatalogNode(ctx, a.Options(), a.Node)
		}),
		read(call.CatalogServices, func(ctx context.Context, a *call.ServicesArgs) (map[string][]string, api.QueryMeta, error) {
			return s.CatalogServices(ctx, a.Options())
		}),
		read(call.CatalogService, func(ctx context.Context, a *call.ServiceArgs) ([]*api.CatalogService, api.QueryMeta, error) {
			return s.CatalogService(ctx, a.Options(), a.Service, a.Tags)
		}),
		read(call.HealthService, func(ctx context.Context, a *call.HealthServiceArgs) ([]*api.ServiceEntry, api.QueryMeta, error) {
			return s.HealthService(ctx, a.Options(), a.Service, a.Tags, a.PassingOnly)
		}),
		read(call.HealthChecks, func(ctx context.Context, a *call.HealthChecksArgs) ([]*api.HealthCheck, api.QueryMeta, error) {
			return s.HealthChecks(ctx, a.Options(), a.Service)
		}),
		read(call.HealthState, func(ctx context.Context, a *call.HealthStateArgs) ([]*api.HealthCheck, api.QueryMeta, error) {
			return s.HealthState(ctx, a.Options(), a.State)
		}),

		call.Implement(call.StreamAppend, func(ctx context.Context, a *call.StreamAppendArgs) (uint64, error) {
			return s.StreamAppend(ctx, a.Topic, a.Value)
		}),
		read(call.StreamRead, func(ctx context.Context, a *call.StreamReadArgs) ([]*api.StreamMessage, api.QueryMeta, error) {
			return s.StreamRead(ctx, a.Options(), a.Topic, a.After, a.Limit)
		}),

		read(call.RaftConfiguration, func(ctx context.Context, a *call.RaftConfigurationArgs) (*api.RaftConfiguration, api.QueryMeta, error) {
			return s.RaftConfiguration(ctx, a.Options())
		}),
		call.Implement(call.RaftRemovePeer, func(ctx context.Context, a *call.RemovePeerArgs) (struct{}, error) {
			return struct{}{}, s.RaftRemovePeer(ctx, a.ID, a.Address)
		}),
		call.Implement(call.Leader, func(context.Context, *call.StatusArgs) (string, error) { return s.Leader(), nil }),
		call.Implement(call.Peers, func(context.Context, *call.StatusArgs) ([]string, error) { return s.Peers() }),
	}
}

// read implements a read from a method of the usual (value, meta, error)
// shape.
func read[A, T any](c call.Call[A, call.Result[T]], fn func(context.Context, *A) (T, api.QueryMeta, error)) call.Impl {
	return call.Implement(c, func(ctx context.Context, a *A) (call.Result[T], error) {
		v, m, err := fn(ctx, a)
		return call.Result[T]{Value: v, Meta: m}, err
	})
}
