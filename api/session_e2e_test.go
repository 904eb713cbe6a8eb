package api_test

// End-to-end tests of the session, lock and semaphore clients against a
// real in-process agent. They live in package api_test because
// internal/testutil imports the agent, which imports api.

import (
	"errors"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/testutil"
)

// newAgentClient starts a dev agent that accepts 1s session TTLs and
// returns a client for it.
func newAgentClient(t *testing.T) *api.Client {
	t.Helper()
	c, _ := startAgent(t)
	return c
}

// startAgent starts a dev agent that accepts 1s session TTLs and returns a
// client for it and its HTTP address.
func startAgent(t *testing.T) (*api.Client, string) {
	t.Helper()
	ta := testutil.StartAgent(t, "", func(c *config.Config) { c.SessionTTLMin = time.Second })
	c, err := api.NewClient(&api.Config{Address: ta.HTTPAddr()})
	if err != nil {
		t.Fatalf("NewClient(%q): %v", ta.HTTPAddr(), err)
	}
	return c, ta.HTTPAddr()
}

// within fails the test unless ch delivers within d, and returns the value.
func within[T any](t *testing.T, d time.Duration, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("%s: nothing after %v", what, d)
		panic("unreachable")
	}
}

// never fails the test if ch delivers within d.
func never[T any](t *testing.T, d time.Duration, what string, ch <-chan T) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("%s: got %v, want nothing within %v", what, v, d)
	case <-time.After(d):
	}
}

func TestSessionCreateInfoDestroy(t *testing.T) {
	t.Parallel()
	s := newAgentClient(t).Session()

	id, err := s.Create(&api.SessionEntry{
		Name: "test", TTL: "10s", LockDelay: 3 * time.Second, Behavior: api.SessionBehaviorDelete, NodeChecks: []string{},
	})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	got, meta, err := s.Info(id, nil)
	if err != nil || got == nil {
		t.Fatalf("Info(%s) = %+v, %v; want the session", id, got, err)
	}
	if meta.LastIndex == 0 {
		t.Errorf("Info(%s) meta.LastIndex = 0, want > 0", id)
	}
	if got.ID != id || got.Name != "test" || got.TTL != "10s" || got.LockDelay != 3*time.Second ||
		got.Behavior != api.SessionBehaviorDelete || len(got.NodeChecks) != 0 {
		t.Errorf("Info(%s) = %+v, want name test, TTL 10s, lock-delay 3s, behavior delete, no checks", id, got)
	}

	list, _, err := s.List(nil)
	if err != nil || len(list) != 1 || list[0].ID != id {
		t.Errorf("List = %+v, %v; want [%s]", list, err, id)
	}
	byNode, _, err := s.Node(got.Node, nil)
	if err != nil || len(byNode) != 1 || byNode[0].ID != id {
		t.Errorf("Node(%s) = %+v, %v; want [%s]", got.Node, byNode, err, id)
	}

	if renewed, err := s.Renew(id); err != nil || renewed == nil || renewed.ID != id {
		t.Errorf("Renew(%s) = %+v, %v; want the session", id, renewed, err)
	}
	if err := s.Destroy(id); err != nil {
		t.Fatalf("Destroy(%s): %v", id, err)
	}
	if got, _, err := s.Info(id, nil); err != nil || got != nil {
		t.Errorf("after Destroy, Info(%s) = %+v, %v; want nil, nil", id, got, err)
	}
	if renewed, err := s.Renew(id); err != nil || renewed != nil {
		t.Errorf("after Destroy, Renew(%s) = %+v, %v; want nil, nil", id, renewed, err)
	}
}

// TestRenewPeriodic keeps a 1s-TTL session alive for 3s (the server drops
// it after 2s unrenewed), then sees it end with ErrSessionExpired once the
// session is destroyed behind its back.
func TestRenewPeriodic(t *testing.T) {
	t.Parallel()
	s := newAgentClient(t).Session()
	id, err := s.Create(&api.SessionEntry{TTL: "1s"})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	done := make(chan struct{})
	defer close(done)
	errc := make(chan error, 1)
	go func() { errc <- s.RenewPeriodic("1s", id, done) }()

	never(t, 3*time.Second, "RenewPeriodic", errc)
	if got, _, err := s.Info(id, nil); err != nil || got == nil {
		t.Fatalf("after 3s of renewals, Info(%s) = %+v, %v; want the session", id, got, err)
	}

	if err := s.Destroy(id); err != nil {
		t.Fatalf("Destroy(%s): %v", id, err)
	}
	if err := within(t, 3*time.Second, "RenewPeriodic after Destroy", errc); !errors.Is(err, api.ErrSessionExpired) {
		t.Errorf("RenewPeriodic after Destroy = %v, want ErrSessionExpired", err)
	}
}

// TestRenewPeriodicDone checks that closing done destroys the session.
func TestRenewPeriodicDone(t *testing.T) {
	t.Parallel()
	s := newAgentClient(t).Session()
	id, err := s.Create(&api.SessionEntry{TTL: "10s"})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	done := make(chan struct{})
	errc := make(chan error, 1)
	go func() { errc <- s.RenewPeriodic("10s", id, done) }()
	close(done)
	if err := within(t, 3*time.Second, "RenewPeriodic after done", errc); err != nil {
		t.Errorf("RenewPeriodic after done = %v, want nil", err)
	}
	if got, _, err := s.Info(id, nil); err != nil || got != nil {
		t.Errorf("after done, Info(%s) = %+v, %v; want nil, nil", id, got, err)
	}
}
