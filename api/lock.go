package api

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Lock defaults. The key layout, flag value and session name are those of
// Consul's Go client and `consul lock`, so that a Concord and a Consul
// client contending for the same key see each other's locks.
const (
	// LockFlagValue is stored in the Flags of a lock key, marking it as a
	// lock so that other uses of the key are detected.
	LockFlagValue = 0x2ddccbc058a50c18

	DefaultLockSessionName = "Consul API Lock"
	DefaultLockSessionTTL  = "15s"
	// DefaultLockWaitTime is how long one blocking read waits for the key
	// to change, and with LockTryOnce how long Lock tries in all.
	DefaultLockWaitTime = 15 * time.Second
	// DefaultLockRetryTime is the pause after an acquire refused during the
	// key's lock-delay.
	DefaultLockRetryTime = 5 * time.Second
	// DefaultMonitorRetryTime is the pause between the retries a monitor
	// makes after a server error.
	DefaultMonitorRetryTime = 2 * time.Second
)

// monitorWaitTime bounds one blocking read of a lock monitor, so that a
// connection that died silently is noticed.
const monitorWaitTime = time.Minute

var (
	// ErrLockHeld is returned by Lock when this Lock already holds the key,
	// and by Destroy while it does.
	ErrLockHeld = errors.New("api: lock already held")
	// ErrLockNotHeld is returned by Unlock when the lock is not held.
	ErrLockNotHeld = errors.New("api: lock not held")
	// ErrLockInUse is returned by Destroy when a session holds the key.
	ErrLockInUse = errors.New("api: lock in use")
	// ErrLockConflict is returned when the key exists with flags other than
	// LockFlagValue: it is not a lock, or is a semaphore's.
	ErrLockConflict = errors.New("api: existing key does not match lock use")
)

// LockOptions configure a Lock. Only Key is required.
type LockOptions struct {
	Key   string // the key to lock; `concord lock PREFIX` uses PREFIX/.lock
	Value []byte // written to the key when it is acquired

	// Session, if set, is the session to lock with; its owner keeps it
	// alive. If empty, Lock creates a session named SessionName with TTL
	// SessionTTL, renews it while the lock is held and destroys it on
	// Unlock.
	Session     string
	SessionName string // default DefaultLockSessionName
	SessionTTL  string // default DefaultLockSessionTTL

	// MonitorRetries is how many server errors in a row the monitor rides
	// out, MonitorRetryTime apart, before it calls the lock lost.
	MonitorRetries   int
	MonitorRetryTime time.Duration // default DefaultMonitorRetryTime

	LockWaitTime  time.Duration // default DefaultLockWaitTime
	LockTryOnce   bool          // give up after one LockWaitTime instead of waiting forever
	LockRetryTime time.Duration // default DefaultLockRetryTime
}

// Lock is a mutual-exclusion lock on one KV key, following the documented
// leader-election recipe: the holder's session acquires the key. A Lock is
// safe for concurrent use, but holds the key at most once.
type Lock struct {
	c    *Client     // non-nil
	opts LockOptions // defaults filled in

	// mu serializes Lock, Unlock and Destroy; Lock holds it while it waits.
	mu sync.Mutex
	h  *holding // guarded by mu; non-nil while held

	index atomic.Uint64 // LockIndex of the last acquisition; read without mu
}

// LockKey returns a Lock on key with the default options.
func (c *Client) LockKey(key string) (*Lock, error) {
	return c.LockOpts(&LockOptions{Key: key})
}

// LockOpts returns a Lock configured by opts, with defaults for the fields
// left zero. Nothing is sent to the agent yet.
func (c *Client) LockOpts(opts *LockOptions) (*Lock, error) {
	if opts == nil || opts.Key == "" {
		return nil, errors.New("api: missing lock key")
	}
	o := *opts
	if o.SessionName == "" {
		o.SessionName = DefaultLockSessionName
	}
	if o.SessionTTL == "" {
		o.SessionTTL = DefaultLockSessionTTL
	}
	if d, err := time.ParseDuration(o.SessionTTL); err != nil || d <= 0 {
		return nil, fmt.Errorf("api: invalid lock session TTL %q", o.SessionTTL)
	}
	if o.MonitorRetryTime <= 0 {
		o.MonitorRetryTime = DefaultMonitorRetryTime
	}
	if o.LockWaitTime <= 0 {
		o.LockWaitTime = DefaultLockWaitTime
	}
	if o.LockRetryTime <= 0 {
		o.LockRetryTime = DefaultLockRetryTime
	}
	return &Lock{c: c, opts: o}, nil
}

