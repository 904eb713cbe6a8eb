package api_test

import (
	"errors"
	"testing"
	"time"

	consulapi "github.com/hashicorp/consul/api"

	"github.com/concordhq/concord/api"
)

// lockResult is what a Lock call in a goroutine returned.
type lockResult struct {
	lost <-chan struct{}
	err  error
}

// lockAsync calls l.Lock(stop) in a goroutine.
func lockAsync(l *api.Lock, stop <-chan struct{}) <-chan lockResult {
	ch := make(chan lockResult, 1)
	go func() {
		lost, err := l.Lock(stop)
		ch <- lockResult{lost, err}
	}()
	return ch
}

// mustLock takes l or fails the test.
func mustLock(t *testing.T, l *api.Lock) <-chan struct{} {
	t.Helper()
	lost, err := l.Lock(nil)
	if err != nil || lost == nil {
		t.Fatalf("Lock = %v, %v; want a lost channel", lost, err)
	}
	return lost
}

// mustKey reads key or fails the test if it is missing.
func mustKey(t *testing.T, c *api.Client, key string) *api.KVPair {
	t.Helper()
	p, _, err := c.KV().Get(key, nil)
	if err != nil || p == nil {
		t.Fatalf("Get(%s) = %+v, %v; want the key", key, p, err)
	}
	return p
}

func TestLockUnlock(t *testing.T) {
	t.Parallel()
	c := newAgentClient(t)
	l, err := c.LockOpts(&api.LockOptions{Key: "app/leader", Value: []byte("me")})
	if err != nil {
		t.Fatalf("LockOpts: %v", err)
	}
	lost := mustLock(t, l)

	p := mustKey(t, c, "app/leader")
	if p.Flags != api.LockFlagValue || p.Session == "" || string(p.Value) != "me" {
		t.Errorf("held key = %+v, want lock flags, a session and value me", p)
	}
	if l.LockIndex() == 0 || l.LockIndex() != p.LockIndex {
		t.Errorf("LockIndex() = %d, want the key's LockIndex %d (> 0)", l.LockIndex(), p.LockIndex)
	}
	sess, _, err := c.Session().Info(p.Session, nil)
	if err != nil || sess == nil || sess.Name != api.DefaultLockSessionName || sess.TTL != api.DefaultLockSessionTTL {
		t.Errorf("lock session = %+v, %v; want name %q, TTL %s", sess, err, api.DefaultLockSessionName, api.DefaultLockSessionTTL)
	}
	if _, err := l.Lock(nil); !errors.Is(err, api.ErrLockHeld) {
		t.Errorf("second Lock = %v, want ErrLockHeld", err)
	}
	if err := l.Destroy(); !errors.Is(err, api.ErrLockHeld) {
		t.Errorf("Destroy while held = %v, want ErrLockHeld", err)
	}

	if err := l.Unlock(); err != nil {
		t.Fatalf("Unlock: %v", err)
	}
	within(t, time.Second, "lost channel after Unlock", lost)
	if p := mustKey(t, c, "app/leader"); p.Session != "" {
		t.Errorf("after Unlock, key session = %q, want none", p.Session)
	}
	if s, _, err := c.Session().Info(sess.ID, nil); err != nil || s != nil {
		t.Errorf("after Unlock, Info(lock session) = %+v, %v; want it destroyed", s, err)
	}
	if err := l.Unlock(); !errors.Is(err, api.ErrLockNotHeld) {
		t.Errorf("second Unlock = %v, want ErrLockNotHeld", err)
	}

	// Lock again: the key changes hands, so the fencing token grows.
	first := l.LockIndex()
	mustLock(t, l)
	if l.LockIndex() <= first {
		t.Errorf("LockIndex() after re-lock = %d, want > %d", l.LockIndex(), first)
	}
	if err := l.Unlock(); err != nil {
		t.Fatalf("Unlock: %v", err)
	}
	if err := l.Destroy(); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	if p, _, err := c.KV().Get("app/leader", nil); err != nil || p != nil {
		t.Errorf("after Destroy, Get = %+v, %v; want no key", p, err)
	}
}

