package httpapi_test

// End-to-end tests of KV locks: acquire/release and LockIndex, lock-delay,
// the txn lock verbs and fencing, and the Consul Go client's Lock and
// Semaphore recipes running against Concord.

import (
	"errors"
	"fmt"
	"testing"
	"time"

	consulapi "github.com/hashicorp/consul/api"

	"github.com/concordhq/concord/internal/testutil"
)

// noDelaySession creates a session with LockDelay 0, which the Consul
// client cannot ask for: it omits a zero LockDelay, so the server's 15s
// default applies.
func noDelaySession(t *testing.T, addr, name string) string {
	t.Helper()
	return createSessionRaw(t, addr, `{"Name":"`+name+`","LockDelay":"0s"}`)
}

// acquire tries to lock key for session and returns whether it got it.
func acquire(t *testing.T, c *consulapi.Client, key, session, value string) bool {
	t.Helper()
	ok, _, err := c.KV().Acquire(&consulapi.KVPair{Key: key, Value: []byte(value), Session: session}, nil)
	if err != nil {
		t.Fatalf("Acquire(%q, %s): %v", key, session, err)
	}
	return ok
}

// release tries to unlock key for session, storing value, and returns
// whether it did.
func release(t *testing.T, c *consulapi.Client, key, session, value string) bool {
	t.Helper()
	ok, _, err := c.KV().Release(&consulapi.KVPair{Key: key, Value: []byte(value), Session: session}, nil)
	if err != nil {
		t.Fatalf("Release(%q, %s): %v", key, session, err)
	}
	return ok
}

// wantLock fails unless key holds value, is held by session ("" for
// unlocked) and has the given LockIndex; it returns the key.
func wantLock(t *testing.T, c *consulapi.Client, key, value, session string, lockIndex uint64) *consulapi.KVPair {
	t.Helper()
	p := mustGet(t, c, key)
	if p == nil {
		t.Fatalf("Get(%q) = nil, want a key held by %q", key, session)
	}
	if string(p.Value) != value || p.Session != session || p.LockIndex != lockIndex {
		t.Fatalf("Get(%q) = value %q, Session %q, LockIndex %d; want %q, %q, %d",
			key, p.Value, p.Session, p.LockIndex, value, session, lockIndex)
	}
	return p
}

// destroySession destroys a session through the Consul client.
func destroySession(t *testing.T, c *consulapi.Client, id string) {
	t.Helper()
	if _, err := c.Session().Destroy(id, nil); err != nil {
		t.Fatalf("Session.Destroy(%s): %v", id, err)
	}
}

