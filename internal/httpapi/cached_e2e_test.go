package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	consulapi "github.com/hashicorp/consul/api"
)

// TestCachedReads: ?cached reads of a service are answered by the agent's
// cache — a miss, then hits of age 0 — and the cache follows changes by
// itself: a blocking cached read wakes with a new instance.
func TestCachedReads(t *testing.T) {
	ta, c := startDevAgent(t)
	reg := func(id string) {
		t.Helper()
		if err := c.Agent().ServiceRegister(&consulapi.AgentServiceRegistration{Name: "cached", ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	reg("c1")
	q := &consulapi.QueryOptions{UseCache: true}
	_, meta, err := c.Health().Service("cached", "", false, q)
	if err != nil || meta.CacheHit {
		t.Fatalf("first cached read: hit %v, %v; want a miss", meta.CacheHit, err)
	}
	entries, meta, err := c.Health().Service("cached", "", false, q)
	if err != nil || !meta.CacheHit || meta.CacheAge != 0 || len(entries) != 1 {
		t.Fatalf("second cached read: %d entries, hit %v, age %v, %v; want 1, a hit of age 0", len(entries), meta.CacheHit, meta.CacheAge, err)
	}
	if svcs, meta, err := c.Catalog().Service("cached", "", q); err != nil || len(svcs) != 1 || meta.CacheHit {
		t.Fatalf("catalog service, first cached read: %d, hit %v, %v", len(svcs), meta.CacheHit, err)
	}

	done := make(chan []*consulapi.ServiceEntry, 1)
	go func() {
		bq := &consulapi.QueryOptions{UseCache: true, WaitIndex: meta.LastIndex, WaitTime: 10 * time.Second}
		es, _, _ := c.Health().Service("cached", "", false, bq)
		done <- es
	}()
	time.Sleep(50 * time.Millisecond) // let the blocking read start; it must wake either way
	reg("c2")
	select {
	case es := <-done:
		if len(es) != 2 {
			t.Fatalf("blocking cached read woke with %d instances, want 2", len(es))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("blocking cached read did not wake on a new instance")
	}
	entries, meta, err = c.Health().Service("cached", "", false, q)
	if err != nil || !meta.CacheHit || len(entries) != 2 {
		t.Fatalf("cached read after the change: %d entries, hit %v, %v; want 2 from the cache", len(entries), meta.CacheHit, err)
	}

	// Without ?cached nothing says cache; ?cached with ?consistent is refused.
	r := doRaw(t, ta.HTTPAddr(), "GET", "/v1/health/service/cached", nil)
	if r.Header.Get("X-Cache") != "" {
		t.Errorf("uncached read has X-Cache %q", r.Header.Get("X-Cache"))
	}
	r = doRaw(t, ta.HTTPAddr(), "GET", "/v1/health/service/cached?cached&consistent", nil)
	wantStatus(t, "GET ?cached&consistent", r, http.StatusBadRequest)
}
