package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
)

// isType and is tell whether an error keeps its kind: a type, a sentinel.
func isType[E error](err error) bool {
	var e E
	return errors.As(err, &e)
}

func is(target error) func(error) bool {
	return func(err error) bool { return errors.Is(err, target) }
}

// TestErrorKindsCrossTheWire checks that an error a server answers keeps
// its kind and its text on the caller's side, so HTTP answers a forwarded
// call as it answers a local one.
func TestErrorKindsCrossTheWire(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		is   func(error) bool
	}{
		{"bad-request", api.BadRequestError{Reason: "bad key"}, isType[api.BadRequestError]},
		{"bad-request wrapped", fmt.Errorf("kv: %w", api.BadRequestError{Reason: "bad key"}), isType[api.BadRequestError]},
		{"too-large", api.TooLargeError{Reason: "value too large"}, isType[api.TooLargeError]},
		{"not-found", api.NotFoundError{Reason: "no such session"}, isType[api.NotFoundError]},
		{"no-leader", api.ErrNoLeader, is(api.ErrNoLeader)},
		{"no-leader wrapped", fmt.Errorf("apply: %w", api.ErrNoLeader), is(api.ErrNoLeader)},
		{"not-leader", call.ErrNotLeader, is(call.ErrNotLeader)},
		{"unknown-dc", api.ErrUnknownDC, is(api.ErrUnknownDC)},
		{"shutting-down", api.ErrShuttingDown, is(api.ErrShuttingDown)},
		{"rate-limited", call.RateLimitError{Reason: call.RateLimitedText, RetryAfter: 2500 * time.Millisecond}, func(err error) bool {
			var rl call.RateLimitError
			return errors.As(err, &rl) && rl.RetryAfter == 2500*time.Millisecond
		}},
		{"no kind", errors.New("state: disk full"), func(error) bool { return true }},
	}
	ctx := testContext(t)
	p := newPool(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, answerErr(tc.err))
			err := p.Call(ctx, s.addr, "test.Fail", nil, nil)
			if err == nil || IsTransport(err) {
				t.Fatalf("Call = %v, want the server's answer %v", err, tc.err)
			}
			if err.Error() != tc.err.Error() {
				t.Errorf("Call error text = %q, want %q", err, tc.err)
			}
			if !tc.is(err) {
				t.Errorf("Call error %v (%T) lost its kind", err, err)
			}
		})
	}
}

// TestTokenAndDatacenterCrossTheWire checks that the token and the
// datacenter a call is made with reach the server's dispatch, and that a
// call made without them arrives without them.
func TestTokenAndDatacenterCrossTheWire(t *testing.T) {
	t.Parallel()
	s := startServer(t, func(ctx context.Context, _ *testServer, _ json.RawMessage) (any, error) {
		token, _ := call.TokenFrom(ctx)
		return []string{token, call.DatacenterFrom(ctx)}, nil
	})
	p := newPool(t)
	for _, tc := range []struct{ token, dc string }{{"secret", "dc2"}, {"", ""}} {
		ctx := call.WithDatacenter(call.WithToken(testContext(t), tc.token), tc.dc)
		var got []string
		if err := p.Call(ctx, s.addr, "test.Who", nil, &got); err != nil {
			t.Fatalf("Call = %v", err)
		}
		if len(got) != 2 || got[0] != tc.token || got[1] != tc.dc {
			t.Errorf("server saw token, datacenter = %q, want [%q %q]", got, tc.token, tc.dc)
		}
	}
}