func TestLockAcquireRelease(t *testing.T) {
	t.Parallel()
	ta, c := startSessionAgent(t)
	addr := ta.HTTPAddr()
	s1 := noDelaySession(t, addr, "s1")
	s2 := noDelaySession(t, addr, "s2")
	const key = "locks/a"

	if !acquire(t, c, key, s1, "one") {
		t.Fatalf("Acquire(%s, s1) on a free key = false, want true", key)
	}
	first := wantLock(t, c, key, "one", s1, 1)
	if _, ok := kvFields(t, addr, key)["Session"]; !ok {
		t.Errorf("raw GET %s while held has no Session field, want one", key)
	}

	// The holder may re-acquire to update the value: LockIndex stays.
	if !acquire(t, c, key, s1, "one-again") {
		t.Fatalf("re-Acquire by the holder = false, want true")
	}
	again := wantLock(t, c, key, "one-again", s1, 1)
	if again.ModifyIndex <= first.ModifyIndex || again.CreateIndex != first.CreateIndex {
		t.Errorf("re-Acquire indexes = create %d, modify %d; want create %d, modify > %d",
			again.CreateIndex, again.ModifyIndex, first.CreateIndex, first.ModifyIndex)
	}

	if acquire(t, c, key, s2, "two") {
		t.Errorf("Acquire by s2 while s1 holds = true, want false")
	}
	if release(t, c, key, s2, "two") {
		t.Errorf("Release by s2 (not the holder) = true, want false")
	}
	wantLock(t, c, key, "one-again", s1, 1)

	if !release(t, c, key, s1, "free") {
		t.Fatalf("Release by the holder = false, want true")
	}
	freed := wantLock(t, c, key, "free", "", 1)
	if freed.ModifyIndex <= again.ModifyIndex {
		t.Errorf("Release ModifyIndex = %d, want > %d", freed.ModifyIndex, again.ModifyIndex)
	}
	if _, ok := kvFields(t, addr, key)["Session"]; ok {
		t.Errorf("raw GET %s after release has a Session field, want it omitted", key)
	}
	if release(t, c, key, s1, "x") {
		t.Errorf("second Release by s1 = true, want false")
	}

	// Each change of hands counts.
	if !acquire(t, c, key, s2, "two") {
		t.Fatalf("Acquire by s2 after release = false, want true")
	}
	wantLock(t, c, key, "two", s2, 2)
	release(t, c, key, s2, "")
	if !acquire(t, c, key, s1, "three") {
		t.Fatalf("Acquire by s1 after s2's release = false, want true")
	}
	wantLock(t, c, key, "three", s1, 3)

	// Acquiring a key that does not exist creates it.
	if !acquire(t, c, "locks/new", s2, "") {
		t.Fatalf("Acquire(locks/new) = false, want true")
	}
	wantLock(t, c, "locks/new", "", s2, 1)
}

func TestLockPlainWritesIgnoreLock(t *testing.T) {
	t.Parallel()
	ta, c := startSessionAgent(t)
	s1 := noDelaySession(t, ta.HTTPAddr(), "s1")
	const key = "locks/advisory"
	if !acquire(t, c, key, s1, "held") {
		t.Fatalf("Acquire = false")
	}
	// Locks are advisory: a plain Put lands and keeps the holder.
	mustPut(t, c, key, "overwritten")
	wantLock(t, c, key, "overwritten", s1, 1)
	ok, _, err := c.KV().CAS(&consulapi.KVPair{Key: key, Value: []byte("cas"), ModifyIndex: mustGet(t, c, key).ModifyIndex}, nil)
	if err != nil || !ok {
		t.Fatalf("CAS on a locked key = %v, %v; want true", ok, err)
	}
	wantLock(t, c, key, "cas", s1, 1)
	// The holder can still release it.
	if !release(t, c, key, s1, "") {
		t.Errorf("Release after plain writes = false, want true")
	}
}

func TestLockAcquireWithUnknownSession(t *testing.T) {
	t.Parallel()
	_, c := startSessionAgent(t)
	id := mustCreateSession(t, c, nil)
	destroySession(t, c, id)
	ok, _, err := c.KV().Acquire(&consulapi.KVPair{Key: "locks/x", Session: id}, nil)
	if err == nil {
		t.Errorf("Acquire with a destroyed session = %v, nil; want an error", ok)
	}
	wantMissing(t, c, "locks/x")
}

