package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sync"
	"sync/atomic"
	"time"
)

// Semaphore defaults. The key layout, flag value and session name are those
// of Consul's Go client and `consul lock -n`, so that Concord and Consul
// clients can share one semaphore.
const (
	// SemaphoreFlagValue is stored in the Flags of a semaphore's keys.
	SemaphoreFlagValue = 0xe0f69a2baa414de0

	DefaultSemaphoreSessionName = "Consul API Semaphore"
	DefaultSemaphoreSessionTTL  = "15s"
	DefaultSemaphoreWaitTime    = 15 * time.Second
	// DefaultSemaphoreKey is the coordination key under the prefix, which
	// holds the limit and the current holders.
	DefaultSemaphoreKey = ".lock"
)

var (
	// ErrSemaphoreHeld is returned by Acquire when this Semaphore already
	// holds a slot, and by Destroy while it does.
	ErrSemaphoreHeld = errors.New("api: semaphore already held")
	// ErrSemaphoreNotHeld is returned by Release when no slot is held.
	ErrSemaphoreNotHeld = errors.New("api: semaphore not held")
	// ErrSemaphoreInUse is returned by Destroy while a live holder remains.
	ErrSemaphoreInUse = errors.New("api: semaphore in use")
	// ErrSemaphoreConflict is returned when the coordination key exists with
	// flags other than SemaphoreFlagValue: it is a lock, or not ours.
	ErrSemaphoreConflict = errors.New("api: existing key does not match semaphore use")
)

// SemaphoreOptions configure a Semaphore. Prefix and Limit are required.
type SemaphoreOptions struct {
	Prefix string // the semaphore's keys are Prefix/.lock and Prefix/<session>
	Limit  int    // how many holders at once; every contender must agree
	Value  []byte // written to this contender's key

	// Session, if set, is the session to contend with; its owner keeps it
	// alive. If empty, Acquire creates a session with Behavior "delete"
	// (so the contender key vanishes with it), renews it while a slot is
	// held and destroys it on Release.
	Session     string
	SessionName string // default DefaultSemaphoreSessionName
	SessionTTL  string // default DefaultSemaphoreSessionTTL

	MonitorRetries   int           // server errors in a row the monitor rides out
	MonitorRetryTime time.Duration // default DefaultMonitorRetryTime

	SemaphoreWaitTime time.Duration // default DefaultSemaphoreWaitTime
	SemaphoreTryOnce  bool          // give up after one SemaphoreWaitTime
}

// Semaphore lets at most Limit holders in at once, following the documented
// semaphore recipe: each contender locks its own key Prefix/<session>, and
// the holders are listed in the coordination key Prefix/.lock, which is
// only changed with check-and-set. A Semaphore is safe for concurrent use,
// but holds at most one slot.
type Semaphore struct {
	c    *Client          // non-nil
	opts SemaphoreOptions // defaults filled in

	// mu serializes Acquire, Release and Destroy; Acquire holds it while it
	// waits.
	mu sync.Mutex
	h  *holding // guarded by mu; non-nil while a slot is held

	index atomic.Uint64 // LockIndex of our contender key; read without mu
}

// semaphoreLock is the JSON value of the coordination key.
type semaphoreLock struct {
	Limit   int             // the agreed number of slots
	Holders map[string]bool // the sessions holding a slot, each true
}

// SemaphorePrefix returns a Semaphore on prefix with limit slots and the
// default options.
func (c *Client) SemaphorePrefix(prefix string, limit int) (*Semaphore, error) {
	return c.SemaphoreOpts(&SemaphoreOptions{Prefix: prefix, Limit: limit})
}

// SemaphoreOpts returns a Semaphore configured by opts, with defaults for
// the fields left zero. Nothing is sent to the agent yet.
func (c *Client) SemaphoreOpts(opts *SemaphoreOptions) (*Semaphore, error) {
	if opts == nil || opts.Prefix == "" {
		return nil, errors.New("api: missing semaphore prefix")
	}
	if opts.Limit <= 0 {
		return nil, fmt.Errorf("api: semaphore limit must be positive, got %d", opts.Limit)
	}
	o := *opts
	if o.SessionName == "" {
		o.SessionName = DefaultSemaphoreSessionName
	}
	if o.SessionTTL == "" {
		o.SessionTTL = DefaultSemaphoreSessionTTL
	}
	if d, err := time.ParseDuration(o.SessionTTL); err != nil || d <= 0 {
		return nil, fmt.Errorf("api: invalid semaphore session TTL %q", o.SessionTTL)
	}
	if o.MonitorRetryTime <= 0 {
		o.MonitorRetryTime = DefaultMonitorRetryTime
	}
	if o.SemaphoreWaitTime <= 0 {
		o.SemaphoreWaitTime = DefaultSemaphoreWaitTime
	}
	return &Semaphore{c: c, opts: o}, nil
}

// lockKey is the coordination key.
func (s *Semaphore) lockKey() string { return path.Join(s.opts.Prefix, DefaultSemaphoreKey) }