// Lock blocks until the key is acquired and returns a channel that is
// closed when the lock is lost: the key changed hands or was deleted, the
// session could not be renewed, or the monitor gave up after
// MonitorRetries server errors. The channel is also closed by Unlock.
//
// Lock gives up, returning a nil channel and a nil error, when stopCh is
// closed or, with LockTryOnce, after LockWaitTime. A key that exists with
// flags other than LockFlagValue gives ErrLockConflict.
func (l *Lock) Lock(stopCh <-chan struct{}) (<-chan struct{}, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.h != nil {
		return nil, ErrLockHeld
	}
	h, lost, index, err := hold(l.c, stopCh, l.opts.Session,
		&SessionEntry{Name: l.opts.SessionName, TTL: l.opts.SessionTTL},
		func(ctx context.Context, session string) (uint64, bool, error) {
			return l.acquire(ctx, session, stopCh)
		},
		nil, l.monitor)
	if h != nil {
		l.h = h
		l.index.Store(index)
	}
	return lost, err
}

// acquire runs the acquire loop of Lock for session. It returns the key's
// LockIndex once acquired, or acquired false when it gave up (stopCh closed,
// or the LockTryOnce wait is over).
func (l *Lock) acquire(ctx context.Context, session string, stopCh <-chan struct{}) (index uint64, acquired bool, err error) {
	kv := l.c.WithContext(ctx).KV()
	g := newGiveUp(stopCh, l.opts.LockTryOnce, l.opts.LockWaitTime)
	q := &QueryOptions{MaxQueryTime: l.opts.LockWaitTime}
	for attempt := 0; ; attempt++ {
		wait, ok := g.next(attempt)
		if !ok {
			return 0, false, nil
		}
		if attempt > 0 {
			q.MaxQueryTime = wait
		}
		pair, meta, err := kv.Get(l.opts.Key, q)
		if err != nil {
			if g.stopped() {
				return 0, false, nil
			}
			return 0, false, fmt.Errorf("api: cannot read lock key: %w", err)
		}
		if pair != nil && pair.Flags != LockFlagValue {
			return 0, false, ErrLockConflict
		}
		switch {
		case pair != nil && pair.Session == session:
			return pair.LockIndex, true, nil // held already, by our session
		case pair != nil && pair.Session != "":
			q.MinQueryIndex = meta.LastIndex // held by another: wait for a change
			continue
		}

		ok, err = kv.Acquire(&KVPair{Key: l.opts.Key, Flags: LockFlagValue, Value: l.opts.Value, Session: session})
		if err != nil {
			if g.stopped() {
				return 0, false, nil
			}
			return 0, false, fmt.Errorf("api: cannot acquire lock: %w", err)
		}
		if ok {
			// Read back the LockIndex, the fencing token of this hold. The
			// key is ours now, so this read is not cut short by stopCh.
			pair, _, err := l.c.KV().Get(l.opts.Key, nil)
			if err != nil {
				l.c.KV().Release(&KVPair{Key: l.opts.Key, Flags: LockFlagValue, Value: l.opts.Value, Session: session})
				return 0, false, fmt.Errorf("api: cannot read lock key: %w", err)
			}
			if pair == nil || pair.Session != session {
				continue // lost at once: try again
			}
			return pair.LockIndex, true, nil
		}

		// Refused: either someone took the key first, or the key is in its
		// lock-delay, when it reads as unlocked but cannot be acquired.
		pair, meta, err = kv.Get(l.opts.Key, nil)
		if err != nil {
			if g.stopped() {
				return 0, false, nil
			}
			return 0, false, fmt.Errorf("api: cannot read lock key: %w", err)
		}
		if pair != nil && pair.Session != "" {
			q.MinQueryIndex = meta.LastIndex
			continue
		}
		if !g.sleep(l.opts.LockRetryTime) {
			return 0, false, nil
		}
		q.MinQueryIndex = 0
	}
}

// monitor watches the key with consistent blocking reads and returns once
// session no longer holds it, MonitorRetries server errors in a row have
// been seen, or ctx is done.
func (l *Lock) monitor(ctx context.Context, session string) {
	watchHold(ctx, l.opts.MonitorRetries, l.opts.MonitorRetryTime, func(q *QueryOptions) (uint64, bool, error) {
		pair, meta, err := getWithin(ctx, l.c, l.opts.Key, q)
		if err != nil {
			return 0, false, err
		}
		return meta.LastIndex, pair != nil && pair.Session == session, nil
	})
}