// TestLockDelay checks that a key whose holder was invalidated refuses new
// acquires for the holder's LockDelay, whatever ended the session.
func TestLockDelay(t *testing.T) {
	t.Parallel()
	_, c := startSessionAgent(t)
	const delay = time.Second
	tests := []struct {
		name     string
		behavior string
		end      func(t *testing.T, node, session string)
	}{
		{"destroy", consulapi.SessionBehaviorRelease, func(t *testing.T, _, session string) {
			destroySession(t, c, session)
		}},
		{"check critical", consulapi.SessionBehaviorRelease, func(t *testing.T, node, _ string) {
			registerNodeCheck(t, c, node, "c1", consulapi.HealthCritical)
		}},
		{"node deregistered", consulapi.SessionBehaviorRelease, func(t *testing.T, node, _ string) {
			if _, err := c.Catalog().Deregister(&consulapi.CatalogDeregistration{Node: node}, nil); err != nil {
				t.Fatalf("Catalog.Deregister(%s): %v", node, err)
			}
		}},
		{"destroy with behavior delete", consulapi.SessionBehaviorDelete, func(t *testing.T, _, session string) {
			destroySession(t, c, session)
		}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			node := fmt.Sprintf("delay%d", i)
			key := "locks/delayed/" + node
			registerNodeCheck(t, c, node, "c1", consulapi.HealthPassing)
			holder := mustCreateSession(t, c, &consulapi.SessionEntry{
				Name: "holder", Node: node, NodeChecks: []string{"c1"}, LockDelay: delay, Behavior: tc.behavior,
			})
			waiter := mustCreateSession(t, c, &consulapi.SessionEntry{Name: "waiter"})
			if !acquire(t, c, key, holder, "h") {
				t.Fatalf("Acquire by holder = false")
			}

			start := time.Now()
			tc.end(t, node, holder)
			if acquire(t, c, key, waiter, "w") {
				t.Fatalf("Acquire right after the holder's session ended = true, want false (lock-delay %v)", delay)
			}
			// During the lock-delay the key reads as unlocked (or is gone):
			// this is how the Go client tells lock-delay from "held".
			wantLockIndex := uint64(2)
			if tc.behavior == consulapi.SessionBehaviorDelete {
				wantMissing(t, c, key)
				wantLockIndex = 1
			} else {
				wantLock(t, c, key, "h", "", 1)
			}
			attempts := 0
			testutil.Run(t, 5*time.Second, func(r *testutil.R) {
				attempts++
				ok, _, err := c.KV().Acquire(&consulapi.KVPair{Key: key, Value: []byte("w"), Session: waiter}, nil)
				if err != nil || !ok {
					r.Fatalf("Acquire after %v = %v, %v", time.Since(start), ok, err)
				}
			})
			waited := time.Since(start)
			t.Logf("lock-delay %v after %s: acquired %v later, in %d attempts", delay, tc.name, waited.Round(time.Millisecond), attempts)
			if waited < delay {
				t.Errorf("acquired %v after the session ended, want no sooner than the lock-delay %v", waited, delay)
			}
			wantLock(t, c, key, "w", waiter, wantLockIndex)
		})
	}
}

func TestLockDelayNotAppliedOnRelease(t *testing.T) {
	t.Parallel()
	_, c := startSessionAgent(t)
	holder := mustCreateSession(t, c, &consulapi.SessionEntry{LockDelay: 10 * time.Second})
	other := mustCreateSession(t, c, nil)
	const key = "locks/released"
	if !acquire(t, c, key, holder, "h") || !release(t, c, key, holder, "h") {
		t.Fatalf("Acquire+Release by holder failed")
	}
	destroySession(t, c, holder) // it holds nothing now: no delay to set
	if !acquire(t, c, key, other, "o") {
		t.Errorf("Acquire after an explicit release = false, want true (lock-delay applies only on invalidation)")
	}
}

func TestLockDelayZero(t *testing.T) {
	t.Parallel()
	ta, c := startSessionAgent(t)
	holder := noDelaySession(t, ta.HTTPAddr(), "holder")
	other := noDelaySession(t, ta.HTTPAddr(), "other")
	if se := mustSessionInfo(t, c, holder); se == nil || se.LockDelay != 0 {
		t.Fatalf("Session.Info(LockDelay 0s) = %+v, want LockDelay 0", se)
	}
	const key = "locks/nodelay"
	if !acquire(t, c, key, holder, "h") {
		t.Fatalf("Acquire by holder = false")
	}
	destroySession(t, c, holder)
	if !acquire(t, c, key, other, "o") {
		t.Errorf("Acquire right after destroying a LockDelay 0 holder = false, want true")
	}
	wantLock(t, c, key, "o", other, 2)
}

