package rpc

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/concordhq/concord/internal/call"
)

// ErrNoServers is returned by a client agent that knows no server yet.
var ErrNoServers = errors.New("No known Consul servers")

// Router is a client agent's Caller: it sticks to one server and moves to
// another when that one cannot be reached. Reads that fail on the way are
// retried on the next server; writes only when they were certainly never
// sent (NotSent), since otherwise the first server may have applied them.
type Router struct {
	pool    *Pool
	servers func() []string // the live servers' RPC addresses

	mu      sync.Mutex
	current string // the server in use; guarded by mu
}

// NewRouter returns a router over pool that asks servers for the list of
// live servers each time it must choose.
func NewRouter(pool *Pool, servers func() []string) *Router {
	return &Router{pool: pool, servers: servers}
}

var _ call.Caller = (*Router)(nil)

// Call sends the call to the current server, moving on as described. When
// every live server has failed to take a call that may be resent, it goes
// round once more after a short pause: a server that restarted a moment
// ago may have been skipped while its connection was still backing off.
func (r *Router) Call(ctx context.Context, d *call.Desc, args, out any) error {
	read := d.IsRead(args)
	tried := map[string]bool{}
	var lastErr error
	for round := 1; ; {
		addr := r.pick(tried)
		if addr == "" {
			switch {
			case lastErr == nil:
				return ErrNoServers
			case round == routerRounds:
				return lastErr
			}
			round++
			clear(tried)
			select {
			case <-ctx.Done():
				return lastErr
			case <-time.After(routerPause):
			}
			continue
		}
		tried[addr] = true
		err := r.pool.Call(ctx, addr, d.Name, args, out)
		if err == nil || !IsTransport(err) || ctx.Err() != nil {
			return err
		}
		r.forget(addr)
		lastErr = err
		if !read && !NotSent(err) {
			return err
		}
	}
}

// A client agent goes round its servers at most routerRounds times per
// call, routerPause apart.
const (
	routerRounds = 3
	routerPause  = 100 * time.Millisecond
)

// pick returns the current server unless tried or unreachable, else a
// random untried live one ("" when none is left).
func (r *Router) pick(tried map[string]bool) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.current != "" && !tried[r.current] && r.reachable(r.current) {
		return r.current
	}
	live := slices.DeleteFunc(r.servers(), func(a string) bool { return tried[a] })
	rand.Shuffle(len(live), func(i, j int) { live[i], live[j] = live[j], live[i] })
	// Prefer a server whose connection is not known to be down: a call
	// there is not sent at all, so even a write can move on safely.
	for _, a := range live {
		if r.reachable(a) {
			r.current = a
			return a
		}
	}
	if len(live) > 0 {
		r.current = live[0]
		return live[0]
	}
	return ""
}

func (r *Router) reachable(addr string) bool { return r.pool.Reachable(addr) }

func (r *Router) forget(addr string) {
	r.mu.Lock()
	if r.current == addr {
		r.current = ""
	}
	r.mu.Unlock()
}
