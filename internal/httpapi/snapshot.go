package httpapi

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/concordhq/concord/internal/call"
)

// snapshotRoutes are the snapshot endpoints.
var snapshotRoutes = []route{
	{"GET", "/v1/snapshot", (*Handler).snapshotSave},
	{"PUT", "/v1/snapshot", (*Handler).snapshotRestore},
}

// snapshotSave serves GET /v1/snapshot: an archive of the whole state,
// from the leader or, with ?stale, from whichever server answers, with
// the snapshot's index as X-Consul-Index. The archive comes in parts (see
// call.SnapshotPartSize), each written as it arrives; a part that fails
// after the first cuts the reply short of its Content-Length, so the
// client sees a truncated body rather than a whole-looking archive.
func (h *Handler) snapshotSave(w http.ResponseWriter, r *http.Request) (any, error) {
	opts, err := h.parseQueryOptions(r)
	if err != nil {
		return nil, err
	}
	args := call.SnapshotSaveArgs{Query: query(opts)}
	part, meta, err := readCall(r.Context(), h, call.SnapshotSave, args)
	if err != nil {
		return nil, err
	}
	setMeta(w, &meta)
	w.Header().Set("Content-Type", "application/x-gzip")
	w.Header().Set("Content-Length", strconv.FormatInt(part.Total, 10))
	w.Write(part.Data)
	for sent := int64(len(part.Data)); part.Handle != ""; sent += int64(len(part.Data)) {
		args.Handle, args.Offset = part.Handle, sent
		if part, _, err = readCall(r.Context(), h, call.SnapshotSave, args); err != nil {
			h.cfg.Logger.Warn("snapshot save cut short", "sent", sent, "error", err)
			panic(http.ErrAbortHandler) // close the connection mid-body
		}
		w.Write(part.Data)
	}
	return handled{}, nil
}

// snapshotRestore serves PUT /v1/snapshot: the body, an archive from a
// save, replaces the whole state on every server. It goes to the leader
// in parts as it is read. A damaged archive is refused (500, with the
// reason, as Consul answers) and nothing changes; one larger than
// call.MaxSnapshotArchive is 413.
func (h *Handler) snapshotRestore(w http.ResponseWriter, r *http.Request) (any, error) {
	body := http.MaxBytesReader(w, r.Body, call.MaxSnapshotArchive)
	buf := make([]byte, call.SnapshotPartSize)
	handle := ""
	for {
		n, err := io.ReadFull(body, buf)
		last := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
		if err != nil && !last {
			return nil, err
		}
		handle, err = call.SnapshotRestore.Invoke(r.Context(), h.backend,
			call.SnapshotRestoreArgs{Handle: handle, Data: buf[:n], Last: last})
		if err != nil || last {
			return empty, err
		}
	}
}
