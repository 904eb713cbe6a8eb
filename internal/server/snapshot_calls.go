package server

import (
	"context"
	"fmt"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
)

// snapshotImpls answer the snapshot calls, whose archives travel in parts
// (call.SnapshotPartSize): the archives in transfer between parts live in
// a table the calls share.
func (s *Server) snapshotImpls() []call.Impl {
	p := &snapshotParts{s: s}
	return []call.Impl{
		read(call.SnapshotSave, p.save),
		call.Implement(call.SnapshotRestore, p.restore),
	}
}

// snapshotParts cuts saved archives into parts and gathers restored ones.
type snapshotParts struct {
	s  *Server
	ts transfers
}

// save answers one part of a save: the first call takes the snapshot and
// keeps the archive for the next ones when it does not fit in one part.
func (p *snapshotParts) save(ctx context.Context, a *call.SnapshotSaveArgs) (call.SnapshotPart, api.QueryMeta, error) {
	if a.Handle == "" {
		archive, m, err := p.s.SnapshotSave(ctx, a.Options())
		if err != nil {
			return call.SnapshotPart{}, m, err
		}
		part := call.SnapshotPart{Total: int64(len(archive)), Data: archive}
		if len(archive) > call.SnapshotPartSize {
			part.Data = archive[:call.SnapshotPartSize]
			part.Handle = p.ts.add(archive)
		}
		return part, m, nil
	}
	var part call.SnapshotPart
	err := p.ts.update(a.Handle, func(archive []byte) ([]byte, error) {
		if a.Offset < 0 || a.Offset > int64(len(archive)) {
			return nil, api.BadRequestError{Reason: fmt.Sprintf("snapshot part offset %d out of range", a.Offset)}
		}
		end := min(a.Offset+call.SnapshotPartSize, int64(len(archive)))
		part = call.SnapshotPart{Handle: a.Handle, Total: int64(len(archive)), Data: archive[a.Offset:end]}
		return archive, nil
	})
	if err != nil {
		return part, api.QueryMeta{}, err
	}
	if a.Offset+int64(len(part.Data)) == part.Total {
		p.ts.drop(a.Handle) // the last part: the slice stays valid for the reply
		part.Handle = ""
	}
	return part, api.QueryMeta{}, nil
}

// restore takes one part of a restore: the leader gathers the parts (a
// copy: the caller may reuse its buffer) and restores on the last.
func (p *snapshotParts) restore(ctx context.Context, a *call.SnapshotRestoreArgs) (string, error) {
	switch {
	case a.Handle == "" && a.Last:
		return "", p.s.SnapshotRestore(ctx, a.Data)
	case a.Handle == "":
		if !p.s.IsLeader() {
			return "", p.s.noLeaderError()
		}
		return p.ts.add(append([]byte(nil), a.Data...)), nil
	}
	err := p.ts.update(a.Handle, func(archive []byte) ([]byte, error) {
		if len(archive)+len(a.Data) > call.MaxSnapshotArchive {
			return nil, api.TooLargeError{Reason: fmt.Sprintf("snapshot archive larger than %d MiB", call.MaxSnapshotArchive>>20)}
		}
		return append(archive, a.Data...), nil
	})
	if err != nil {
		p.ts.drop(a.Handle)
		return "", err
	}
	if !a.Last {
		return a.Handle, nil
	}
	archive, err := p.ts.take(a.Handle)
	if err != nil {
		return "", err
	}
	return "", p.s.SnapshotRestore(ctx, archive)
}
