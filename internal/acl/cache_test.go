package acl

import (
	"errors"
	"fmt"
	"sync"
	"testing"
)

func TestCache(t *testing.T) {
	c := NewCache(2, denyByDefault)
	loads := 0
	loader := func(rules string) func() ([]*Policy, error) {
		return func() ([]*Policy, error) {
			loads++
			p, err := Parse(rules)
			return []*Policy{p}, err
		}
	}
	get := func(vs []PolicyVersion, rules string) *Authorizer {
		t.Helper()
		a, err := c.Authorizer(vs, loader(rules))
		if err != nil {
			t.Fatalf("Authorizer(%v) = %v", vs, err)
		}
		return a
	}
	ab := []PolicyVersion{{"a", 1}, {"b", 7}}
	first := get(ab, `key "k" { policy = "read" }`)
	if !first.Allowed(Key, "k", Read) || loads != 1 {
		t.Fatalf("first get: allowed %v, loads %d", first.Allowed(Key, "k", Read), loads)
	}
	// The same policies, in another order: a hit.
	if again := get([]PolicyVersion{{"b", 7}, {"a", 1}}, "unused"); again != first || loads != 1 {
		t.Fatalf("reordered get: same %v, loads %d", again == first, loads)
	}
	// A policy changed: a new index is a miss.
	changed := get([]PolicyVersion{{"a", 2}, {"b", 7}}, `key "k" { policy = "deny" }`)
	if changed == first || changed.Allowed(Key, "k", Read) || loads != 2 {
		t.Fatalf("changed policy: reused %v, loads %d", changed == first, loads)
	}
	// A third set evicts the least recently used (a@1,b@7).
	get([]PolicyVersion{{"c", 1}}, "")
	if c.Len() != 2 {
		t.Fatalf("Len = %d, want 2", c.Len())
	}
	get(ab, `key "k" { policy = "read" }`)
	if loads != 4 {
		t.Fatalf("loads = %d after the evicted set came back, want 4", loads)
	}
	// Errors are returned and not kept.
	boom := errors.New("boom")
	if _, err := c.Authorizer([]PolicyVersion{{"d", 1}}, func() ([]*Policy, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("failing load: %v", err)
	}
	if c.Len() != 2 {
		t.Fatalf("Len = %d after a failed load, want 2", c.Len())
	}
	// The cache's options are the authorizers'.
	allow := NewCache(0, allowByDefault)
	a, _ := allow.Authorizer(nil, func() ([]*Policy, error) { return nil, nil })
	if !a.Allowed(Key, "x", Write) {
		t.Error("an authorizer of an allow-by-default cache denied")
	}
}

func TestCacheKey(t *testing.T) {
	tests := []struct {
		a, b []PolicyVersion
		same bool
	}{
		{nil, []PolicyVersion{}, true},
		{[]PolicyVersion{{"a", 1}, {"b", 2}}, []PolicyVersion{{"b", 2}, {"a", 1}}, true},
		{[]PolicyVersion{{"a", 1}, {"a", 1}}, []PolicyVersion{{"a", 1}}, true},
		{[]PolicyVersion{{"a", 1}}, []PolicyVersion{{"a", 2}}, false},
		{[]PolicyVersion{{"a", 12}}, []PolicyVersion{{"a1", 2}}, false},
		{[]PolicyVersion{{"a", 1}, {"a", 2}}, []PolicyVersion{{"a", 2}}, false},
	}
	for _, tc := range tests {
		if got := cacheKey(tc.a) == cacheKey(tc.b); got != tc.same {
			t.Errorf("cacheKey(%v) == cacheKey(%v) is %v, want %v", tc.a, tc.b, got, tc.same)
		}
	}
}

func TestCacheConcurrent(t *testing.T) {
	c := NewCache(8, denyByDefault)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				id := fmt.Sprint((g + i) % 12)
				a, err := c.Authorizer([]PolicyVersion{{id, 1}}, func() ([]*Policy, error) {
					p, err := Parse(fmt.Sprintf(`key %q { policy = "read" }`, id))
					return []*Policy{p}, err
				})
				if err != nil || !a.Allowed(Key, id, Read) {
					t.Errorf("Authorizer(%s) = %v, %v", id, a, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := c.Len(); n > 8 {
		t.Errorf("Len = %d, over the size 8", n)
	}
}