// listPrefix is what the semaphore's keys start with: the prefix as a
// directory, so that a semaphore on "a" does not see the keys of "ab".
func (s *Semaphore) listPrefix() string { return path.Clean(s.opts.Prefix) + "/" }

// contenderKey is the key session locks to contend.
func (s *Semaphore) contenderKey(session string) string { return path.Join(s.opts.Prefix, session) }

// Acquire blocks until a slot is held and returns a channel that is closed
// when it is lost: our session was dropped from the holders or lost its
// contender key, the session could not be renewed, or the monitor gave up
// after MonitorRetries server errors. The channel is also closed by
// Release.
//
// Acquire gives up, returning a nil channel and a nil error, when stopCh is
// closed or, with SemaphoreTryOnce, after SemaphoreWaitTime. A coordination
// key with another Limit or other flags is an error.
func (s *Semaphore) Acquire(stopCh <-chan struct{}) (<-chan struct{}, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.h != nil {
		return nil, ErrSemaphoreHeld
	}
	h, lost, index, err := hold(s.c, stopCh, s.opts.Session,
		&SessionEntry{Name: s.opts.SessionName, TTL: s.opts.SessionTTL, Behavior: SessionBehaviorDelete},
		func(ctx context.Context, session string) (uint64, bool, error) {
			return s.acquire(ctx, session, stopCh)
		},
		// Leave no contender key behind: destroying our own session would
		// delete it, but a caller's session would not.
		func(session string) { s.c.KV().Delete(s.contenderKey(session)) },
		s.monitor)
	if h != nil {
		s.h = h
		s.index.Store(index)
	}
	return lost, err
}

// acquire runs the acquire loop of Acquire for session: take the contender
// key, then add session to the holders once there is room. It returns the
// contender key's LockIndex, or acquired false when it gave up.
func (s *Semaphore) acquire(ctx context.Context, session string, stopCh <-chan struct{}) (index uint64, acquired bool, err error) {
	kv := s.c.WithContext(ctx).KV()
	g := newGiveUp(stopCh, s.opts.SemaphoreTryOnce, s.opts.SemaphoreWaitTime)

	contender := &KVPair{Key: s.contenderKey(session), Value: s.opts.Value, Session: session, Flags: SemaphoreFlagValue}
	ok, err := kv.Acquire(contender)
	if err != nil {
		if g.stopped() {
			return 0, false, nil
		}
		return 0, false, fmt.Errorf("api: cannot create contender key: %w", err)
	}
	if !ok {
		return 0, false, fmt.Errorf("api: cannot create contender key %s: refused", contender.Key)
	}

	q := &QueryOptions{MaxQueryTime: s.opts.SemaphoreWaitTime}
	for attempt := 0; ; attempt++ {
		wait, ok := g.next(attempt)
		if !ok {
			return 0, false, nil
		}
		if attempt > 0 {
			q.MaxQueryTime = wait
		}
		pairs, meta, err := kv.List(s.listPrefix(), q)
		if err != nil {
			if g.stopped() {
				return 0, false, nil
			}
			return 0, false, fmt.Errorf("api: cannot read semaphore: %w", err)
		}
		lockPair, lock, err := s.decodeLock(pairs)
		if err != nil {
			return 0, false, err
		}
		mine := findPair(pairs, contender.Key)
		if mine == nil || mine.Session != session {
			return 0, false, fmt.Errorf("api: contender key %s lost while waiting (session %s invalidated?)", contender.Key, session)
		}
		pruneDeadHolders(lock, pairs, s.opts.Prefix)
		if lock.Holders[session] {
			return mine.LockIndex, true, nil
		}
		if len(lock.Holders) >= lock.Limit {
			q.MinQueryIndex = meta.LastIndex // full: wait for a change
			continue
		}

		lock.Holders[session] = true
		ok, err = s.writeLock(kv, lockPair, lock)
		if err != nil {
			if g.stopped() {
				return 0, false, nil
			}
			return 0, false, err
		}
		if ok {
			return mine.LockIndex, true, nil
		}
		q.MinQueryIndex = 0 // lost a race for the coordination key: read again
	}
}

// decodeLock finds and decodes the coordination key among pairs. A missing
// key decodes as an empty lock with our Limit; lockPair is then nil.
func (s *Semaphore) decodeLock(pairs []*KVPair) (lockPair *KVPair, lock *semaphoreLock, err error) {
	lockPair = findPair(pairs, s.lockKey())
	if lockPair == nil {
		return nil, &semaphoreLock{Limit: s.opts.Limit, Holders: map[string]bool{}}, nil
	}
	if lockPair.Flags != SemaphoreFlagValue {
		return nil, nil, ErrSemaphoreConflict
	}
	lock = &semaphoreLock{}
	if err := json.Unmarshal(lockPair.Value, lock); err != nil {
		return nil, nil, fmt.Errorf("api: cannot decode semaphore key %s: %w", lockPair.Key, err)
	}
	if lock.Limit != s.opts.Limit {
		return nil, nil, fmt.Errorf("api: semaphore limit conflict (key %s says %d, we say %d)",
			lockPair.Key, lock.Limit, s.opts.Limit)
	}
	if lock.Holders == nil {
		lock.Holders = map[string]bool{}
	}
	return lockPair, lock, nil
}

