package acl

import (
	"cmp"
	"container/list"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// PolicyVersion names one version of a stored policy: a policy changes
// only with its ModifyIndex, so the pair names its rules.
type PolicyVersion struct {
	ID          string
	ModifyIndex uint64
}

// Cache holds the compiled authorizers of recent sets of policies, so a
// server compiles a token's policies once per change of one of them
// rather than on every request. Tokens with the same policies share an
// entry. It holds at most its size, dropping the least recently used.
// It is safe for concurrent use.
type Cache struct {
	opts Options // what every authorizer it compiles is compiled with
	size int

	mu      sync.Mutex
	entries map[string]*list.Element // guarded by mu; values are *cacheEntry
	lru     list.List                // guarded by mu; most recently used first
}

type cacheEntry struct {
	key  string
	auth *Authorizer
}

// NewCache returns a cache of at most size authorizers (at least 1),
// compiled with opts. A change of opts (the agent's acl config) needs a
// new cache.
func NewCache(size int, opts Options) *Cache {
	return &Cache{opts: opts, size: max(size, 1), entries: map[string]*list.Element{}}
}

// Authorizer returns the authorizer of the policies vs, in any order. On
// a miss it calls load for their parsed rules, compiles them and keeps the
// result; load's error is returned as is and nothing is kept. Two
// concurrent misses for the same policies may both compile.
func (c *Cache) Authorizer(vs []PolicyVersion, load func() ([]*Policy, error)) (*Authorizer, error) {
	key := cacheKey(vs)
	c.mu.Lock()
	if e, ok := c.entries[key]; ok {
		c.lru.MoveToFront(e)
		auth := e.Value.(*cacheEntry).auth
		c.mu.Unlock()
		return auth, nil
	}
	c.mu.Unlock()

	ps, err := load()
	if err != nil {
		return nil, err
	}
	auth := Compile(ps, c.opts)

	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok { // compiled meanwhile
		c.lru.MoveToFront(e)
		return e.Value.(*cacheEntry).auth, nil
	}
	c.entries[key] = c.lru.PushFront(&cacheEntry{key: key, auth: auth})
	for c.lru.Len() > c.size {
		last := c.lru.Back()
		c.lru.Remove(last)
		delete(c.entries, last.Value.(*cacheEntry).key)
	}
	return auth, nil
}

// Len returns the number of authorizers held.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// cacheKey names a set of policy versions whatever their order.
func cacheKey(vs []PolicyVersion) string {
	sorted := slices.Clone(vs)
	slices.SortFunc(sorted, func(a, b PolicyVersion) int {
		if c := strings.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		return cmp.Compare(a.ModifyIndex, b.ModifyIndex)
	})
	var b strings.Builder
	for _, v := range slices.Compact(sorted) {
		b.WriteString(v.ID)
		b.WriteByte(0)
		b.WriteString(strconv.FormatUint(v.ModifyIndex, 10))
		b.WriteByte(0)
	}
	return b.String()
}
