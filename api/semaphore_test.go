package api_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	consulapi "github.com/hashicorp/consul/api"

	"github.com/concordhq/concord/api"
)

// acquireAsync calls s.Acquire(stop) in a goroutine.
func acquireAsync(s *api.Semaphore, stop <-chan struct{}) <-chan lockResult {
	ch := make(chan lockResult, 1)
	go func() {
		lost, err := s.Acquire(stop)
		ch <- lockResult{lost, err}
	}()
	return ch
}

// mustAcquire takes a slot of s or fails the test.
func mustAcquire(t *testing.T, s *api.Semaphore) <-chan struct{} {
	t.Helper()
	lost, err := s.Acquire(nil)
	if err != nil || lost == nil {
		t.Fatalf("Acquire = %v, %v; want a lost channel", lost, err)
	}
	return lost
}

// holders decodes the coordination key under prefix.
func holders(t *testing.T, c *api.Client, prefix string) (limit int, ids map[string]bool) {
	t.Helper()
	p := mustKey(t, c, prefix+"/.lock")
	if p.Flags != api.SemaphoreFlagValue {
		t.Errorf("%s/.lock flags = %#x, want %#x", prefix, p.Flags, uint64(api.SemaphoreFlagValue))
	}
	var v struct {
		Limit   int
		Holders map[string]bool
	}
	if err := json.Unmarshal(p.Value, &v); err != nil {
		t.Fatalf("%s/.lock value %q: %v", prefix, p.Value, err)
	}
	return v.Limit, v.Holders
}

// TestSemaphoreLimit runs three contenders on a semaphore of two: the third
// waits until one of the first two releases.
func TestSemaphoreLimit(t *testing.T) {
	t.Parallel()
	c := newAgentClient(t)
	var sems [3]*api.Semaphore
	for i := range sems {
		s, err := c.SemaphoreOpts(&api.SemaphoreOptions{Prefix: "pool", Limit: 2, Value: []byte("worker")})
		if err != nil {
			t.Fatalf("SemaphoreOpts: %v", err)
		}
		sems[i] = s
	}
	lost0 := mustAcquire(t, sems[0])
	mustAcquire(t, sems[1])
	third := acquireAsync(sems[2], nil)
	never(t, 500*time.Millisecond, "third Acquire while two hold", third)

	limit, ids := holders(t, c, "pool")
	if limit != 2 || len(ids) != 2 {
		t.Errorf("pool/.lock = limit %d, holders %v; want limit 2 and two holders", limit, ids)
	}
	for id := range ids {
		p := mustKey(t, c, "pool/"+id)
		if p.Session != id || p.Flags != api.SemaphoreFlagValue || string(p.Value) != "worker" {
			t.Errorf("contender key pool/%s = %+v, want held by %s with semaphore flags", id, p, id)
		}
		if s, _, _ := c.Session().Info(id, nil); s == nil || s.Behavior != api.SessionBehaviorDelete {
			t.Errorf("contender session %s = %+v, want behavior delete", id, s)
		}
	}
	if sems[0].LockIndex() == 0 {
		t.Errorf("LockIndex() = 0 while held, want the contender key's LockIndex")
	}

	if err := sems[0].Release(); err != nil {
		t.Fatalf("Release: %v", err)
	}
	within(t, time.Second, "lost channel after Release", lost0)
	if res := within(t, 5*time.Second, "third Acquire after a Release", third); res.err != nil || res.lost == nil {
		t.Fatalf("third Acquire = %v, %v; want a slot", res.lost, res.err)
	}
	if _, ids := holders(t, c, "pool"); len(ids) != 2 {
		t.Errorf("after the swap, holders = %v, want two", ids)
	}
	if err := sems[0].Release(); !errors.Is(err, api.ErrSemaphoreNotHeld) {
		t.Errorf("second Release = %v, want ErrSemaphoreNotHeld", err)
	}
	if err := sems[0].Destroy(); !errors.Is(err, api.ErrSemaphoreInUse) {
		t.Errorf("Destroy while others hold = %v, want ErrSemaphoreInUse", err)
	}

	sems[1].Release()
	sems[2].Release()
	if err := sems[0].Destroy(); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	if pairs, _, err := c.KV().List("pool/", nil); err != nil || len(pairs) != 0 {
		t.Errorf("after Release and Destroy, keys under pool/ = %+v, %v; want none", pairs, err)
	}
	if n := countSessions(t, c); n != 0 {
		t.Errorf("after every Release, %d sessions exist, want 0", n)
	}
}

