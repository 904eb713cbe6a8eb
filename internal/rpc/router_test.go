package rpc

import (
	"errors"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
)

var (
	readCall  = &call.Desc{Name: "test.Read", Kind: call.Read}
	writeCall = &call.Desc{Name: "test.Write", Kind: call.Write}
)

// newRouter returns a router over the servers' addresses that starts on
// the first of them.
func newRouter(t *testing.T, addrs ...string) *Router {
	t.Helper()
	r := NewRouter(newPool(t), func() []string { return append([]string(nil), addrs...) })
	if len(addrs) > 0 {
		r.current = addrs[0]
	}
	return r
}

func TestRouterNoServers(t *testing.T) {
	t.Parallel()
	r := newRouter(t)
	if err := r.Call(testContext(t), readCall, nil, nil); !errors.Is(err, ErrNoServers) {
		t.Errorf("Call with no servers = %v, want %v", err, ErrNoServers)
	}
}

// TestRouterSticks checks that calls keep to one server while it answers.
func TestRouterSticks(t *testing.T) {
	t.Parallel()
	a, b := startServer(t, echo), startServer(t, echo)
	r := newRouter(t, a.addr, b.addr)
	for range 5 {
		if err := r.Call(testContext(t), writeCall, nil, nil); err != nil {
			t.Fatalf("Call = %v", err)
		}
	}
	if a.calls.Load() != 5 || b.calls.Load() != 0 {
		t.Errorf("calls on the first server, the second = %d, %d; want 5, 0", a.calls.Load(), b.calls.Load())
	}
}

// TestRouterMovesOn checks the retry and resend rules: what a server
// answers is final; a read that failed on the way is retried on the next
// server; a write only when it was certainly not sent.
func TestRouterMovesOn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		first     string // "answers-error", "cut" (after it got the call) or "dead" (nothing listens)
		d         *call.Desc
		wantNext  bool  // the second server gets the call and answers
		wantCalls int32 // calls the first server got
	}{
		{"read answered with an error", "answers-error", readCall, false, 1},
		{"write answered with an error", "answers-error", writeCall, false, 1},
		{"read cut after it was sent", "cut", readCall, true, 1},
		{"write cut after it was sent", "cut", writeCall, false, 1},
		{"read to a dead server", "dead", readCall, true, 0},
		{"write to a dead server", "dead", writeCall, true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var first *testServer
			var addr string
			switch tc.first {
			case "answers-error":
				first = startServer(t, answerErr(api.ErrNoLeader))
			case "cut":
				first = startServer(t, drop)
			case "dead":
				addr = deadAddr(t)
			}
			if first != nil {
				addr = first.addr
			}
			next := startServer(t, echo)
			r := newRouter(t, addr, next.addr)

			err := r.Call(testContext(t), tc.d, nil, nil)
			if got := err == nil; got != tc.wantNext {
				t.Errorf("Call = %v, want the second server's answer: %v", err, tc.wantNext)
			}
			if got, want := next.calls.Load(), map[bool]int32{true: 1}[tc.wantNext]; got != want {
				t.Errorf("the second server got %d calls, want %d", got, want)
			}
			if first != nil && first.calls.Load() != tc.wantCalls {
				t.Errorf("the first server got %d calls, want %d", first.calls.Load(), tc.wantCalls)
			}
			if tc.first == "answers-error" && !errors.Is(err, api.ErrNoLeader) {
				t.Errorf("Call = %v, want the first server's answer %v", err, api.ErrNoLeader)
			}
			if tc.first == "cut" && !tc.wantNext && (!IsTransport(err) || NotSent(err)) {
				t.Errorf("Call = %v, want a transport error that may have been sent", err)
			}
		})
	}
}

// TestRouterRounds checks that a call that may be resent goes round every
// server routerRounds times, routerPause apart, before it gives up with
// the last error.
func TestRouterRounds(t *testing.T) {
	t.Parallel()
	t.Run("read, every server cuts it", func(t *testing.T) {
		t.Parallel()
		a, b := startServer(t, drop), startServer(t, drop)
		r := newRouter(t, a.addr, b.addr)
		start := time.Now()
		err := r.Call(testContext(t), readCall, nil, nil)
		if !IsTransport(err) {
			t.Errorf("Call = %v, want a transport error", err)
		}
		if got := a.calls.Load() + b.calls.Load(); got != 2*routerRounds {
			t.Errorf("servers got %d calls, want %d (%d rounds over 2)", got, 2*routerRounds, routerRounds)
		}
		if took, want := time.Since(start), (routerRounds-1)*routerPause; took < want {
			t.Errorf("Call gave up after %v, want at least %v", took, want)
		}
	})
	t.Run("write, no server listens", func(t *testing.T) {
		t.Parallel()
		r := newRouter(t, deadAddr(t), deadAddr(t))
		start := time.Now()
		err := r.Call(testContext(t), writeCall, nil, nil)
		if !NotSent(err) {
			t.Errorf("Call = %v, want an error for a call not sent", err)
		}
		if took, want := time.Since(start), (routerRounds-1)*routerPause; took < want {
			t.Errorf("Call gave up after %v, want at least %v", took, want)
		}
	})
}
