package httpapi

import (
	"context"
	"net/http"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
)

// eventFire serves PUT /v1/event/fire/<name>?node=&service=&tag=: the body
// is the payload; the reply is the event as fired (LTime 0: gossip assigns
// it on delivery).
func (h *Handler) eventFire(_ http.ResponseWriter, r *http.Request) (any, error) {
	q := r.URL.Query()
	payload, err := readValue(r)
	if err != nil {
		return nil, err
	}
	if len(payload) == 0 {
		payload = nil
	}
	ev := &api.UserEvent{
		Name: r.PathValue("name"), Payload: payload,
		NodeFilter: q.Get("node"), ServiceFilter: q.Get("service"), TagFilter: q.Get("tag"),
	}
	if call.DatacenterFrom(r.Context()) != "" {
		// Another datacenter: one of its servers fires it there.
		return call.EventFire.Invoke(r.Context(), h.backend, call.EventFireArgs{Event: ev})
	}
	return h.backend.EventFire(ev)
}

// eventList serves GET /v1/event/list?name=: the events this agent has
// received, oldest first. Its index is not monotonic (it is derived from
// the newest event's ID); a blocking list returns when that event changes.
func (h *Handler) eventList(w http.ResponseWriter, r *http.Request) (any, error) {
	name := r.URL.Query().Get("name")
	return read(h, w, r, func(ctx context.Context, o *api.QueryOptions) ([]*api.UserEvent, api.QueryMeta, error) {
		list, m, err := h.backend.EventList(ctx, o, name)
		if list == nil {
			list = []*api.UserEvent{}
		}
		return list, m, err
	})
}
