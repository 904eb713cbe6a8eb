package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/acl"
	"github.com/concordhq/concord/internal/call"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
)

// maxMessage bounds one call's request or reply: a KV list of a large
// prefix can be big, but not unbounded.
const maxMessage = 256 << 20

const fullMethod = "/concord.RPC/Call"

// Dispatch runs one call received over the wire: the method's name and
// its JSON arguments, with the call's token in ctx (call.TokenFrom); it
// returns the result to encode.
type Dispatch func(ctx context.Context, method string, args json.RawMessage) (any, error)

// Server answers RPC calls through a Dispatch.
type Server struct {
	grpc     *grpc.Server
	dispatch Dispatch
}

// NewServer returns a server for dispatch; Serve starts it.
func NewServer(dispatch Dispatch) *Server {
	s := &Server{dispatch: dispatch}
	s.grpc = grpc.NewServer(
		grpc.ForceServerCodecV2(codec{}),
		grpc.MaxRecvMsgSize(maxMessage),
		grpc.MaxSendMsgSize(maxMessage),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}),
	)
	s.grpc.RegisterService(&grpc.ServiceDesc{
		ServiceName: "concord.RPC",
		HandlerType: (*any)(nil),
		Methods:     []grpc.MethodDesc{{MethodName: "Call", Handler: s.handle}},
	}, s)
	return s
}

// Serve accepts calls on ln until Stop.
func (s *Server) Serve(ln net.Listener) error { return s.grpc.Serve(ln) }

// Stop closes every connection and cancels calls in flight.
func (s *Server) Stop() { s.grpc.Stop() }

func (s *Server) handle(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
	var req request
	if err := dec(&req); err != nil {
		return nil, err
	}
	ctx = call.WithDatacenter(call.WithToken(ctx, req.Token), req.Datacenter)
	out, err := s.dispatch(ctx, req.Method, req.Args)
	if err != nil {
		return &reply{Err: toWire(err)}, nil
	}
	data, isBinary, err := encodeResult(out)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "rpc: cannot encode result of %s: %v", req.Method, err)
	}
	return &reply{Result: data, Binary: isBinary}, nil
}

// Pool keeps one connection per server address and makes calls on it.
type Pool struct {
	source net.IP // dial from this address; set before the first call
	tls    TLS    // or nil for plain connections; set before the first call

	mu     sync.Mutex
	conns  map[string]*grpc.ClientConn // by address; guarded by mu
	closed bool                        // guarded by mu
}

// NewPool returns an empty pool.
func NewPool() *Pool { return &Pool{conns: map[string]*grpc.ClientConn{}} }

// SetSourceIP makes the pool dial from ip (see NewMux). Call it before
// any call.
func (p *Pool) SetSourceIP(ip net.IP) { p.source = ip }

// SetTLS makes the pool dial servers with t's client configuration (see
// TLS). Call it before any call.
func (p *Pool) SetTLS(t TLS) { p.tls = t }

func (p *Pool) conn(addr string) (*grpc.ClientConn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, errClosed
	}
	if c, ok := p.conns[addr]; ok {
		return c, nil
	}
	c, err := grpc.NewClient("passthrough:///"+addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(codec{}),
			grpc.MaxCallRecvMsgSize(maxMessage), grpc.MaxCallSendMsgSize(maxMessage)),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: 10 * time.Second, Timeout: 5 * time.Second, PermitWithoutStream: true}),
		// Servers restart within seconds; gRPC's default backoff (up to two
		// minutes) would keep a restarted one out of reach for long.
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 50 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second},
			MinConnectTimeout: 2 * time.Second,
		}),
		grpc.WithStatsHandler(sendTracker{}),
		grpc.WithContextDialer(func(ctx context.Context, a string) (net.Conn, error) {
			return dial(ctx, a, p.source, p.tls)
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("rpc: cannot set up connection to %s: %w", addr, err)
	}
	p.conns[addr] = c
	return c, nil
}

// Call runs method on the server at addr with args and decodes the result
// into out (which may be nil). The token and the datacenter ctx carries
// (call.TokenFrom, call.DatacenterFrom) go with it.
func (p *Pool) Call(ctx context.Context, addr, method string, args, out any) error {
	c, err := p.conn(addr)
	if err != nil {
		return err
	}
	data, err := json.Marshal(args)
	if err != nil {
		return fmt.Errorf("rpc: cannot encode arguments of %s: %w", method, err)
	}
	var rep reply
	sent := new(atomic.Bool)
	token, _ := call.TokenFrom(ctx)
	req := &request{Method: method, Args: data, Token: token, Datacenter: call.DatacenterFrom(ctx)}
	if err := c.Invoke(context.WithValue(ctx, sentKey{}, sent), fullMethod, req, &rep); err != nil {
		// The next call dials at once rather than fail fast until the
		// backoff ends: the server may be back already (a restart).
		c.ResetConnectBackoff()
		return transportError{addr: addr, err: err, sent: sent.Load()}
	}
	if rep.Err != nil {
		return rep.Err.toError()
	}
	if out == nil || len(rep.Result) == 0 {
		return nil
	}
	if rep.Binary {
		return decodeBinary(rep.Result, out)
	}
	return json.Unmarshal(rep.Result, out)
}

