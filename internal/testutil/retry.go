package testutil

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// R is handed to a retry.Run body; Fatalf ends this attempt, not the test.
type R struct {
	failed bool
	msg    string
}

// Fatalf marks the attempt failed with a message and stops it.
func (r *R) Fatalf(format string, args ...any) {
	r.failed = true
	r.msg = fmt.Sprintf(format, args...)
	panic(r)
}

// Run calls fn until it succeeds or timeout passes, pausing briefly between
// attempts; on timeout the test fails with the last attempt's message.
func Run(t testing.TB, timeout time.Duration, fn func(r *R)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r := &R{}
		func() {
			defer func() {
				if p := recover(); p != nil && p != r {
					panic(p)
				}
			}()
			fn(r)
		}()
		if !r.failed {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %v: %s", timeout, r.msg)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// WaitForLeader waits until the agent at addr reports a Raft leader.
func WaitForLeader(t testing.TB, addr string) {
	t.Helper()
	Run(t, 20*time.Second, func(r *R) {
		resp, err := http.Get("http://" + addr + "/v1/status/leader")
		if err != nil {
			r.Fatalf("status/leader: %v", err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || strings.TrimSpace(string(body)) == `""` {
			r.Fatalf("no leader yet: %d %s", resp.StatusCode, body)
		}
		// A KV read in default mode needs the leader's barrier to be done.
		kv, err := http.Get("http://" + addr + "/v1/kv/?keys")
		if err != nil {
			r.Fatalf("kv: %v", err)
		}
		kv.Body.Close()
		if kv.StatusCode != 200 {
			r.Fatalf("kv not ready: %d", kv.StatusCode)
		}
	})
}