func TestTxnLockVerbs(t *testing.T) {
	t.Parallel()
	ta, c := startSessionAgent(t)
	s1 := noDelaySession(t, ta.HTTPAddr(), "s1")
	s2 := noDelaySession(t, ta.HTTPAddr(), "s2")
	const key = "txn/lock"
	lockOp := func(verb consulapi.KVOp, session, value string) *consulapi.TxnOp {
		return &consulapi.TxnOp{KV: &consulapi.KVTxnOp{Verb: verb, Key: key, Session: session, Value: []byte(value)}}
	}

	ok, resp := runTxn(t, c, consulapi.TxnOps{lockOp(consulapi.KVLock, s1, "v1")}, nil)
	if !ok || len(resp.Results) != 1 {
		t.Fatalf("Txn(lock s1) ok = %v, errors: %s", ok, txnErrors(resp))
	}
	if r := resp.Results[0].KV; r == nil || r.Session != s1 || r.LockIndex != 1 || r.Key != key {
		t.Errorf("Txn(lock s1) result = %+v, want Session s1, LockIndex 1", resp.Results[0].KV)
	}
	wantLock(t, c, key, "v1", s1, 1)

	tests := []struct {
		name   string
		ops    consulapi.TxnOps
		wantOK bool
	}{
		{"check-session holder", consulapi.TxnOps{lockOp(consulapi.KVCheckSession, s1, "")}, true},
		{"check-session other", consulapi.TxnOps{lockOp(consulapi.KVCheckSession, s2, "")}, false},
		{"lock by other", consulapi.TxnOps{lockOp(consulapi.KVLock, s2, "v2")}, false},
		{"unlock by other", consulapi.TxnOps{lockOp(consulapi.KVUnlock, s2, "v2")}, false},
		{"set then failed check rolls back", consulapi.TxnOps{
			kvOp(consulapi.KVSet, "txn/side", "written", 0),
			lockOp(consulapi.KVCheckSession, s2, ""),
		}, false},
	}
	for _, tc := range tests {
		ok, resp := runTxn(t, c, tc.ops, nil)
		if ok != tc.wantOK {
			t.Errorf("Txn(%s) ok = %v, want %v; errors: %s", tc.name, ok, tc.wantOK, txnErrors(resp))
		}
		if !tc.wantOK && (len(resp.Errors) != 1 || resp.Errors[0].OpIndex != len(tc.ops)-1) {
			t.Errorf("Txn(%s) errors = %s, want one at OpIndex %d", tc.name, txnErrors(resp), len(tc.ops)-1)
		}
	}
	wantMissing(t, c, "txn/side")
	wantLock(t, c, key, "v1", s1, 1)

	ok, resp = runTxn(t, c, consulapi.TxnOps{lockOp(consulapi.KVUnlock, s1, "free")}, nil)
	if !ok {
		t.Fatalf("Txn(unlock s1) ok = false, errors: %s", txnErrors(resp))
	}
	wantLock(t, c, key, "free", "", 1)
	ok, _ = runTxn(t, c, consulapi.TxnOps{lockOp(consulapi.KVCheckSession, s1, "")}, nil)
	if ok {
		t.Errorf("Txn(check-session s1) after unlock ok = true, want false")
	}
	// Lock and unlock in one txn: net effect is a free key, counted once.
	ok, resp = runTxn(t, c, consulapi.TxnOps{lockOp(consulapi.KVLock, s2, "a"), lockOp(consulapi.KVUnlock, s2, "b")}, nil)
	if !ok {
		t.Fatalf("Txn(lock s2, unlock s2) ok = false, errors: %s", txnErrors(resp))
	}
	wantLock(t, c, key, "b", "", 2)
}

