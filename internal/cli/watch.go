package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/concordhq/concord/api"
)

const watchUsage = `
Usage: concord watch -type=TYPE [options] [HANDLER...]

  Watches a view of the catalog, the health checks or the KV store with
  blocking queries. It fetches the view once at start, then again each time
  the agent says it may have changed, and reports it only when its JSON
  differs from the last one reported.

  Without HANDLER each change is printed to stdout as indented JSON. With
  HANDLER, "sh -c 'HANDLER...'" runs for each change with the JSON on its
  stdin and CONSUL_INDEX set to the query index; a handler that fails is
  reported on stderr and the watch goes on.

  Types and their options:

      key         -key=KEY            the pair at KEY, or null
      keyprefix   -prefix=PREFIX      the pairs under PREFIX
      services                        service names and their tags
      nodes                           the nodes of the catalog
      service     -service=NAME [-tag=TAG...] [-passingonly]
                                      the health entries of a service
      checks      [-service=NAME | -state=STATE]
                                      health checks, by service or by state
                                      (any, passing, warning or critical)

      $ concord watch -type=key -key=config/web ./reload.sh
      $ concord watch -type=service -service=web -passingonly
`

// Default watch timings: how long one blocking query waits for a change,
// and the bounds of the pause after a failed query, which doubles on each
// failure in a row.
const (
	watchWait     = api.DefaultQueryTime
	watchRetryMin = time.Second
	watchRetryMax = 30 * time.Second
)

// watchFlags are the options that pick what a watch reads.
type watchFlags struct {
	typ, key, prefix, service, state string
	tags                             listFlag
	passingOnly                      bool
}

// watchTypeFlags are the options each watch type takes; any other option of
// watchFlags is refused, as consul refuses unknown watch parameters.
var watchTypeFlags = map[string][]string{
	"key":       {"key"},
	"keyprefix": {"prefix"},
	"services":  {},
	"nodes":     {},
	"service":   {"service", "tag", "passingonly"},
	"checks":    {"service", "state"},
}

// watchParamNames are all the options that depend on the type.
var watchParamNames = []string{"key", "prefix", "service", "tag", "passingonly", "state"}

// runWatch is `concord watch`.
func runWatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet(watchUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	var wf watchFlags
	fs.StringVar(&wf.typ, "type", "", "What to watch: key, keyprefix, services, nodes, service or checks.")
	fs.StringVar(&wf.key, "key", "", "The key to watch, for -type=key.")
	fs.StringVar(&wf.prefix, "prefix", "", "The key prefix to watch, for -type=keyprefix.")
	fs.StringVar(&wf.service, "service", "", "The service to watch, for -type=service and -type=checks.")
	fs.Var(&wf.tags, "tag", "A `tag` the service instances must have, for -type=service; may be given more than once.")
	fs.BoolVar(&wf.passingOnly, "passingonly", false, "Only instances whose checks all pass, for -type=service.")
	fs.StringVar(&wf.state, "state", "", "The check state to watch, for -type=checks: any, passing, warning or critical.")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	c, ok := connect(ctx, &hf, stderr)
	if !ok {
		return 1
	}
	fetch, err := watchFetcher(c, &wf, setFlags(fs, watchParamNames))
	if err != nil {
		fmt.Fprintf(stderr, "Error! %v\n", err)
		return 1
	}

	w := &watcher{
		fetch:    fetch,
		stale:    hf.stale,
		wait:     watchWait,
		retryMin: watchRetryMin,
		retryMax: watchRetryMax,
		stderr:   stderr,
		emit:     printChange(stdout),
	}
	if fs.NArg() > 0 {
		w.emit = handlerChange(ctx, fs.Args(), stdout, stderr)
	}
	w.run(ctx)
	return 0
}

// watchFetch reads the watched view once with the blocking options q. The
// view is returned as a value to marshal to JSON.
type watchFetch func(q *api.QueryOptions) (any, *api.QueryMeta, error)

// watchFetcher checks the options of wf against its type, whose options
// given are set, and returns the read for that type.
func watchFetcher(c *api.Client, wf *watchFlags, set []string) (watchFetch, error) {
	switch wf.typ {
	case "":
		return nil, fmt.Errorf("-type is required (key, keyprefix, services, nodes, service or checks)")
	case "event":
		return nil, fmt.Errorf("watch type \"event\" is not supported yet: Concord has no user events")
	}
	allowed, ok := watchTypeFlags[wf.typ]
	if !ok {
		return nil, fmt.Errorf("unknown watch type %q (want key, keyprefix, services, nodes, service or checks)", wf.typ)
	}
	for _, name := range set {
		if !containsString(allowed, name) {
			return nil, fmt.Errorf("-%s cannot be used with -type=%s", name, wf.typ)
		}
	}

	switch wf.typ {
	case "key":
		if wf.key == "" {
			return nil, fmt.Errorf("-type=key requires -key")
		}
		key := strings.TrimPrefix(wf.key, "/")
		return func(q *api.QueryOptions) (any, *api.QueryMeta, error) {
			return c.KV().Get(key, q)
		}, nil
	case "keyprefix":
		if !containsString(set, "prefix") {
			return nil, fmt.Errorf("-type=keyprefix requires -prefix (-prefix= watches the whole store)")
		}
		prefix := strings.TrimPrefix(wf.prefix, "/")
		return func(q *api.QueryOptions) (any, *api.QueryMeta, error) {
			pairs, meta, err := c.KV().List(prefix, q)
			return nonNil(pairs), meta, err
		}, nil
	case "services":
		return func(q *api.QueryOptions) (any, *api.QueryMeta, error) {
			services, meta, err := c.Catalog().Services(q)
			if services == nil {
				services = map[string][]string{}
			}
			return services, meta, err
		}, nil
	case "nodes":
		return func(q *api.QueryOptions) (any, *api.QueryMeta, error) {
			nodes, meta, err := c.Catalog().Nodes(q)
			return nonNil(nodes), meta, err
		}, nil
	case "service":
		if wf.service == "" {
			return nil, fmt.Errorf("-type=service requires -service")
		}
		name, tags, passing := wf.service, []string(wf.tags), wf.passingOnly
		return func(q *api.QueryOptions) (any, *api.QueryMeta, error) {
			entries, meta, err := c.Health().Service(name, tags, passing, q)
			return nonNil(entries), meta, err
		}, nil
	default: // checks
		if wf.service != "" && wf.state != "" {
			return nil, fmt.Errorf("-type=checks takes -service or -state, not both")
		}
		if wf.service != "" {
			name := wf.service
			return func(q *api.QueryOptions) (any, *api.QueryMeta, error) {
				checks, meta, err := c.Health().Checks(name, q)
				return nonNil(checks), meta, err
			}, nil
		}
		state := wf.state
		switch state {
		case "":
			state = "any"
		case "any", api.HealthPassing, api.HealthWarning, api.HealthCritical:
		default:
			return nil, fmt.Errorf("invalid -state %q (want any, passing, warning or critical)", state)
		}
		return func(q *api.QueryOptions) (any, *api.QueryMeta, error) {
			checks, meta, err := c.Health().State(state, q)
			return nonNil(checks), meta, err
		}, nil
	}
}