// TestLockWaitsForHolder checks that a second Lock on the key blocks until
// the first holder unlocks.
func TestLockWaitsForHolder(t *testing.T) {
	t.Parallel()
	c := newAgentClient(t)
	l1, _ := c.LockKey("app/leader")
	l2, _ := c.LockKey("app/leader")
	mustLock(t, l1)

	second := lockAsync(l2, nil)
	never(t, 500*time.Millisecond, "second Lock while the first holds", second)
	if err := l1.Unlock(); err != nil {
		t.Fatalf("Unlock: %v", err)
	}
	res := within(t, 5*time.Second, "second Lock after Unlock", second)
	if res.err != nil || res.lost == nil {
		t.Fatalf("second Lock = %v, %v; want the lock", res.lost, res.err)
	}
	if l2.LockIndex() <= l1.LockIndex() {
		t.Errorf("second holder's LockIndex = %d, want > first's %d", l2.LockIndex(), l1.LockIndex())
	}
	l2.Unlock()
}

// TestLockLost checks that the lost channel closes when the session
// holding the key is destroyed: our own session (seen by the renewer and
// the monitor) or the caller's (seen by the monitor alone).
func TestLockLost(t *testing.T) {
	t.Parallel()
	c := newAgentClient(t)
	for _, ownSession := range []bool{true, false} {
		opts := &api.LockOptions{Key: "lost/own", MonitorRetryTime: 100 * time.Millisecond}
		if !ownSession {
			id, err := c.Session().Create(&api.SessionEntry{Name: "caller's"})
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			opts.Key, opts.Session = "lost/caller", id
		}
		l, _ := c.LockOpts(opts)
		lost := mustLock(t, l)
		never(t, 200*time.Millisecond, "lost channel while held", lost)
		if err := c.Session().Destroy(mustKey(t, c, opts.Key).Session); err != nil {
			t.Fatalf("Destroy: %v", err)
		}
		within(t, 5*time.Second, "lost channel after session destroy ("+opts.Key+")", lost)
		if err := l.Unlock(); err != nil {
			t.Errorf("Unlock after loss = %v, want nil", err)
		}
	}
}

// TestLockTryOnce checks that with LockTryOnce, Lock gives up after one
// LockWaitTime with a nil channel and no error, and that closing stopCh
// ends a wait early.
func TestLockTryOnce(t *testing.T) {
	t.Parallel()
	c := newAgentClient(t)
	holder, _ := c.LockKey("busy")
	mustLock(t, holder)
	defer holder.Unlock()

	l, _ := c.LockOpts(&api.LockOptions{Key: "busy", LockTryOnce: true, LockWaitTime: 500 * time.Millisecond})
	start := time.Now()
	lost, err := l.Lock(nil)
	if took := time.Since(start); lost != nil || err != nil || took < 500*time.Millisecond || took > 3*time.Second {
		t.Errorf("Lock with LockTryOnce = %v, %v after %v; want nil, nil after about 500ms", lost, err, took)
	}

	stop := make(chan struct{})
	waiting := lockAsync(l, stop)
	never(t, 300*time.Millisecond, "Lock before stop", waiting)
	close(stop)
	if res := within(t, 2*time.Second, "Lock after stop", waiting); res.lost != nil || res.err != nil {
		t.Errorf("Lock after stop = %v, %v; want nil, nil", res.lost, res.err)
	}
	if n := countSessions(t, c); n != 1 {
		t.Errorf("after two failed Locks, %d sessions exist, want 1 (the holder's)", n)
	}
}

// TestLockDelay checks that a Lock waits out the lock-delay a key gets when
// its holder's session is destroyed.
func TestLockDelay(t *testing.T) {
	t.Parallel()
	c := newAgentClient(t)
	id, err := c.Session().Create(&api.SessionEntry{LockDelay: time.Second})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if ok, err := c.KV().Acquire(&api.KVPair{Key: "delayed", Flags: api.LockFlagValue, Session: id}); !ok || err != nil {
		t.Fatalf("Acquire = %v, %v", ok, err)
	}
	if err := c.Session().Destroy(id); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	start := time.Now()
	l, _ := c.LockOpts(&api.LockOptions{Key: "delayed", LockRetryTime: 100 * time.Millisecond})
	mustLock(t, l)
	if took := time.Since(start); took < 700*time.Millisecond {
		t.Errorf("Lock during a 1s lock-delay took %v, want it to wait the delay out", took)
	}
	l.Unlock()
}