// TestTxnFencing is the fencing-token pattern: the holder writes guarded
// data only in a txn that checks it still holds the lock at the index it
// acquired it, so a holder that lost the lock cannot write.
func TestTxnFencing(t *testing.T) {
	t.Parallel()
	ta, c := startSessionAgent(t)
	s1 := noDelaySession(t, ta.HTTPAddr(), "s1")
	s2 := noDelaySession(t, ta.HTTPAddr(), "s2")
	const lockKey, dataKey = "fence/lock", "fence/data"
	if !acquire(t, c, lockKey, s1, "s1") {
		t.Fatalf("Acquire by s1 = false")
	}
	held := mustGet(t, c, lockKey)
	fenced := func(session string, index uint64, value string) consulapi.TxnOps {
		return consulapi.TxnOps{
			{KV: &consulapi.KVTxnOp{Verb: consulapi.KVCheckSession, Key: lockKey, Session: session}},
			{KV: &consulapi.KVTxnOp{Verb: consulapi.KVCheckIndex, Key: lockKey, Index: index}},
			kvOp(consulapi.KVSet, dataKey, value, 0),
		}
	}
	if ok, resp := runTxn(t, c, fenced(s1, held.ModifyIndex, "by-s1"), nil); !ok {
		t.Fatalf("fenced write by the holder failed: %s", txnErrors(resp))
	}
	wantValue(t, c, dataKey, "by-s1")

	// The lock moves: s1's session dies, s2 takes it.
	destroySession(t, c, s1)
	if !acquire(t, c, lockKey, s2, "s2") {
		t.Fatalf("Acquire by s2 after s1 died = false")
	}
	moved := mustGet(t, c, lockKey)
	if moved.LockIndex <= held.LockIndex {
		t.Errorf("LockIndex after the lock moved = %d, want > %d", moved.LockIndex, held.LockIndex)
	}

	// s1, unaware, tries again with its old token: rolled back.
	ok, resp := runTxn(t, c, fenced(s1, held.ModifyIndex, "stale-s1"), nil)
	if ok {
		t.Fatalf("fenced write by the old holder ok = true, want a rollback")
	}
	// Every failing operation is named, as Consul does: the session check
	// first.
	if len(resp.Errors) == 0 || resp.Errors[0].OpIndex != 0 {
		t.Errorf("fenced write by the old holder errors = %s, want the first at OpIndex 0", txnErrors(resp))
	}
	// Even with the right session, an old index fails.
	ok, resp = runTxn(t, c, fenced(s2, held.ModifyIndex, "stale-index"), nil)
	if ok || len(resp.Errors) != 1 || resp.Errors[0].OpIndex != 1 {
		t.Errorf("fenced write with a stale index ok = %v, errors %s; want a rollback at OpIndex 1", ok, txnErrors(resp))
	}
	wantValue(t, c, dataKey, "by-s1")
	if ok, resp := runTxn(t, c, fenced(s2, moved.ModifyIndex, "by-s2"), nil); !ok {
		t.Fatalf("fenced write by the new holder failed: %s", txnErrors(resp))
	}
	wantValue(t, c, dataKey, "by-s2")
}

// lockResult is what a Lock call run in a goroutine hands back.
type lockResult struct {
	lost    <-chan struct{}
	err     error
	elapsed time.Duration
}

// lockAsync runs l.Lock(stop) in a goroutine.
func lockAsync(l *consulapi.Lock, stop <-chan struct{}) <-chan lockResult {
	out := make(chan lockResult, 1)
	go func() {
		start := time.Now()
		lost, err := l.Lock(stop)
		out <- lockResult{lost, err, time.Since(start)}
	}()
	return out
}

// newLock returns a Consul client Lock on opts for the agent at addr, on
// its own client.
func newLock(t *testing.T, addr string, opts *consulapi.LockOptions) *consulapi.Lock {
	t.Helper()
	l, err := newConsulClient(t, addr, nil).LockOpts(opts)
	if err != nil {
		t.Fatalf("LockOpts(%+v): %v", opts, err)
	}
	return l
}

// wantPending fails if ch delivers within a short while: a negative check,
// so it can only wait a bounded time.
func wantPending[T any](t *testing.T, ch <-chan T, what string) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("%s returned %+v, want it still waiting", what, v)
	case <-time.After(300 * time.Millisecond):
	}
}