// nonNil returns s, or an empty slice for nil, so that an empty list is
// reported as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// containsString reports whether list holds s.
func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// watcher runs one watch: a loop of blocking queries that reports each
// change of the view.
type watcher struct {
	fetch              watchFetch    // non-nil
	stale              bool          // let any server answer
	wait               time.Duration // how long one blocking query waits
	retryMin, retryMax time.Duration // bounds of the pause after a failure
	stderr             io.Writer     // failed queries are reported here
	// emit is called from run's goroutine, one change at a time, with the
	// compact JSON of the view (ending in a newline) and the query index
	// that returned it. It must not keep data.
	emit func(data []byte, index uint64)
}

// run fetches and reports the view, then reports each change of it, until
// ctx ends.
//
//  1. The first query does not block; its result is always reported.
//  2. Each next query blocks on the last index for up to w.wait.
//  3. A result is reported only if its JSON differs from the last one
//     reported, so a query that timed out, or was woken by a write that left
//     the view as it was, reports nothing.
//  4. If the index goes backwards (a restored snapshot, a new cluster) the
//     next query starts over from index 0.
//  5. A failed query is reported on stderr and retried after a pause that
//     doubles from w.retryMin up to w.retryMax.
func (w *watcher) run(ctx context.Context) {
	var (
		index    uint64
		last     []byte
		reported bool
		retry    time.Duration
	)
	for ctx.Err() == nil {
		q := &api.QueryOptions{AllowStale: w.stale, MinQueryIndex: index}
		if index > 0 {
			q.MaxQueryTime = w.wait
		}
		view, meta, err := w.fetch(q)
		if err == nil && meta == nil {
			err = fmt.Errorf("no query metadata in reply")
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			retry = min(max(2*retry, w.retryMin), w.retryMax)
			fmt.Fprintf(w.stderr, "Error querying agent: %v (retrying in %v)\n", err, retry)
			if !sleepCtx(ctx, retry) {
				return
			}
			continue
		}
		retry = 0

		switch {
		case meta.LastIndex < index:
			index = 0
		case meta.LastIndex == 0:
			index = 1 // never 0 from a sound agent; do not spin without blocking
		default:
			index = meta.LastIndex
		}

		data, err := json.Marshal(view)
		if err != nil {
			fmt.Fprintf(w.stderr, "Error encoding watch data: %v\n", err)
			continue
		}
		data = append(data, '\n')
		if reported && bytes.Equal(data, last) {
			continue
		}
		last, reported = data, true
		w.emit(data, meta.LastIndex)
	}
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

// printChange returns an emit that prints each change to stdout as
// indented JSON.
func printChange(stdout io.Writer) func([]byte, uint64) {
	return func(data []byte, _ uint64) {
		var buf bytes.Buffer
		if err := json.Indent(&buf, data, "", "    "); err != nil {
			buf.Reset()
			buf.Write(data)
		}
		stdout.Write(buf.Bytes())
	}
}

// handlerChange returns an emit that runs handler through the shell for
// each change, with the JSON on its stdin, and waits for it. A failure is
// reported on stderr; an interrupted watch stops the running handler.
func handlerChange(ctx context.Context, handler []string, stdout, stderr io.Writer) func([]byte, uint64) {
	return func(data []byte, index uint64) {
		cmd := childCommand(handler, true)
		ownGroup(cmd)
		idx := strconv.FormatUint(index, 10)
		cmd.Env = append(os.Environ(), "CONSUL_INDEX="+idx, "CONCORD_INDEX="+idx)
		cmd.Stdin = bytes.NewReader(data)
		cmd.Stdout, cmd.Stderr = stdout, stderr
		cmd.WaitDelay = time.Second
		if err := cmd.Start(); err != nil {
			fmt.Fprintf(stderr, "Error starting handler: %v\n", err)
			return
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		select {
		case err := <-exited:
			if err != nil {
				fmt.Fprintf(stderr, "Error running handler: %v\n", err)
			}
		case <-ctx.Done():
			stopChild(cmd.Process, exited)
		}
	}
}
