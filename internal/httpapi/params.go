package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
)

// has reports whether a presence flag such as ?stale or ?recurse is set;
// Consul treats these as true whatever their value, even empty.
func has(q url.Values, name string) bool {
	_, ok := q[name]
	return ok
}

// badRequest returns a 400 error with Consul's wording.
func badRequest(msg string) error { return api.BadRequestError{Reason: msg} }

// parseQueryOptions reads the parameters every read takes: consistency
// mode, and blocking index and wait (?dc is in the request's context:
// see withDatacenter).
func (h *Handler) parseQueryOptions(r *http.Request) (*api.QueryOptions, error) {
	q := r.URL.Query()
	opts := &api.QueryOptions{
		AllowStale:        has(q, "stale"),
		RequireConsistent: has(q, "consistent"),
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
	switch opts.Near = q.Get("near"); opts.Near {
	case "_agent":
		opts.Near = h.backend.NodeName()
	case "_ip":
		opts.SourceIP = sourceIP(r) // the server finds the node with it
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

// withDatacenter makes the request's calls in the datacenter ?dc names
// (call.WithDatacenter): the servers forward a call for another
// datacenter to one of its servers, and answer "No path to datacenter"
// for one they do not know. The agent's own endpoints (/v1/agent/...),
// answered by this agent whatever the datacenter, and the keyring, which
// reaches every datacenter anyway, ignore ?dc, as in Consul.
func (h *Handler) withDatacenter(r *http.Request) *http.Request {
	if !strings.Contains(r.URL.RawQuery, "dc=") {
		return r // the common case, without parsing the query once more
	}
	dc := r.URL.Query().Get("dc")
	if dc == "" || dc == h.cfg.Datacenter || !routedByDC(r.Pattern) {
		return r
	}
	return r.WithContext(call.WithDatacenter(r.Context(), dc))
}

// routedByDC reports whether the route pattern's calls follow ?dc.
func routedByDC(pattern string) bool {
	_, path, _ := strings.Cut(pattern, " ")
	if path == "" {
		path = pattern
	}
	return !strings.HasPrefix(path, "/v1/agent/") && path != "/v1/operator/keyring"
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
