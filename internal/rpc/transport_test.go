package rpc

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
)

// testServer is a Server on a loopback port that counts the calls it
// receives and answers each through its answer func.
type testServer struct {
	addr   string
	calls  atomic.Int32
	answer func(ctx context.Context, s *testServer, args json.RawMessage) (any, error)

	mu    sync.Mutex
	conns []net.Conn // accepted so far; guarded by mu
}

// startServer serves answer on 127.0.0.1 until the test ends.
func startServer(t *testing.T, answer func(ctx context.Context, s *testServer, args json.RawMessage) (any, error)) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &testServer{addr: ln.Addr().String(), answer: answer}
	srv := NewServer(func(ctx context.Context, _ string, args json.RawMessage) (any, error) {
		s.calls.Add(1)
		return s.answer(ctx, s, args)
	})
	go srv.Serve(trackingListener{ln, s})
	t.Cleanup(srv.Stop)
	return s
}

// trackingListener records the connections it accepts, so that a test
// can cut them in the middle of a call.
type trackingListener struct {
	net.Listener
	s *testServer
}

func (l trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.s.mu.Lock()
		l.s.conns = append(l.s.conns, c)
		l.s.mu.Unlock()
	}
	return c, err
}

// echo answers a call with its arguments.
func echo(_ context.Context, _ *testServer, args json.RawMessage) (any, error) { return args, nil }

// drop cuts the server's connections once it has received the call, so
// the caller sees a transport error for a call that was sent.
func drop(ctx context.Context, s *testServer, _ json.RawMessage) (any, error) {
	s.mu.Lock()
	for _, c := range s.conns {
		c.Close()
	}
	s.conns = nil
	s.mu.Unlock()
	<-ctx.Done()
	return nil, ctx.Err()
}

// answerErr answers every call with err.
func answerErr(err error) func(context.Context, *testServer, json.RawMessage) (any, error) {
	return func(context.Context, *testServer, json.RawMessage) (any, error) { return nil, err }
}

// deadAddr returns a loopback address that nothing listens on.
func deadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func newPool(t *testing.T) *Pool {
	t.Helper()
	p := NewPool()
	t.Cleanup(func() { p.Close() })
	return p
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestPoolCall(t *testing.T) {
	t.Parallel()
	s := startServer(t, echo)
	p := newPool(t)
	var out []string
	if err := p.Call(testContext(t), s.addr, "test.Echo", []string{"a", "b"}, &out); err != nil {
		t.Fatalf("Call = %v", err)
	}
	if strings.Join(out, ",") != "a,b" {
		t.Errorf("Call result = %q, want [a b]", out)
	}
}

// TestNotSent checks which failed calls NotSent calls unsent: those that
// never reached a connection, and not those cut after they were sent.
func TestNotSent(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	p := newPool(t)
	dead := deadAddr(t)
	for _, attempt := range []string{"first dial", "connection failing"} {
		err := p.Call(ctx, dead, "test.Write", nil, nil)
		if !IsTransport(err) || !NotSent(err) {
			t.Errorf("%s: Call(nothing listening) = %v: IsTransport %v, NotSent %v, want both", attempt, err, IsTransport(err), NotSent(err))
		}
	}

	s := startServer(t, drop)
	err := p.Call(ctx, s.addr, "test.Write", nil, nil)
	if !IsTransport(err) || NotSent(err) {
		t.Errorf("Call(connection cut mid-call) = %v: IsTransport %v, NotSent %v, want a transport error that may have been sent", err, IsTransport(err), NotSent(err))
	}

	// The deadline passes while the server runs the call (arguments true;
	// the first call sets up the connection). The handler outlasts the
	// call rather than end with its own context: the deadline the server
	// sees comes a little before the client's, and an answer sent then
	// (the context's error) could reach the client first.
	release := make(chan struct{})
	hang := startServer(t, func(ctx context.Context, _ *testServer, args json.RawMessage) (any, error) {
		if string(args) == "true" {
			<-release
		}
		return nil, nil
	})
	t.Cleanup(func() { close(release) }) // before the server stops (cleanups run last first)
	if err := p.Call(ctx, hang.addr, "test.Write", false, nil); err != nil {
		t.Fatalf("Call = %v", err)
	}
	wait, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	err = p.Call(wait, hang.addr, "test.Write", true, nil)
	if !IsTransport(err) || NotSent(err) {
		t.Errorf("Call(deadline during the call) = %v: IsTransport %v, NotSent %v, want a transport error that may have been sent", err, IsTransport(err), NotSent(err))
	}

	if err := p.Call(ctx, startServer(t, answerErr(api.ErrNoLeader)).addr, "test.Write", nil, nil); IsTransport(err) || NotSent(err) {
		t.Errorf("Call(server answers an error) = %v: IsTransport %v, NotSent %v, want neither", err, IsTransport(err), NotSent(err))
	}
}
