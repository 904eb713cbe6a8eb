package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/concordhq/concord/api"
)

// has reports whether a presence flag such as ?stale or ?recurse is set;
// Consul treats these as true whatever their value, even empty.
func has(q url.Values, name string) bool {
	_, ok := q[name]
	return ok
}

// badRequest returns a 400 error with Consul's wording.
func badRequest(msg string) error { return api.BadRequestError{Reason: msg} }

// parseQueryOptions reads the parameters every read takes: dc, consistency
// mode, and blocking index and wait.
func (h *Handler) parseQueryOptions(r *http.Request) (*api.QueryOptions, error) {
	q := r.URL.Query()
	opts := &api.QueryOptions{
		AllowStale:        has(q, "stale"),
		RequireConsistent: has(q, "consistent"),
	}
	if err := h.checkDC(q); err != nil {
		return nil, err
	}
	// ?max_stale implies ?stale, as in Consul: any server answers unless it
	// has not heard from the leader for longer than that.
	if v := q.Get("max_stale"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return nil, badRequest(fmt.Sprintf("Invalid max_stale value %q", v))
		}
		opts.MaxStale = d
		opts.AllowStale = opts.AllowStale || d > 0
	}
	if opts.AllowStale && opts.RequireConsistent {
		return nil, badRequest("Cannot specify ?stale with ?consistent, conflicting semantics.")
	}
	if has(q, "cached") && opts.RequireConsistent {
		return nil, badRequest("Cannot specify ?cached with ?consistent, conflicting semantics.")
	}
	if v := q.Get("index"); v != "" {
		idx, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, badRequest("Invalid index")
		}
		opts.MinQueryIndex = idx
	}
	// ?near=_agent is this agent's node; the server sorts by its
	// coordinates (reads that return no list ignore it).
	if opts.Near = q.Get("near"); opts.Near == "_agent" {
		opts.Near = h.backend.NodeName()
	}
	if v := q.Get("wait"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return nil, badRequest("Invalid wait time")
		}
		opts.MaxQueryTime = d
	}
	return opts, nil
}

// checkDC rejects a ?dc other than the agent's own, which it cannot reach
// until federation exists.
func (h *Handler) checkDC(q url.Values) error {
	if dc := q.Get("dc"); dc != "" && dc != h.cfg.Datacenter {
		return api.ErrUnknownDC
	}
	return nil
}

// uintParam parses an optional unsigned parameter such as ?flags or ?cas.
func uintParam(q url.Values, name string) (uint64, bool, error) {
	v, ok := q[name]
	if !ok {
		return 0, false, nil
	}
	n, err := strconv.ParseUint(v[0], 10, 64)
	if err != nil {
		return 0, true, badRequest("Invalid " + name + " " + strconv.Quote(v[0]) + ": must be an unsigned integer")
	}
	return n, true, nil
}
