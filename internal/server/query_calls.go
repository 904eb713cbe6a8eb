package server

import (
	"context"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
)

// queryImpls answer the prepared query calls.
func (s *Server) queryImpls() []call.Impl {
	return []call.Impl{
		call.Implement(call.QueryApply, func(ctx context.Context, a *call.QueryApplyArgs) (string, error) {
			return s.QueryApply(ctx, a.Op, a.Query)
		}),
		read(call.QueryGet, func(ctx context.Context, a *call.QueryGetArgs) ([]*api.PreparedQuery, api.QueryMeta, error) {
			return s.QueryGet(ctx, a.Options(), a.ID)
		}),
		read(call.QueryList, func(ctx context.Context, a *call.QueryListArgs) ([]*api.PreparedQuery, api.QueryMeta, error) {
			return s.QueryList(ctx, a.Options())
		}),
		read(call.QueryExecute, func(ctx context.Context, a *call.QueryExecuteArgs) (*api.PreparedQueryExecuteResponse, api.QueryMeta, error) {
			return s.QueryExecute(ctx, a)
		}),
		read(call.QueryExecuteRemote, func(ctx context.Context, a *call.QueryExecuteRemoteArgs) (*api.PreparedQueryExecuteResponse, api.QueryMeta, error) {
			return s.QueryExecuteRemote(ctx, a)
		}),
		read(call.QueryExplain, func(ctx context.Context, a *call.QueryExplainArgs) (*api.PreparedQueryExplainResponse, api.QueryMeta, error) {
			return s.QueryExplain(ctx, a.Options(), a.IDOrName)
		}),
	}
}
