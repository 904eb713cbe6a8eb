package httpapi

import (
	"context"
	"io"
	"net/http"
)

// monitorBatch bounds how many queued lines are written between flushes.
const monitorBatch = 64

// agentMonitor serves GET /v1/agent/monitor?loglevel=&logjson: the
// agent's log lines at or above loglevel (trace, debug, info (default),
// warn, error), as text or, with ?logjson, JSON, one per line, streamed
// as they are logged until the client goes away or the agent stops. An
// unknown level answers 400 before anything is streamed.
func (h *Handler) agentMonitor(w http.ResponseWriter, r *http.Request) (any, error) {
	q := r.URL.Query()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel() // ends the subscription
	lines, err := h.backend.Monitor(ctx, q.Get("loglevel"), has(q, "logjson"))
	if err != nil {
		return nil, err
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	if rc.Flush() != nil {
		return handled{}, nil
	}
	for {
		select {
		case <-ctx.Done():
			return handled{}, nil
		case line, ok := <-lines:
			if !ok {
				return handled{}, nil
			}
			// Write what is already queued too, then flush once.
			for n := 1; ; n++ {
				if _, err := io.WriteString(w, line+"\n"); err != nil {
					return handled{}, nil
				}
				if n == monitorBatch {
					break
				}
				select {
				case line, ok = <-lines:
				default:
					ok = false
				}
				if !ok {
					break
				}
			}
			if rc.Flush() != nil {
				return handled{}, nil
			}
		}
	}
}
