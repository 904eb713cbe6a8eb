package rexec

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
)

// fakeStore is a KV store of acquired keys and a set of live sessions.
type fakeStore struct {
	mu       sync.Mutex
	pairs    map[string]*api.KVPair // guarded by mu
	sessions map[string]bool        // guarded by mu
	exited   chan struct{}          // closed when a key ending in /exit is written
}

func newFakeStore() *fakeStore {
	return &fakeStore{pairs: map[string]*api.KVPair{}, sessions: map[string]bool{}, exited: make(chan struct{})}
}

func (f *fakeStore) KVApply(_ context.Context, op *api.KVTxnOp) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if old, ok := f.pairs[op.Key]; ok && old.Session != op.Session {
		return false, nil
	}
	f.pairs[op.Key] = &api.KVPair{Key: op.Key, Value: op.Value, Session: op.Session}
	if strings.HasSuffix(op.Key, "/exit") {
		close(f.exited)
	}
	return true, nil
}

func (f *fakeStore) KVGet(_ context.Context, _ *api.QueryOptions, key string) (*api.KVPair, api.QueryMeta, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pairs[key], api.QueryMeta{}, nil
}

func (f *fakeStore) SessionInfo(_ context.Context, _ *api.QueryOptions, id string) ([]*api.SessionEntry, api.QueryMeta, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sessions[id] {
		return []*api.SessionEntry{{ID: id}}, api.QueryMeta{}, nil
	}
	return nil, api.QueryMeta{}, nil
}

// values returns the keys under dir with their values; the out/ chunks
// are joined under "out".
func (f *fakeStore) values(dir string) map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	got := map[string]string{}
	for k, p := range f.pairs {
		name, ok := strings.CutPrefix(k, dir)
		if !ok {
			continue
		}
		if strings.HasPrefix(name, "out/") {
			name = "out"
		}
		got[name] += string(p.Value)
	}
	return got
}

// startJob writes spec as the job of session s1 and hands the event to a
// Runner for node n1; it returns once n1 wrote its exit code.
func startJob(t *testing.T, disabled bool, spec api.RemoteExecSpec) *fakeStore {
	t.Helper()
	f := newFakeStore()
	f.sessions["s1"] = true
	job, _ := json.Marshal(spec)
	f.pairs["_rexec/s1/job"] = &api.KVPair{Key: "_rexec/s1/job", Value: job, Session: "s1"}
	r := New(t.Context(), Config{NodeName: "n1", Disabled: disabled, Logger: slog.New(slog.DiscardHandler)}, f)
	payload, _ := json.Marshal(api.RemoteExecPayload{Prefix: "_rexec", Session: "s1"})
	if !r.Handle(&api.UserEvent{Name: api.RemoteExecEvent, Payload: payload}) {
		t.Fatalf("Handle(%s event) = false, want true", api.RemoteExecEvent)
	}
	select {
	case <-f.exited:
	case <-time.After(10 * time.Second):
		t.Fatalf("no exit code written within 10s; keys: %v", f.values(""))
	}
	return f
}

func TestRunsTheJob(t *testing.T) {
	tests := []struct {
		name     string
		spec     api.RemoteExecSpec
		wantOut  string // all chunks joined; heartbeats add empty ones
		wantExit string
	}{
		{"command", api.RemoteExecSpec{Command: "echo hi; echo err >&2"}, "hi\nerr\n", "0"},
		{"exit code", api.RemoteExecSpec{Command: "exit 3"}, "", "3"},
		{"script", api.RemoteExecSpec{Script: []byte("echo from a script\n")}, "from a script\n", "0"},
		{"args without a shell", api.RemoteExecSpec{Args: []string{"echo", "a;b"}}, "a;b\n", "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.spec.Wait = time.Second
			got := startJob(t, false, tt.spec).values("_rexec/s1/n1/")
			ack, acked := got["ack"]
			if !acked || ack != "" || got["out"] != tt.wantOut || got["exit"] != tt.wantExit {
				t.Errorf("keys under _rexec/s1/n1/ = %q, want an empty ack, output %q and exit %q",
					got, tt.wantOut, tt.wantExit)
			}
		})
	}
}

func TestRefusesWhenDisabled(t *testing.T) {
	f := startJob(t, true, api.RemoteExecSpec{Command: "echo must not run", Wait: time.Second})
	got := f.values("_rexec/s1/n1/")
	if got["ack"] != "" || got["out"] != execRefusal || got["exit"] != "1" || len(got) != 3 {
		t.Errorf("keys under n1 = %q, want ack, the refusal and exit code 1", got)
	}
}

func TestIgnoresOtherAndMalformedEvents(t *testing.T) {
	f := newFakeStore()
	r := New(t.Context(), Config{NodeName: "n1", Logger: slog.New(slog.DiscardHandler)}, f)
	if r.Handle(&api.UserEvent{Name: "deploy"}) {
		t.Errorf("Handle(deploy) = true, want false: the agent keeps other events")
	}
	for _, payload := range []string{`nope`, `{"Prefix":"","Session":"s"}`, `{"Prefix":"/abs","Session":"s"}`,
		`{"Prefix":"_rexec","Session":"a/b"}`} {
		// Taken, so not kept as an event, but ignored: nothing is written.
		// run is what Handle starts in the background.
		r.run(&api.UserEvent{Name: api.RemoteExecEvent, Payload: []byte(payload)})
	}
	if got := f.values(""); len(got) != 0 {
		t.Errorf("malformed events wrote %q, want nothing", got)
	}
}
