package server

import (
	"context"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
)

// snapshotImpls answer the snapshot calls.
func (s *Server) snapshotImpls() []call.Impl {
	return []call.Impl{
		read(call.SnapshotSave, func(ctx context.Context, a *call.SnapshotSaveArgs) ([]byte, api.QueryMeta, error) {
			return s.SnapshotSave(ctx, a.Options())
		}),
		call.Implement(call.SnapshotRestore, func(ctx context.Context, a *call.SnapshotRestoreArgs) (struct{}, error) {
			return struct{}{}, s.SnapshotRestore(ctx, a.Archive)
		}),
	}
}
