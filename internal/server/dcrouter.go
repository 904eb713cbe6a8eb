package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
	"github.com/concordhq/concord/internal/rpc"
	"github.com/hashicorp/serf/coordinate"
)

// Datacenter routing. Every server is in the WAN pool with the servers of
// the other datacenters (the agent runs it and hands the server a view of
// it, SetWAN). A call made in another datacenter (call.WithDatacenter, as
// the HTTP API's ?dc sets it) is forwarded by CallDC to a live server of
// that datacenter over the server RPC; the call carries its datacenter
// and token, so that server answers it as its own — access control with
// its own ACLs, leader forwarding inside its datacenter.

// WANServer is a server of some datacenter as the WAN pool sees it.
type WANServer struct {
	Name       string // "<node>.<datacenter>"
	Datacenter string
	Addr       string                 // host:port of its server port (RPC)
	Alive      bool                   // false once the pool has found it failed
	Coord      *coordinate.Coordinate // its WAN coordinate, nil until heard
}

// WAN is the WAN pool as the server routes by it. Both methods may be
// called at any time, from any goroutine.
type WAN interface {
	// Servers lists every server of every datacenter the pool knows
	// (this one included), except those that left.
	Servers() []WANServer
	// Coordinate is this server's own WAN coordinate.
	Coordinate() (*coordinate.Coordinate, error)
}

// wanRef holds the WAN view, set once the agent has started the pool.
type wanRef struct {
	mu  sync.Mutex
	wan WAN // nil without a WAN pool; guarded by mu
}

// SetWAN gives the server its view of the WAN pool; without one, the
// server knows only its own datacenter.
func (s *Server) SetWAN(w WAN) {
	s.wan.mu.Lock()
	s.wan.wan = w
	s.wan.mu.Unlock()
}

func (s *Server) wanView() WAN {
	s.wan.mu.Lock()
	defer s.wan.mu.Unlock()
	return s.wan.wan
}

// wanServers lists the WAN pool's servers, none without a pool.
func (s *Server) wanServers() []WANServer {
	if w := s.wanView(); w != nil {
		return w.Servers()
	}
	return nil
}

// CallDC makes the call d with args (its *A) in datacenter dc and stores
// the result in out (its *R): through this server's endpoint when dc is
// "" or this datacenter, else at a live server of dc. It is the one way
// to reach another datacenter (DNS and prepared-query failover build on
// it). The token in ctx goes with the call. An unknown datacenter, or one
// none of whose servers is alive, is api.ErrUnknownDC ("No path to
// datacenter"), as in Consul.
func (s *Server) CallDC(ctx context.Context, dc string, d *call.Desc, args, out any) error {
	return s.Endpoint().Call(call.WithDatacenter(ctx, dc), d, args, out)
}

// remote reports whether dc names another datacenter than this server's.
func (s *Server) remote(dc string) bool { return dc != "" && dc != s.cfg.Datacenter }

// A read forwarded to another datacenter gets dcCallTimeout from one of
// its servers, besides its own wait when it is a blocking read; a write
// dcWriteTimeout (time for the remote leader's election, holdTimeout, and
// its Raft apply), as do a snapshot and a keyring operation (a gossip
// query waits some seconds for members that do not answer). A server that stopped answering
// without closing its connections (a frozen process, a cut link) would
// otherwise hold the call until gRPC's keepalive notices, some 15 s. A
// server that let a call time out is tried last by the calls of the next
// dcSlowFor, while the WAN pool decides whether it failed.
const (
	dcCallTimeout  = 3 * time.Second
	dcWriteTimeout = 10 * time.Second
	dcSlowFor      = 10 * time.Second
)

// forwardDC sends a call for datacenter dc to one of its live servers,
// trying the next when one cannot be reached or does not answer in time:
// a read always, a write only when it was certainly never sent. Servers
// whose connection is known to be down, or that lately did not answer,
// are tried last, so a datacenter whose servers all died fails in one
// round of refused connections, without waiting.
func (s *Server) forwardDC(ctx context.Context, dc string, d *call.Desc, args, out any) error {
	addrs := s.dcServers(dc)
	if len(addrs) == 0 {
		return api.ErrUnknownDC
	}
	read := d.IsRead(args)
	timeout := dcTimeout(d, args)
	var err error
	for _, addr := range addrs {
		err = s.forwardTo(ctx, addr, timeout, d, args, out)
		if !unreached(err) || ctx.Err() != nil || (!read && !rpc.NotSent(err)) {
			break
		}
	}
	if unreached(err) && ctx.Err() == nil {
		return fmt.Errorf("no server of datacenter %q can be reached: %w", dc, err)
	}
	return err
}

// forwardTo makes the call at the server addr, giving up after timeout.
// Whatever the call returned once the time is up (the server may have
// answered with the deadline the call carried), it is a dcTimeoutError.
func (s *Server) forwardTo(ctx context.Context, addr string, timeout time.Duration, d *call.Desc, args, out any) error {
	deadline := time.Now().Add(timeout)
	cctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	err := s.pool.Call(cctx, addr, d.Name, args, out)
	// By the clock, not cctx.Err(): the server's answer to the deadline
	// it was sent may come before cctx's own timer has fired.
	if err != nil && ctx.Err() == nil && !time.Now().Before(deadline) {
		s.dcSlow.mark(addr)
		return dcTimeoutError{addr: addr, timeout: timeout, err: err}
	}
	return err
}