// Close closes every connection.
func (p *Pool) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	var errs []error
	for addr, c := range p.conns {
		errs = append(errs, c.Close())
		delete(p.conns, addr)
	}
	return errors.Join(errs...)
}

// transportError is a call that failed on the way. Unless sent is false,
// the server may or may not have run it.
type transportError struct {
	addr string
	err  error
	sent bool // gRPC handed the call to a connection (see sendTracker)
}

func (e transportError) Error() string { return fmt.Sprintf("rpc error with %s: %v", e.addr, e.err) }
func (e transportError) Unwrap() error { return e.err }

// NotSent reports whether a failed call certainly never reached the
// server, so that even a write may be tried elsewhere: gRPC never handed
// it to a connection (none could be dialed, or the connection was failing
// and the call failed fast, or the context ended while it waited for one).
func NotSent(err error) bool {
	var te transportError
	return errors.As(err, &te) && !te.sent
}

// sentKey is the context key of a call's sent flag, which sendTracker sets.
type sentKey struct{}

// sendTracker is the stats handler the pool installs on its connections.
// gRPC reports stats.OutHeader to it (on the calling goroutine) once a
// call's headers are queued on a connection, before any of the call can be
// written; it then sets the call's sent flag. A call whose flag is still
// false when it fails was never sent.
type sendTracker struct{}

func (sendTracker) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context   { return ctx }
func (sendTracker) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (sendTracker) HandleConn(context.Context, stats.ConnStats)                       {}

func (sendTracker) HandleRPC(ctx context.Context, s stats.RPCStats) {
	if _, ok := s.(*stats.OutHeader); !ok {
		return
	}
	if sent, ok := ctx.Value(sentKey{}).(*atomic.Bool); ok {
		sent.Store(true)
	}
}

// IsTransport reports whether err is a failure to reach a server (rather
// than an answer from it). Reads may be retried elsewhere; writes may have
// been applied, so they are not.
func IsTransport(err error) bool {
	var te transportError
	return errors.As(err, &te)
}

// wireError carries an error and its kind, so that the HTTP layer answers
// a forwarded call with the same status and text as a local one.
type wireError struct {
	Kind    string
	Message string
	// RetryAfter is a rate-limited call's call.RateLimitError.RetryAfter.
	RetryAfter time.Duration `json:",omitempty"`
}

func toWire(err error) *wireError {
	var (
		bad      api.BadRequestError
		large    api.TooLargeError
		notFound api.NotFoundError
		limited  call.RateLimitError
	)
	switch {
	case errors.As(err, &limited):
		return &wireError{Kind: "rate-limited", Message: err.Error(), RetryAfter: limited.RetryAfter}
	case errors.As(err, &bad):
		return &wireError{Kind: "bad-request", Message: err.Error()}
	case errors.As(err, &large):
		return &wireError{Kind: "too-large", Message: err.Error()}
	case errors.As(err, &notFound):
		return &wireError{Kind: "not-found", Message: err.Error()}
	}
	for kind, sentinel := range sentinels {
		if errors.Is(err, sentinel) {
			return &wireError{Kind: kind, Message: err.Error()}
		}
	}
	return &wireError{Message: err.Error()}
}

var sentinels = map[string]error{
	"no-leader":     api.ErrNoLeader,
	"not-leader":    call.ErrNotLeader,
	"unknown-dc":    api.ErrUnknownDC,
	"shutting-down": api.ErrShuttingDown,
	// A denial keeps its own text (it names the token and the rule).
	"permission-denied": acl.ErrPermissionDenied,
	"acl-not-found":     acl.ErrNotFound,
	"acl-disabled":      acl.ErrDisabled,
}

func (e *wireError) toError() error {
	switch e.Kind {
	case "bad-request":
		return api.BadRequestError{Reason: e.Message}
	case "too-large":
		return api.TooLargeError{Reason: e.Message}
	case "not-found":
		return api.NotFoundError{Reason: e.Message}
	case "rate-limited":
		return call.RateLimitError{Reason: e.Message, RetryAfter: e.RetryAfter}
	}
	if s, ok := sentinels[e.Kind]; ok {
		if e.Message == s.Error() {
			return s
		}
		return kindError{msg: e.Message, kind: s}
	}
	return errors.New(e.Message)
}

// kindError is a sentinel that the server wrapped with more text: the text
// is kept, and errors.Is still finds the sentinel.
type kindError struct {
	msg  string
	kind error
}

func (e kindError) Error() string { return e.msg }
func (e kindError) Unwrap() error { return e.kind }

// Reachable is false when the connection to addr is known to be failing,
// so a call there would not even be sent.
func (p *Pool) Reachable(addr string) bool {
	c, err := p.conn(addr)
	return err == nil && c.GetState() != connectivity.TransientFailure
}