// writeLock stores lock in the coordination key with check-and-set against
// lockPair (nil: the key must not exist yet), and reports whether it did.
func (s *Semaphore) writeLock(kv *KV, lockPair *KVPair, lock *semaphoreLock) (bool, error) {
	value, err := json.Marshal(lock)
	if err != nil {
		return false, fmt.Errorf("api: cannot encode semaphore: %w", err)
	}
	p := &KVPair{Key: s.lockKey(), Value: value, Flags: SemaphoreFlagValue}
	if lockPair != nil {
		p.ModifyIndex = lockPair.ModifyIndex
	}
	ok, err := kv.CAS(p)
	if err != nil {
		return false, fmt.Errorf("api: cannot update semaphore: %w", err)
	}
	return ok, nil
}

// monitor watches the prefix with consistent blocking reads and returns
// once session is no longer a live holder, MonitorRetries server errors in
// a row have been seen, or ctx is done.
func (s *Semaphore) monitor(ctx context.Context, session string) {
	watchHold(ctx, s.opts.MonitorRetries, s.opts.MonitorRetryTime, func(q *QueryOptions) (uint64, bool, error) {
		pairs, meta, err := listWithin(ctx, s.c, s.listPrefix(), q)
		if err != nil {
			return 0, false, err
		}
		_, lock, err := s.decodeLock(pairs)
		if err != nil || !lock.Holders[session] {
			return meta.LastIndex, false, nil
		}
		p := findPair(pairs, s.contenderKey(session))
		return meta.LastIndex, p != nil && p.Session == session, nil
	})
}

// LockIndex returns the LockIndex of our contender key at the last
// acquisition, 0 before the first.
func (s *Semaphore) LockIndex() uint64 { return s.index.Load() }

// Release gives up the slot: it removes our session from the holders,
// deletes our contender key and, if Acquire created the session, destroys
// it. It closes the channel Acquire returned.
func (s *Semaphore) Release() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.h == nil {
		return ErrSemaphoreNotHeld
	}
	h := s.h
	s.h = nil
	h.stopMonitoring()

	kv := s.c.KV()
	err := s.removeHolder(kv, h.session)
	if _, derr := kv.Delete(s.contenderKey(h.session)); derr != nil && err == nil {
		err = fmt.Errorf("api: cannot delete contender key: %w", derr)
	}
	h.endSession()
	return err
}

// removeHolder takes session out of the coordination key, retrying when a
// concurrent update wins the check-and-set.
func (s *Semaphore) removeHolder(kv *KV, session string) error {
	for {
		pair, _, err := kv.Get(s.lockKey(), nil)
		if err != nil {
			return fmt.Errorf("api: cannot read semaphore: %w", err)
		}
		if pair == nil {
			return nil
		}
		lockPair, lock, err := s.decodeLock([]*KVPair{pair})
		if err != nil {
			return err
		}
		if !lock.Holders[session] {
			return nil
		}
		delete(lock.Holders, session)
		ok, err := s.writeLock(kv, lockPair, lock)
		if err != nil || ok {
			return err
		}
	}
}

// Destroy deletes the coordination key once no live holder remains, so that
// semaphores used once do not pile up. A missing key is not an error.
func (s *Semaphore) Destroy() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.h != nil {
		return ErrSemaphoreHeld
	}
	kv := s.c.KV()
	pairs, _, err := kv.List(s.listPrefix(), nil)
	if err != nil {
		return fmt.Errorf("api: cannot read semaphore: %w", err)
	}
	lockPair, lock, err := s.decodeLock(pairs)
	if err != nil {
		return err
	}
	if lockPair == nil {
		return nil
	}
	pruneDeadHolders(lock, pairs, s.opts.Prefix)
	if len(lock.Holders) > 0 {
		return ErrSemaphoreInUse
	}
	ok, err := kv.DeleteCAS(lockPair)
	if err != nil {
		return fmt.Errorf("api: cannot delete semaphore key: %w", err)
	}
	if !ok {
		return ErrSemaphoreInUse
	}
	return nil
}

// pruneDeadHolders drops from lock the holders whose contender key under
// prefix is gone or no longer held by a session.
func pruneDeadHolders(lock *semaphoreLock, pairs []*KVPair, prefix string) {
	alive := map[string]bool{}
	for _, p := range pairs {
		if p.Session != "" && p.Key == path.Join(prefix, p.Session) {
			alive[p.Session] = true
		}
	}
	for id := range lock.Holders {
		if !alive[id] {
			delete(lock.Holders, id)
		}
	}
}

// findPair returns the pair with key, or nil.
func findPair(pairs []*KVPair, key string) *KVPair {
	for _, p := range pairs {
		if p.Key == key {
			return p
		}
	}
	return nil
}