// TestSemaphoreLost checks that the lost channel closes when the holder's
// session is destroyed, and that its dead slot is then reused.
func TestSemaphoreLost(t *testing.T) {
	t.Parallel()
	c := newAgentClient(t)
	s1, _ := c.SemaphorePrefix("solo", 1)
	s2, _ := c.SemaphorePrefix("solo", 1)
	lost := mustAcquire(t, s1)
	waiting := acquireAsync(s2, nil)
	never(t, 300*time.Millisecond, "second Acquire while held", waiting)

	_, ids := holders(t, c, "solo")
	for id := range ids {
		if err := c.Session().Destroy(id); err != nil {
			t.Fatalf("Destroy(%s): %v", id, err)
		}
	}
	within(t, 5*time.Second, "lost channel after session destroy", lost)
	if res := within(t, 5*time.Second, "second Acquire after the holder died", waiting); res.err != nil || res.lost == nil {
		t.Fatalf("second Acquire = %v, %v; want the dead holder's slot", res.lost, res.err)
	}
	s1.Release()
	s2.Release()
}

func TestSemaphoreConflicts(t *testing.T) {
	t.Parallel()
	c := newAgentClient(t)
	s2, _ := c.SemaphorePrefix("sem", 2)
	mustAcquire(t, s2)
	defer s2.Release()

	s3, _ := c.SemaphorePrefix("sem", 3)
	if lost, err := s3.Acquire(nil); lost != nil || err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("Acquire with another limit = %v, %v; want a limit conflict", lost, err)
	}
	if _, err := s2.Acquire(nil); !errors.Is(err, api.ErrSemaphoreHeld) {
		t.Errorf("second Acquire = %v, want ErrSemaphoreHeld", err)
	}

	// A lock and a semaphore on one prefix detect each other, as with
	// `consul lock` and `consul lock -n`.
	l, _ := c.LockKey("sem/.lock")
	if _, err := l.Lock(nil); !errors.Is(err, api.ErrLockConflict) {
		t.Errorf("Lock on a semaphore's key = %v, want ErrLockConflict", err)
	}
	l2, _ := c.LockKey("locked/.lock")
	mustLock(t, l2)
	defer l2.Unlock()
	s, _ := c.SemaphorePrefix("locked", 2)
	if _, err := s.Acquire(nil); !errors.Is(err, api.ErrSemaphoreConflict) {
		t.Errorf("Acquire on a lock's prefix = %v, want ErrSemaphoreConflict", err)
	}
	if pairs, _, _ := c.KV().List("locked/", nil); len(pairs) != 1 {
		t.Errorf("after a failed Acquire, keys under locked/ = %+v, want only the lock", pairs)
	}
}

func TestSemaphoreTryOnce(t *testing.T) {
	t.Parallel()
	c := newAgentClient(t)
	holder, _ := c.SemaphorePrefix("full", 1)
	mustAcquire(t, holder)
	defer holder.Release()

	s, _ := c.SemaphoreOpts(&api.SemaphoreOptions{
		Prefix: "full", Limit: 1, SemaphoreTryOnce: true, SemaphoreWaitTime: 500 * time.Millisecond,
	})
	start := time.Now()
	lost, err := s.Acquire(nil)
	if took := time.Since(start); lost != nil || err != nil || took < 500*time.Millisecond || took > 3*time.Second {
		t.Errorf("Acquire with SemaphoreTryOnce = %v, %v after %v; want nil, nil after about 500ms", lost, err, took)
	}
	if pairs, _, _ := c.KV().List("full/", nil); len(pairs) != 2 {
		t.Errorf("after a failed Acquire, keys under full/ = %d, want 2 (the holder's and .lock)", len(pairs))
	}
}

// TestSemaphoreInteropWithConsul shares a semaphore of two with Consul's Go
// client.
func TestSemaphoreInteropWithConsul(t *testing.T) {
	t.Parallel()
	c, addr := startAgent(t)
	cc := newConsulClient(t, addr)

	theirs, err := cc.SemaphorePrefix("mixed", 2)
	if err != nil {
		t.Fatalf("consul SemaphorePrefix: %v", err)
	}
	if lost, err := theirs.Acquire(nil); err != nil || lost == nil {
		t.Fatalf("consul Acquire = %v, %v", lost, err)
	}
	ours1, _ := c.SemaphorePrefix("mixed", 2)
	mustAcquire(t, ours1)
	ours2, _ := c.SemaphorePrefix("mixed", 2)
	waiting := acquireAsync(ours2, nil)
	never(t, 500*time.Millisecond, "our second Acquire while full", waiting)

	if err := theirs.Release(); err != nil {
		t.Fatalf("consul Release: %v", err)
	}
	if res := within(t, 5*time.Second, "our Acquire after consul's Release", waiting); res.err != nil || res.lost == nil {
		t.Fatalf("our Acquire after consul's Release = %v, %v", res.lost, res.err)
	}
	theirs2, _ := cc.SemaphoreOpts(&consulapi.SemaphoreOptions{
		Prefix: "mixed", Limit: 2, SemaphoreTryOnce: true, SemaphoreWaitTime: 300 * time.Millisecond,
	})
	if lost, err := theirs2.Acquire(nil); lost != nil || err != nil {
		t.Errorf("consul Acquire while we hold both slots = %v, %v; want nil, nil", lost, err)
	}
	ours1.Release()
	ours2.Release()
}
