package httpapi

import (
	"io"
	"net/http"

	"github.com/concordhq/concord/internal/call"
)

// snapshotRoutes are the snapshot endpoints.
var snapshotRoutes = []route{
	{"GET", "/v1/snapshot", (*Handler).snapshotSave},
	{"PUT", "/v1/snapshot", (*Handler).snapshotRestore},
}

// snapshotSave serves GET /v1/snapshot: an archive of the whole state,
// from the leader or, with ?stale, from whichever server answers, with
// the snapshot's index as X-Consul-Index.
func (h *Handler) snapshotSave(w http.ResponseWriter, r *http.Request) (any, error) {
	opts, err := h.parseQueryOptions(r)
	if err != nil {
		return nil, err
	}
	archive, meta, err := readCall(r.Context(), h, call.SnapshotSave, call.SnapshotSaveArgs{Query: query(opts)})
	if err != nil {
		return nil, err
	}
	setMeta(w, &meta)
	return rawBody{contentType: "application/x-gzip", data: archive}, nil
}

// snapshotRestore serves PUT /v1/snapshot: the body, an archive from a
// save, replaces the whole state on every server. A damaged archive is
// refused (500, with the reason, as Consul answers) and nothing changes;
// one larger than call.MaxSnapshotArchive is 413.
func (h *Handler) snapshotRestore(w http.ResponseWriter, r *http.Request) (any, error) {
	if err := h.checkDC(r.URL.Query()); err != nil {
		return nil, err
	}
	archive, err := io.ReadAll(http.MaxBytesReader(w, r.Body, call.MaxSnapshotArchive))
	if err != nil {
		return nil, err
	}
	return empty, doWrite(r.Context(), h, call.SnapshotRestore, call.SnapshotRestoreArgs{Archive: archive})
}