// watchHold runs consistent blocking reads through read, which reports the
// index and whether we still hold, until we no longer do, retries server
// errors in a row have been seen (pausing retryTime after each), or ctx is
// done. Lock and Semaphore monitors share it.
func watchHold(ctx context.Context, retries int, retryTime time.Duration, read func(q *QueryOptions) (uint64, bool, error)) {
	q := &QueryOptions{RequireConsistent: true, MaxQueryTime: monitorWaitTime}
	left := retries
	for ctx.Err() == nil {
		idx, held, err := read(q)
		if err != nil {
			if ctx.Err() != nil || !retryable(err) || left <= 0 {
				return
			}
			left--
			if !sleepCtx(ctx, retryTime) {
				return
			}
			continue
		}
		left = retries
		if !held {
			return
		}
		q.MinQueryIndex = idx
	}
}

// LockIndex returns the LockIndex the key had when this Lock last acquired
// it: it grows each time the key changes hands, so together with the key it
// is a fencing token for work done under the lock. It is 0 before the first
// acquisition.
func (l *Lock) LockIndex() uint64 { return l.index.Load() }

// Unlock releases the key and, if Lock created the session, destroys the
// session. It closes the channel Lock returned.
func (l *Lock) Unlock() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.h == nil {
		return ErrLockNotHeld
	}
	h := l.h
	l.h = nil
	h.stopMonitoring()
	_, err := l.c.KV().Release(&KVPair{Key: l.opts.Key, Flags: LockFlagValue, Value: l.opts.Value, Session: h.session})
	h.endSession() // also releases the key if the release above failed
	if err != nil {
		return fmt.Errorf("api: cannot release lock: %w", err)
	}
	return nil
}

// Destroy deletes the lock key once no session holds it, so that locks
// used once do not pile up. A missing key is not an error; a held one gives
// ErrLockInUse (or ErrLockHeld if this Lock holds it).
func (l *Lock) Destroy() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.h != nil {
		return ErrLockHeld
	}
	kv := l.c.KV()
	pair, _, err := kv.Get(l.opts.Key, nil)
	if err != nil {
		return fmt.Errorf("api: cannot read lock key: %w", err)
	}
	if pair == nil {
		return nil
	}
	if pair.Flags != LockFlagValue {
		return ErrLockConflict
	}
	if pair.Session != "" {
		return ErrLockInUse
	}
	ok, err := kv.DeleteCAS(pair)
	if err != nil {
		return fmt.Errorf("api: cannot delete lock key: %w", err)
	}
	if !ok {
		return ErrLockInUse // changed since read: someone is using it
	}
	return nil
}

// holding is what a Lock or Semaphore keeps while it holds: the session
// and the goroutine that watches the hold.
type holding struct {
	session     string
	owned       *ownedSession      // non-nil if the session is ours to end
	stopMonitor context.CancelFunc // ends the monitor
	monitorDone chan struct{}      // closed once the monitor has returned
}

// hold runs one acquisition for a Lock or Semaphore:
//
//  1. Use session, or when it is empty create one from newSession and keep
//     it alive until endSession.
//  2. Run acquire with a context that ends when stopCh is closed.
//  3. If acquire fails or gives up, run abandon (if not nil), end the
//     session created in step 1 and return a nil holding.
//  4. Otherwise start monitor, which returns once the hold is lost, and
//     return a channel closed when it does. A failed renewal of our own
//     session ends the monitor too.
func hold(c *Client, stopCh <-chan struct{}, session string, newSession *SessionEntry,
	acquire func(ctx context.Context, session string) (index uint64, ok bool, err error),
	abandon func(session string),
	monitor func(ctx context.Context, session string),
) (h *holding, lost <-chan struct{}, index uint64, err error) {
	select {
	case <-stopCh:
		return nil, nil, 0, nil // stopped before we began
	default:
	}
	h = &holding{session: session}
	if session == "" {
		if h.owned, err = startSession(c, newSession); err != nil {
			return nil, nil, 0, err
		}
		h.session = h.owned.id
	}

	// Requests end when stopCh closes, so that a blocking read does not
	// hold the caller for the rest of its wait.
	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	go func() {
		select {
		case <-stopCh:
			cancel()
		case <-ctx.Done():
		}
	}()
	index, ok, err := acquire(ctx, h.session)
	if err != nil || !ok {
		if abandon != nil {
			abandon(h.session)
		}
		h.endSession()
		return nil, nil, 0, err
	}

	mctx, stop := context.WithCancel(c.ctx)
	if h.owned != nil {
		go func() {
			select {
			case <-h.owned.done: // renewal ended: the session may be gone
				stop()
			case <-mctx.Done():
			}
		}()
	}
	lostCh := make(chan struct{})
	h.stopMonitor, h.monitorDone = stop, make(chan struct{})
	go func() {
		defer close(h.monitorDone)
		defer close(lostCh)
		monitor(mctx, h.session)
	}()
	return h, lostCh, index, nil
}

