// Package cache is the agent's cache of reads (Consul's agent cache, used
// with ?cached): recent answers of catalog and health reads, each kept
// current by one background blocking query, so that many readers of a hot
// service cost the servers one long-poll rather than one call each.
//
// The flow of a ?cached read:
//  1. Get finds the entry for the read's key (its route, arguments and
//     token), or makes one and starts its refresher;
//  2. the refresher fetches once, then keeps a blocking query open on the
//     entry's index, replacing the value whenever it changes; it ends when
//     nobody has asked for the entry for IdleTTL, or when the cache closes;
//  3. Get answers from the entry once it has a value: a hit, with age 0
//     while the refresher is in touch with the servers, or the time since
//     it lost touch; a blocking ?index waits for the entry to pass it.
//
// The cache holds at most MaxEntries entries; a new one past that evicts
// the one used longest ago.
package cache

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/concordhq/concord/api"
)

// Fetch reads the value once: a blocking read when minIndex > 0, which
// returns when the index passes minIndex or after its wait.
type Fetch func(ctx context.Context, minIndex uint64) (any, api.QueryMeta, error)

// Options bound the cache.
type Options struct {
	MaxEntries int           // default 1024
	IdleTTL    time.Duration // an entry nobody asked for this long is dropped; default 10 minutes
}

// Cache is safe for concurrent use.
type Cache struct {
	opts Options
	ctx  context.Context // ends the refreshers

	mu      sync.Mutex
	entries map[string]*entry // guarded by mu
}

// entry is one cached read. Its fields are guarded by mu.
type entry struct {
	mu       sync.Mutex
	value    any
	meta     api.QueryMeta
	err      error     // the last fetch's error, when it had no value yet
	lostAt   time.Time // when the refresher last failed after a value; zero while in touch
	lastUsed time.Time
	changed  chan struct{} // closed, and replaced, when value or err changes
}

// New returns a cache whose refreshers end with ctx.
func New(ctx context.Context, opts Options) *Cache {
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = 1024
	}
	if opts.IdleTTL <= 0 {
		opts.IdleTTL = 10 * time.Minute
	}
	return &Cache{opts: opts, ctx: ctx, entries: map[string]*entry{}}
}

// Result is a cached answer.
type Result struct {
	Value any
	Meta  api.QueryMeta
	Hit   bool          // answered from the cache
	Age   time.Duration // how stale it may be: 0 while the refresher is in touch
}

// RefreshWait is how long each background blocking query should wait:
// Fetch sets it as the read's wait when minIndex > 0.
const RefreshWait = 5 * time.Minute

// Get answers the read named by key from the cache: at once when the entry
// has a value past minIndex, else after waiting for one (at most wait when
// minIndex > 0, until ctx ends otherwise). fetch is used only by a new
// entry's refresher.
func (c *Cache) Get(ctx context.Context, key string, minIndex uint64, wait time.Duration, fetch Fetch) (Result, error) {
	e, hit := c.entry(key, fetch)
	var timeout <-chan time.Time
	if minIndex > 0 {
		timeout = time.After(wait)
	}
	for {
		e.mu.Lock()
		e.lastUsed = time.Now()
		value, meta, err, lost, changed := e.value, e.meta, e.err, e.lostAt, e.changed
		e.mu.Unlock()
		if value != nil && (minIndex == 0 || meta.LastIndex > minIndex) {
			res := Result{Value: value, Meta: meta, Hit: hit}
			if !lost.IsZero() {
				res.Age = time.Since(lost)
			}
			return res, nil
		}
		if value == nil && err != nil {
			return Result{}, err
		}
		select {
		case <-changed:
			hit = false // the answer comes from a fetch made for this read
		case <-timeout:
			return Result{Value: value, Meta: meta, Hit: hit}, nil
		case <-ctx.Done():
			return Result{}, ctx.Err()
		}
	}
}

// entry returns the entry for key, making it (and starting its refresher)
// if there is none; hit reports whether it was there.
func (c *Cache) entry(key string, fetch Fetch) (*entry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		return e, true
	}
	if len(c.entries) >= c.opts.MaxEntries {
		c.evictLocked()
	}
	e := &entry{changed: make(chan struct{}), lastUsed: time.Now()}
	c.entries[key] = e
	go c.refresh(key, e, fetch)
	return e, false
}

// evictLocked drops the entry used longest ago; its refresher ends at its
// next turn.
func (c *Cache) evictLocked() {
	var oldestKey string
	var oldest time.Time
	for k, e := range c.entries {
		e.mu.Lock()
		used := e.lastUsed
		e.mu.Unlock()
		if oldestKey == "" || used.Before(oldest) {
			oldestKey, oldest = k, used
		}
	}
	delete(c.entries, oldestKey)
}

// Len is the number of entries.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// refresh keeps e current until it idles, is evicted, or the cache closes.
func (c *Cache) refresh(key string, e *entry, fetch Fetch) {
	backoff := time.Duration(0)
	var index uint64
	for {
		if c.ctx.Err() != nil || c.idle(key, e) {
			c.drop(key, e)
			return
		}
		ctx, cancel := context.WithTimeout(c.ctx, RefreshWait+time.Minute)
		value, meta, err := fetch(ctx, index)
		cancel()
		e.mu.Lock()
		switch {
		case err != nil && errors.Is(err, context.Canceled) && c.ctx.Err() != nil:
		case err != nil:
			if e.value == nil {
				e.err = err
			} else if e.lostAt.IsZero() {
				e.lostAt = time.Now()
			}
			backoff = min(max(2*backoff, 100*time.Millisecond), 5*time.Second)
		default:
			backoff = 0
			e.lostAt = time.Time{}
			if e.value == nil || meta.LastIndex != e.meta.LastIndex {
				e.value, e.meta, e.err = value, meta, nil
			}
			index = meta.LastIndex
		}
		close(e.changed)
		e.changed = make(chan struct{})
		failed := e.value == nil && e.err != nil
		e.mu.Unlock()
		if failed {
			// Nothing to serve: the next Get makes a new entry and
			// tries again rather than waiting for this one.
			c.drop(key, e)
			return
		}
		if backoff > 0 {
			select {
			case <-time.After(backoff):
			case <-c.ctx.Done():
			}
		}
	}
}

// idle reports whether e was dropped from the cache or nobody asked for
// it for IdleTTL.
func (c *Cache) idle(key string, e *entry) bool {
	c.mu.Lock()
	cur := c.entries[key]
	c.mu.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	return cur != e || time.Since(e.lastUsed) > c.opts.IdleTTL
}

// drop removes e if it is still key's entry.
func (c *Cache) drop(key string, e *entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries[key] == e {
		delete(c.entries, key)
	}
}
