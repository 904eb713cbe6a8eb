// Package watch runs watches: loops of blocking queries on one view of an
// agent's data (a key, a key prefix, the services, the nodes, a service's
// health, checks or user events) that call a handler each time the view
// changes. `concord watch` and the watches of the agent config both run
// here, against the HTTP API, so they behave the same.
//
// The flow of one watch:
//
//  1. Parse checks Params (a type and the parameters that type takes) and
//     returns a Plan.
//  2. Plan.Run reads the view once without blocking and hands it to the
//     Handler, then blocks on the index of the last reply.
//  3. A reply whose index is unchanged (the wait timed out) is dropped; so
//     is one whose JSON equals the last handled (woken by a write elsewhere).
//  4. Handlers run one at a time on Run's goroutine: Script runs a command
//     with the JSON on stdin, HTTP posts it to a URL.
//
// The package talks to an agent only through the api client.
package watch

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/concordhq/concord/api"
)

// Params say what a watch reads. Type picks the view; each type takes only
// some of the other fields (see Types), and a field set for a type that
// does not take it is refused.
type Params struct {
	Type        string   // key, keyprefix, services, nodes, service, checks or event
	Key         string   // key: the key
	Prefix      string   // keyprefix: the prefix; empty watches the whole store
	Service     string   // service: its name; checks: the service whose checks
	Tags        []string // service: tags every instance must have
	PassingOnly bool     // service: only instances whose checks all pass
	State       string   // checks: any, passing, warning or critical
	Name        string   // event: the event name; empty for all
	Stale       bool     // any server may answer (not for event)
}

// Types lists the watch types and, for each, the parameters it takes by
// their config names (the CLI flags are the same with a dash).
var Types = map[string][]string{
	"key":       {"key"},
	"keyprefix": {"prefix"},
	"services":  {},
	"nodes":     {},
	"service":   {"service", "tag", "passingonly"},
	"checks":    {"service", "state"},
	"event":     {"name"},
}

// typeNames is Types' keys in the order users read them.
const typeNames = "key, keyprefix, services, nodes, service, checks or event"

// Plan is a parsed watch, ready to Run.
type Plan struct {
	params Params
	// newRead returns the read of one Run; a read may keep state between
	// calls (the event read remembers the last event seen).
	newRead func(c *api.Client) readFunc
	// ordered says the index only grows, so an index going backwards means
	// the data was reset (a snapshot restore) and the watch starts over.
	// Event indexes are hashes of event IDs and have no order.
	ordered bool
}

// readFunc reads the view once with the blocking options q and returns it
// as a value to marshal to JSON.
type readFunc func(q *api.QueryOptions) (any, *api.QueryMeta, error)

// Parse checks p and returns its Plan.
func Parse(p Params) (*Plan, error) {
	takes, ok := Types[p.Type]
	switch {
	case p.Type == "":
		return nil, fmt.Errorf("watch type is required (%s)", typeNames)
	case !ok:
		return nil, fmt.Errorf("unknown watch type %q (want %s)", p.Type, typeNames)
	}
	for _, name := range p.given() {
		if !slices.Contains(takes, name) {
			return nil, fmt.Errorf("%s cannot be used with watch type %q", name, p.Type)
		}
	}
	if p.Stale && p.Type == "event" {
		return nil, fmt.Errorf("stale cannot be used with watch type \"event\": events are the agent's own")
	}
	plan := &Plan{params: p, ordered: true}
	switch p.Type {
	case "key":
		if p.Key == "" {
			return nil, fmt.Errorf("watch type \"key\" requires key")
		}
		plan.newRead = keyRead(strings.TrimPrefix(p.Key, "/"))
	case "keyprefix":
		plan.newRead = keyPrefixRead(strings.TrimPrefix(p.Prefix, "/"))
	case "services":
		plan.newRead = servicesRead
	case "nodes":
		plan.newRead = nodesRead
	case "service":
		if p.Service == "" {
			return nil, fmt.Errorf("watch type \"service\" requires service")
		}
		plan.newRead = serviceRead(p.Service, p.Tags, p.PassingOnly)
	case "checks":
		if p.Service != "" && p.State != "" {
			return nil, fmt.Errorf("watch type \"checks\" takes service or state, not both")
		}
		switch p.State {
		case "", "any", api.HealthPassing, api.HealthWarning, api.HealthCritical:
		default:
			return nil, fmt.Errorf("invalid state %q (want any, passing, warning or critical)", p.State)
		}
		plan.newRead = checksRead(p.Service, p.State)
	case "event":
		plan.newRead = eventRead(p.Name)
		plan.ordered = false
	}
	return plan, nil
}