// dcTimeoutError is a call to a server of another datacenter that got no
// answer in time. It was sent: a write may have been applied.
type dcTimeoutError struct {
	addr    string
	timeout time.Duration
	err     error
}

func (e dcTimeoutError) Error() string {
	return fmt.Sprintf("server %s did not answer within %v", e.addr, e.timeout)
}
func (e dcTimeoutError) Unwrap() error { return e.err }

// unreached reports whether err says that a server could not be reached
// or did not answer in time, rather than giving an answer.
func unreached(err error) bool {
	var te dcTimeoutError
	return rpc.IsTransport(err) || errors.As(err, &te)
}

// dcTimeout is how long one server of another datacenter has to answer
// the call d with args (see dcCallTimeout).
func dcTimeout(d *call.Desc, args any) time.Duration {
	if !d.IsRead(args) || d == call.SnapshotSave.Desc || d == call.KeyringOperation.Desc {
		return dcWriteTimeout
	}
	q, ok := args.(call.Queried)
	if !ok || q.Options().MinQueryIndex == 0 {
		return dcCallTimeout
	}
	wait := q.Options().MaxQueryTime
	if wait <= 0 {
		wait = call.DefaultQueryTime
	}
	wait = min(wait, call.MaxQueryTime)
	return wait + wait/jitterFraction + dcCallTimeout
}

// slowServers remembers the servers of other datacenters that lately let
// a call time out.
type slowServers struct {
	mu    sync.Mutex
	until map[string]time.Time // address → when to trust it again; guarded by mu
}

func (l *slowServers) mark(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.until == nil {
		l.until = map[string]time.Time{}
	}
	l.until[addr] = time.Now().Add(dcSlowFor)
}

// slow reports whether addr let a call time out within dcSlowFor.
func (l *slowServers) slow(addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, ok := l.until[addr]
	if ok && time.Now().After(t) {
		delete(l.until, addr)
		return false
	}
	return ok
}

// dcServers returns the RPC addresses of dc's live servers in the order
// to try them: at random (spreading the load), those known to be
// unreachable or lately slow last.
func (s *Server) dcServers(dc string) []string {
	var up, down []string
	for _, m := range s.wanServers() {
		if m.Datacenter != dc || !m.Alive {
			continue
		}
		if s.pool.Reachable(m.Addr) && !s.dcSlow.slow(m.Addr) {
			up = append(up, m.Addr)
		} else {
			down = append(down, m.Addr)
		}
	}
	rand.Shuffle(len(up), func(i, j int) { up[i], up[j] = up[j], up[i] })
	return append(up, down...)
}

// Datacenters lists every datacenter the WAN pool knows, this one
// included, nearest first: by the median estimated round trip from this
// server to each datacenter's servers, from WAN coordinates; those
// without coordinates last, by name.
func (s *Server) Datacenters() []string {
	servers := s.wanServers()
	rtts := map[string][]time.Duration{s.cfg.Datacenter: {0}}
	var self *coordinate.Coordinate
	if w := s.wanView(); w != nil {
		self, _ = w.Coordinate()
	}
	for _, m := range servers {
		if _, ok := rtts[m.Datacenter]; !ok {
			rtts[m.Datacenter] = nil
		}
		if self != nil && m.Coord != nil && m.Datacenter != s.cfg.Datacenter {
			rtts[m.Datacenter] = append(rtts[m.Datacenter], self.DistanceTo(m.Coord))
		}
	}
	type dcRTT struct {
		name  string
		rtt   time.Duration
		known bool
	}
	var list []dcRTT
	for name, ds := range rtts {
		e := dcRTT{name: name}
		if len(ds) > 0 {
			slices.Sort(ds)
			e.rtt, e.known = ds[len(ds)/2], true
		}
		list = append(list, e)
	}
	slices.SortFunc(list, func(a, b dcRTT) int {
		if a.known != b.known {
			if a.known {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(a.rtt, b.rtt), strings.Compare(a.name, b.name))
	})
	out := make([]string, len(list))
	for i, e := range list {
		out[i] = e.name
	}
	return out
}

// wanCoordinates returns each datacenter's servers with their WAN
// coordinates, as /v1/coordinate/datacenters lists them, or nil without
// a WAN pool.
func (s *Server) wanCoordinates() []*api.CoordinateDatacenterMap {
	servers := s.wanServers()
	if len(servers) == 0 {
		return nil
	}
	byDC := map[string]*api.CoordinateDatacenterMap{}
	for _, m := range servers {
		dc := byDC[m.Datacenter]
		if dc == nil {
			dc = &api.CoordinateDatacenterMap{Datacenter: m.Datacenter, AreaID: api.AreaWAN, Coordinates: []api.CoordinateEntry{}}
			byDC[m.Datacenter] = dc
		}
		if m.Coord != nil {
			// The node's own name, without the pool's ".<datacenter>":
			// what consul rtt -wan matches <node>.<datacenter> against.
			node := strings.TrimSuffix(m.Name, "."+m.Datacenter)
			dc.Coordinates = append(dc.Coordinates, api.CoordinateEntry{Node: node, Coord: m.Coord})
		}
	}
	out := make([]*api.CoordinateDatacenterMap, 0, len(byDC))
	for _, name := range s.Datacenters() {
		if dc := byDC[name]; dc != nil {
			slices.SortFunc(dc.Coordinates, func(a, b api.CoordinateEntry) int { return strings.Compare(a.Node, b.Node) })
			out = append(out, dc)
		}
	}
	return out
}