func TestAPILockTwoContenders(t *testing.T) {
	t.Parallel()
	ta, c := startSessionAgent(t)
	const key = "api/lock"
	first := newLock(t, ta.HTTPAddr(), &consulapi.LockOptions{Key: key, Value: []byte("first")})
	second := newLock(t, ta.HTTPAddr(), &consulapi.LockOptions{Key: key, Value: []byte("second")})

	lost1, err := first.Lock(nil)
	if err != nil || lost1 == nil {
		t.Fatalf("first.Lock = %v, %v; want a channel", lost1, err)
	}
	p := mustGet(t, c, key)
	if p == nil || p.Flags != consulapi.LockFlagValue || p.Session == "" || string(p.Value) != "first" {
		t.Fatalf("lock key after first.Lock = %+v, want the lock flag, a Session and value first", p)
	}
	if _, err := first.Lock(nil); !errors.Is(err, consulapi.ErrLockHeld) {
		t.Errorf("first.Lock again = %v, want ErrLockHeld", err)
	}

	res := lockAsync(second, nil)
	wantPending(t, res, "second.Lock while first holds")

	start := time.Now()
	if err := first.Unlock(); err != nil {
		t.Fatalf("first.Unlock: %v", err)
	}
	got := receive(t, res, "second.Lock")
	if got.err != nil || got.lost == nil {
		t.Fatalf("second.Lock = %v, %v; want a channel", got.lost, got.err)
	}
	t.Logf("second.Lock returned %v after first.Unlock", time.Since(start).Round(time.Millisecond))
	select {
	case <-lost1:
	case <-time.After(10 * time.Second):
		t.Errorf("first's lost channel still open after Unlock")
	}
	p = mustGet(t, c, key)
	if p == nil || p.Session == "" || string(p.Value) != "second" || p.LockIndex != 2 {
		t.Errorf("lock key after second.Lock = %+v, want held with value second, LockIndex 2", p)
	}
	if err := first.Destroy(); !errors.Is(err, consulapi.ErrLockInUse) {
		t.Errorf("first.Destroy while second holds = %v, want ErrLockInUse", err)
	}
	if err := second.Unlock(); err != nil {
		t.Fatalf("second.Unlock: %v", err)
	}
	if err := second.Destroy(); err != nil {
		t.Errorf("second.Destroy after Unlock: %v", err)
	}
	wantMissing(t, c, key)
	if err := second.Unlock(); !errors.Is(err, consulapi.ErrLockNotHeld) {
		t.Errorf("second.Unlock twice = %v, want ErrLockNotHeld", err)
	}
}

func TestAPILockConflictsWithPlainKey(t *testing.T) {
	t.Parallel()
	ta, c := startSessionAgent(t)
	mustPut(t, c, "api/plain", "not a lock")
	l := newLock(t, ta.HTTPAddr(), &consulapi.LockOptions{Key: "api/plain"})
	if _, err := l.Lock(nil); !errors.Is(err, consulapi.ErrLockConflict) {
		t.Errorf("Lock on a plain key = %v, want ErrLockConflict", err)
	}
}