// given returns the names of the type parameters p sets.
func (p Params) given() []string {
	var names []string
	for name, set := range map[string]bool{
		"key": p.Key != "", "prefix": p.Prefix != "", "service": p.Service != "", "tag": len(p.Tags) > 0,
		"passingonly": p.PassingOnly, "state": p.State != "", "name": p.Name != "",
	} {
		if set {
			names = append(names, name)
		}
	}
	slices.Sort(names) // report the same one every time
	return names
}

// Params returns the parameters p was parsed from.
func (p *Plan) Params() Params { return p.params }

// Handler is told of each change: index is the query index that returned
// it and data the view's JSON, ending in a newline. Run calls it from its
// own goroutine, one change at a time, and reports an error it returns;
// ctx ends when the watch stops. It must not keep data.
type Handler func(ctx context.Context, index uint64, data []byte) error

// Options tune Run; zero fields take the defaults.
type Options struct {
	Wait     time.Duration // how long one blocking query waits (DefaultWait)
	RetryMin time.Duration // the pause after a failed query (1s), doubled on each failure in a row
	RetryMax time.Duration // up to this (30s)

	// OnError is told of each failed query (a *QueryError) and each error
	// a handler returned; nil drops them. It runs on Run's goroutine.
	OnError func(err error)
}

// Default timings of Options.
const (
	DefaultWait     = 5 * time.Minute // the servers' default (Consul's)
	DefaultRetryMin = time.Second
	DefaultRetryMax = 30 * time.Second
)

// QueryError is a failed query; the watch retries after Retry.
type QueryError struct {
	Err   error
	Retry time.Duration
}

func (e *QueryError) Error() string {
	return fmt.Sprintf("cannot query the agent: %v (retrying in %v)", e.Err, e.Retry)
}

func (e *QueryError) Unwrap() error { return e.Err }

// Run reads the view with c and calls h with it, then with each change,
// until ctx ends. Requests carry ctx, so a parked blocking query ends with
// it.
//
//  1. The first query does not block; its result is always handled.
//  2. Each next query blocks on the last index for up to o.Wait.
//  3. A result whose index equals the last one is dropped (the wait timed
//     out); so is one whose JSON equals the last handled (the index moved
//     for a write that left this view as it was).
//  4. If an ordered index goes backwards (a restored snapshot, a new
//     cluster) the next query starts over from index 0.
//  5. A failed query is reported and retried after a pause that doubles
//     from o.RetryMin up to o.RetryMax.
func (p *Plan) Run(ctx context.Context, c *api.Client, h Handler, o Options) {
	o = o.withDefaults()
	read := p.newRead(c.WithContext(ctx))
	var (
		index    uint64
		last     []byte
		reported bool
		retry    time.Duration
	)
	for ctx.Err() == nil {
		q := &api.QueryOptions{AllowStale: p.params.Stale, MinQueryIndex: index}
		if index > 0 {
			q.MaxQueryTime = o.Wait
		}
		view, meta, err := read(q)
		if err == nil && meta == nil {
			err = fmt.Errorf("no query metadata in reply")
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			retry = min(max(2*retry, o.RetryMin), o.RetryMax)
			o.OnError(&QueryError{Err: err, Retry: retry})
			if !sleepCtx(ctx, retry) {
				return
			}
			continue
		}
		retry = 0

		next := max(meta.LastIndex, 1) // never 0 from a sound agent; do not spin without blocking
		if reported && next == index {
			continue
		}
		if p.ordered && next < index {
			next = 0
		}
		index = next

		data, err := json.Marshal(view)
		if err != nil {
			o.OnError(fmt.Errorf("cannot encode watch data: %w", err))
			continue
		}
		data = append(data, '\n')
		if reported && bytes.Equal(data, last) {
			continue
		}
		last, reported = data, true
		if err := h(ctx, meta.LastIndex, data); err != nil && ctx.Err() == nil {
			o.OnError(err)
		}
	}
}

func (o Options) withDefaults() Options {
	if o.Wait <= 0 {
		o.Wait = DefaultWait
	}
	if o.RetryMin <= 0 {
		o.RetryMin = DefaultRetryMin
	}
	if o.RetryMax < o.RetryMin {
		o.RetryMax = max(DefaultRetryMax, o.RetryMin)
	}
	if o.OnError == nil {
		o.OnError = func(error) {}
	}
	return o
}

// sleepCtx waits d and reports true, or reports false if ctx ends first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