func TestLockConflict(t *testing.T) {
	t.Parallel()
	c := newAgentClient(t)
	if _, err := c.KV().Put(&api.KVPair{Key: "plain", Value: []byte("x")}); err != nil {
		t.Fatalf("Put: %v", err)
	}
	l, _ := c.LockKey("plain")
	if lost, err := l.Lock(nil); lost != nil || !errors.Is(err, api.ErrLockConflict) {
		t.Errorf("Lock on a plain key = %v, %v; want ErrLockConflict", lost, err)
	}
	if err := l.Destroy(); !errors.Is(err, api.ErrLockConflict) {
		t.Errorf("Destroy on a plain key = %v, want ErrLockConflict", err)
	}
	if n := countSessions(t, c); n != 0 {
		t.Errorf("after a failed Lock, %d sessions exist, want 0", n)
	}
}

// TestLockInteropWithConsul contends for one key with Consul's Go client:
// each side must see the other's lock.
func TestLockInteropWithConsul(t *testing.T) {
	t.Parallel()
	c, addr := startAgent(t)
	cc := newConsulClient(t, addr)

	theirs, err := cc.LockKey("shared/.lock")
	if err != nil {
		t.Fatalf("consul LockKey: %v", err)
	}
	if lost, err := theirs.Lock(nil); err != nil || lost == nil {
		t.Fatalf("consul Lock = %v, %v", lost, err)
	}
	ours, _ := c.LockOpts(&api.LockOptions{Key: "shared/.lock", LockTryOnce: true, LockWaitTime: 300 * time.Millisecond})
	if lost, err := ours.Lock(nil); lost != nil || err != nil {
		t.Fatalf("our Lock while consul's client holds = %v, %v; want nil, nil", lost, err)
	}
	waiting := lockAsync(ours, nil)
	if err := theirs.Unlock(); err != nil {
		t.Fatalf("consul Unlock: %v", err)
	}
	if res := within(t, 5*time.Second, "our Lock after consul's Unlock", waiting); res.lost == nil || res.err != nil {
		t.Fatalf("our Lock after consul's Unlock = %v, %v; want the lock", res.lost, res.err)
	}

	theirs2, _ := cc.LockOpts(&consulapi.LockOptions{Key: "shared/.lock", LockTryOnce: true, LockWaitTime: 300 * time.Millisecond})
	if lost, err := theirs2.Lock(nil); lost != nil || err != nil {
		t.Errorf("consul Lock while we hold = %v, %v; want nil, nil", lost, err)
	}
	if err := ours.Unlock(); err != nil {
		t.Fatalf("Unlock: %v", err)
	}
	if err := theirs2.Destroy(); err != nil {
		t.Errorf("consul Destroy after our Unlock: %v", err)
	}
}

// newConsulClient returns Consul's Go client for the agent at addr.
func newConsulClient(t *testing.T, addr string) *consulapi.Client {
	t.Helper()
	cc, err := consulapi.NewClient(&consulapi.Config{Address: addr})
	if err != nil {
		t.Fatalf("consulapi.NewClient: %v", err)
	}
	return cc
}

// countSessions returns how many sessions exist.
func countSessions(t *testing.T, c *api.Client) int {
	t.Helper()
	list, _, err := c.Session().List(nil)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return len(list)
}

// TestLockLostOnTTLExpiry holds a lock with a caller's 1s-TTL session that
// nobody renews: the server invalidates it (after 2×TTL) and the monitor
// reports the loss.
func TestLockLostOnTTLExpiry(t *testing.T) {
	t.Parallel()
	c := newAgentClient(t)
	id, err := c.Session().Create(&api.SessionEntry{TTL: "1s", LockDelay: -1})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	l, _ := c.LockOpts(&api.LockOptions{Key: "ttl", Session: id})
	lost := mustLock(t, l)
	within(t, 5*time.Second, "lost channel after the session's TTL ran out", lost)
	if s, _, err := c.Session().Info(id, nil); err != nil || s != nil {
		t.Errorf("after expiry, Info = %+v, %v; want nil, nil", s, err)
	}
	// LockDelay -1 disabled lock-delay, so the key is free at once.
	l2, _ := c.LockOpts(&api.LockOptions{Key: "ttl", LockTryOnce: true, LockWaitTime: time.Second})
	if lost, err := l2.Lock(nil); err != nil || lost == nil {
		t.Errorf("Lock after expiry = %v, %v; want the lock", lost, err)
	} else {
		l2.Unlock()
	}
	l.Unlock()
}