func TestAPILockLostWhenSessionDestroyed(t *testing.T) {
	t.Parallel()
	ta, c := startSessionAgent(t)
	const key = "api/lost"
	l := newLock(t, ta.HTTPAddr(), &consulapi.LockOptions{
		Key: key, SessionTTL: "1s", MonitorRetries: 3, MonitorRetryTime: 100 * time.Millisecond,
	})
	lost, err := l.Lock(nil)
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	sid := mustGet(t, c, key).Session
	se := mustSessionInfo(t, c, sid)
	if se == nil || se.TTL != "1s" || se.Name != consulapi.DefaultLockSessionName {
		t.Fatalf("lock session = %+v, want TTL 1s and the client's default name", se)
	}

	// The client renews the 1s session: after three TTLs it still holds.
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-lost:
			t.Fatalf("lost channel closed while the session was renewed")
		case <-time.After(100 * time.Millisecond):
		}
	}
	if p := mustGet(t, c, key); p.Session != sid {
		t.Fatalf("lock key Session after 3s = %q, want %q", p.Session, sid)
	}

	start := time.Now()
	destroySession(t, c, sid)
	select {
	case <-lost:
		t.Logf("lost channel closed %v after the session was destroyed", time.Since(start).Round(time.Millisecond))
	case <-time.After(10 * time.Second):
		t.Fatalf("lost channel still open 10s after the session was destroyed")
	}
	if err := l.Unlock(); err != nil {
		t.Errorf("Unlock after losing the lock: %v", err)
	}
}

func TestAPILockTryOnce(t *testing.T) {
	t.Parallel()
	ta, _ := startSessionAgent(t)
	const key = "api/tryonce"
	holder := newLock(t, ta.HTTPAddr(), &consulapi.LockOptions{Key: key})
	if _, err := holder.Lock(nil); err != nil {
		t.Fatalf("holder.Lock: %v", err)
	}
	const wait = 500 * time.Millisecond
	try := newLock(t, ta.HTTPAddr(), &consulapi.LockOptions{Key: key, LockTryOnce: true, LockWaitTime: wait})
	start := time.Now()
	lost, err := try.Lock(nil)
	elapsed := time.Since(start)
	if err != nil || lost != nil {
		t.Fatalf("LockTryOnce while held = %v, %v; want nil, nil", lost, err)
	}
	t.Logf("LockTryOnce (LockWaitTime %v) gave up after %v", wait, elapsed.Round(time.Millisecond))
	if elapsed < wait || elapsed > 5*time.Second {
		t.Errorf("LockTryOnce gave up after %v, want about %v", elapsed, wait)
	}
	if err := holder.Unlock(); err != nil {
		t.Fatalf("holder.Unlock: %v", err)
	}
	lost, err = try.Lock(nil)
	if err != nil || lost == nil {
		t.Errorf("LockTryOnce on a free lock = %v, %v; want a channel", lost, err)
	}
	try.Unlock()
}