// stopMonitoring ends the monitor and waits for it.
func (h *holding) stopMonitoring() {
	h.stopMonitor()
	<-h.monitorDone
}

// endSession destroys the session if hold created it.
func (h *holding) endSession() {
	if h.owned != nil {
		h.owned.end()
	}
}

// ownedSession is a session a Lock or Semaphore created for itself and keeps
// alive with RenewPeriodic until end.
type ownedSession struct {
	id   string
	stop chan struct{} // closed by end
	done chan struct{} // closed when RenewPeriodic has returned
}

// startSession creates a session from se and starts renewing it.
func startSession(c *Client, se *SessionEntry) (*ownedSession, error) {
	id, err := c.Session().Create(se)
	if err != nil {
		return nil, err
	}
	o := &ownedSession{id: id, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(o.done)
		// An error means the session may be gone; closing done makes the
		// monitor report the hold lost, which is all a holder can do.
		c.Session().RenewPeriodic(se.TTL, id, o.stop)
	}()
	return o, nil
}

// end stops the renewals and waits until the session is destroyed (or was
// found gone). Call it once.
func (o *ownedSession) end() {
	close(o.stop)
	<-o.done
}

// giveUp tells an acquire loop when to stop trying: when stopCh is closed,
// or, in try-once mode, when the wait is used up.
type giveUp struct {
	stopCh  <-chan struct{}
	tryOnce bool
	wait    time.Duration
	start   time.Time
}

func newGiveUp(stopCh <-chan struct{}, tryOnce bool, wait time.Duration) *giveUp {
	return &giveUp{stopCh: stopCh, tryOnce: tryOnce, wait: wait, start: time.Now()}
}

// stopped reports whether stopCh is closed.
func (g *giveUp) stopped() bool {
	select {
	case <-g.stopCh:
		return true
	default:
		return false
	}
}

// next is called before each read of the loop. It returns how long that
// read may block, and false when the loop must give up. The first attempt
// is always made.
func (g *giveUp) next(attempt int) (time.Duration, bool) {
	if g.stopped() {
		return 0, false
	}
	if !g.tryOnce {
		return g.wait, true
	}
	left := g.wait - time.Since(g.start)
	if attempt > 0 && left <= 0 {
		return 0, false
	}
	return max(left, time.Millisecond), true
}

// sleep pauses for d, cut short in try-once mode by the end of the wait. It
// returns false if the loop must give up.
func (g *giveUp) sleep(d time.Duration) bool {
	if g.tryOnce {
		d = min(d, g.wait-time.Since(g.start))
	}
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-g.stopCh:
			return false
		case <-t.C:
		}
	}
	return !g.stopped()
}

// sleepCtx pauses for d and reports false if ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// getWithin reads key with q, giving the request the blocking wait plus its
// jitter and a margin, so that a dead connection turns into an error.
func getWithin(ctx context.Context, c *Client, key string, q *QueryOptions) (*KVPair, *QueryMeta, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout(q))
	defer cancel()
	return c.WithContext(ctx).KV().Get(key, q)
}

// listWithin is getWithin for a prefix.
func listWithin(ctx context.Context, c *Client, prefix string, q *QueryOptions) ([]*KVPair, *QueryMeta, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout(q))
	defer cancel()
	return c.WithContext(ctx).KV().List(prefix, q)
}

// requestTimeout is how long a read with q may take before it is given up:
// its wait, the up to 1/16 more that servers add as jitter, and a margin.
func requestTimeout(q *QueryOptions) time.Duration {
	return q.MaxQueryTime + q.MaxQueryTime/16 + 10*time.Second
}

// retryable reports whether a monitor should retry after err: server
// errors (5xx) and transport failures are passing; other replies (403, 404
// on the endpoint) are not.
func retryable(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code >= 500
	}
	return true
}
