package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
)

// streamPublish serves PUT /v1/stream/<topic>: the body is the message
// (≤ 512 KiB); the reply is {"Index": N}, the message's place in the topic.
func (h *Handler) streamPublish(_ http.ResponseWriter, r *http.Request) (any, error) {
	topic := r.PathValue("topic")
	if topic == "" {
		return nil, badRequest("Missing topic name")
	}
	value, err := readValue(r)
	if err != nil {
		return nil, err
	}
	idx, err := call.StreamAppend.Invoke(r.Context(), h.backend, call.StreamAppendArgs{Topic: topic, Value: value})
	if err != nil {
		return nil, err
	}
	return map[string]uint64{"Index": idx}, nil
}

// streamRead serves GET /v1/stream/<topic>?after=N&wait=D&limit=L: the
// messages after index N, oldest first, waiting (as blocking queries do)
// until there is at least one. A consumer that passes the last Index it
// saw misses nothing the retention limits kept.
func (h *Handler) streamRead(w http.ResponseWriter, r *http.Request) (any, error) {
	q := r.URL.Query()
	after, _, err := uintParam(q, "after")
	if err != nil {
		return nil, err
	}
	limit := api.MaxStreamRead
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, badRequest("Invalid limit " + strconv.Quote(v) + ": must be a positive integer")
		}
		limit = min(n, api.MaxStreamRead)
	}
	topic := r.PathValue("topic")
	return read(h, w, r, func(ctx context.Context, o *api.QueryOptions) ([]*api.StreamMessage, api.QueryMeta, error) {
		return readCall(ctx, h, call.StreamRead, call.StreamReadArgs{Query: query(o), Topic: topic, After: after, Limit: limit})
	})
}