// TestLeaderElection runs the documented recipe with the Go client's Lock:
// two candidates contend for one key, followers learn the leader from the
// key's value, and when the leader's session is destroyed the other
// candidate takes over.
func TestLeaderElection(t *testing.T) {
	t.Parallel()
	ta, c := startSessionAgent(t)
	addr := ta.HTTPAddr()
	const key = "service/db/leader"

	type candidate struct {
		name    string
		session string
		lock    *consulapi.Lock
		res     <-chan lockResult
	}
	stop := make(chan struct{})
	defer close(stop)
	cands := make([]*candidate, 2)
	for i := range cands {
		name := fmt.Sprintf("candidate-%d", i)
		sid := noDelaySession(t, addr, name)
		l := newLock(t, addr, &consulapi.LockOptions{Key: key, Value: []byte(name), Session: sid})
		cands[i] = &candidate{name: name, session: sid, lock: l, res: lockAsync(l, stop)}
	}

	// Exactly one wins.
	var leader, follower *candidate
	var leaderLost <-chan struct{}
	select {
	case r := <-cands[0].res:
		leader, follower, leaderLost = cands[0], cands[1], r.lost
		if r.err != nil {
			t.Fatalf("%s Lock: %v", leader.name, r.err)
		}
	case r := <-cands[1].res:
		leader, follower, leaderLost = cands[1], cands[0], r.lost
		if r.err != nil {
			t.Fatalf("%s Lock: %v", leader.name, r.err)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("no candidate became leader")
	}
	wantPending(t, follower.res, follower.name+".Lock while "+leader.name+" leads")
	// Anyone discovers the leader by reading the key.
	if p := mustGet(t, c, key); p == nil || string(p.Value) != leader.name || p.Session != leader.session {
		t.Fatalf("leader key = %+v, want value %s held by its session", p, leader.name)
	}

	// The leader's session dies (its node failed, say).
	start := time.Now()
	destroySession(t, c, leader.session)
	r := receive(t, follower.res, follower.name+".Lock after the leader's session died")
	failover := time.Since(start)
	if r.err != nil || r.lost == nil {
		t.Fatalf("%s Lock = %v, %v; want a channel", follower.name, r.lost, r.err)
	}
	select {
	case <-leaderLost:
	case <-time.After(10 * time.Second):
		t.Errorf("old leader's lost channel still open")
	}
	t.Logf("leader failover (session destroyed → %s holds the lock, LockDelay 0): %v",
		follower.name, failover.Round(time.Millisecond))
	if p := mustGet(t, c, key); p == nil || string(p.Value) != follower.name || p.Session != follower.session || p.LockIndex != 2 {
		t.Errorf("leader key after failover = %+v, want value %s, its session, LockIndex 2", p, follower.name)
	}
	if err := follower.lock.Unlock(); err != nil {
		t.Errorf("new leader Unlock: %v", err)
	}
}

func TestAPISemaphore(t *testing.T) {
	t.Parallel()
	ta, c := startSessionAgent(t)
	const prefix = "service/batch/lock"
	sems := make([]*consulapi.Semaphore, 3)
	for i := range sems {
		s, err := newConsulClient(t, ta.HTTPAddr(), nil).SemaphoreOpts(&consulapi.SemaphoreOptions{
			Prefix: prefix, Limit: 2, Value: []byte(fmt.Sprintf("holder-%d", i)),
		})
		if err != nil {
			t.Fatalf("SemaphoreOpts: %v", err)
		}
		sems[i] = s
	}
	type semResult struct {
		lost <-chan struct{}
		err  error
	}
	acquireAsync := func(s *consulapi.Semaphore) <-chan semResult {
		out := make(chan semResult, 1)
		go func() {
			lost, err := s.Acquire(nil)
			out <- semResult{lost, err}
		}()
		return out
	}
	for i := 0; i < 2; i++ {
		r := receive(t, acquireAsync(sems[i]), fmt.Sprintf("sems[%d].Acquire", i))
		if r.err != nil || r.lost == nil {
			t.Fatalf("sems[%d].Acquire = %v, %v; want a channel", i, r.lost, r.err)
		}
	}
	third := acquireAsync(sems[2])
	wantPending(t, third, "third Acquire with both slots taken")

	// The waiter has a contender key too, held by its own session.
	testutil.Run(t, 10*time.Second, func(r *testutil.R) {
		pairs, _, err := c.KV().List(prefix, nil)
		if err != nil {
			r.Fatalf("List(%s): %v", prefix, err)
		}
		var contenders int
		for _, p := range pairs {
			if p.Key == prefix+"/.lock" {
				continue
			}
			contenders++
			if p.Session == "" || p.Flags != consulapi.SemaphoreFlagValue {
				r.Fatalf("contender key %+v, want held with the semaphore flag", p)
			}
		}
		if contenders != 3 {
			r.Fatalf("contender keys = %d, want 3 (two holders and one waiter)", contenders)
		}
	})

	start := time.Now()
	if err := sems[0].Release(); err != nil {
		t.Fatalf("sems[0].Release: %v", err)
	}
	r := receive(t, third, "third Acquire after a Release")
	if r.err != nil || r.lost == nil {
		t.Fatalf("third Acquire = %v, %v; want a channel", r.lost, r.err)
	}
	t.Logf("third semaphore holder got a slot %v after a Release", time.Since(start).Round(time.Millisecond))
	for _, s := range sems[1:] {
		if err := s.Release(); err != nil {
			t.Errorf("Release: %v", err)
		}
	}
	if err := sems[0].Destroy(); err != nil {
		t.Errorf("Semaphore.Destroy after all released: %v", err)
	}
}
