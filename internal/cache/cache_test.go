package cache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
)

// source is a fake server: a value at an index, blocking reads that wait
// for the index to pass theirs, and a switch that makes reads fail.
type source struct {
	mu      sync.Mutex
	index   uint64
	value   string
	failing bool
	changed chan struct{}
	calls   atomic.Int64
}

func newSource() *source { return &source{index: 1, value: "v1", changed: make(chan struct{})} }

func (s *source) set(value string, failing bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.index++
	s.value, s.failing = value, failing
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *source) fetch(ctx context.Context, minIndex uint64) (any, api.QueryMeta, error) {
	s.calls.Add(1)
	for {
		s.mu.Lock()
		idx, v, failing, ch := s.index, s.value, s.failing, s.changed
		s.mu.Unlock()
		if failing {
			return nil, api.QueryMeta{}, errors.New("no cluster leader")
		}
		if idx > minIndex {
			return v, api.QueryMeta{LastIndex: idx}, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, api.QueryMeta{}, ctx.Err()
		}
	}
}

func TestGetMissThenHitAndBackgroundRefresh(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	c := New(ctx, Options{})
	src := newSource()
	res, err := c.Get(ctx, "k", 0, 0, src.fetch)
	if err != nil || res.Hit || res.Value != "v1" {
		t.Fatalf("first Get = %+v, %v; want a miss with v1", res, err)
	}
	res, err = c.Get(ctx, "k", 0, 0, src.fetch)
	if err != nil || !res.Hit || res.Value != "v1" || res.Age != 0 {
		t.Fatalf("second Get = %+v, %v; want a hit with v1, age 0", res, err)
	}
	// A change reaches the entry through the refresher's blocking read;
	// a blocking Get past the old index sees it.
	src.set("v2", false)
	res, err = c.Get(ctx, "k", res.Meta.LastIndex, 5*time.Second, src.fetch)
	if err != nil || res.Value != "v2" {
		t.Fatalf("blocking Get = %+v, %v; want v2", res, err)
	}
	if n := src.calls.Load(); n > 3 {
		t.Errorf("%d fetches for one entry and one change, want at most 3 (the first, the change, the next wait)", n)
	}
}

func TestAgeGrowsWhileOutOfTouch(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	c := New(ctx, Options{})
	src := newSource()
	if _, err := c.Get(ctx, "k", 0, 0, src.fetch); err != nil {
		t.Fatal(err)
	}
	src.set("v2", true) // the refresher's read now fails
	deadline := time.Now().Add(5 * time.Second)
	for {
		res, err := c.Get(ctx, "k", 0, 0, src.fetch)
		if err != nil {
			t.Fatal(err)
		}
		if res.Age > 0 {
			if res.Value != "v1" || !res.Hit {
				t.Fatalf("out of touch: %+v, want the old value, a hit", res)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("age still 0 5 s after the refresher lost touch")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestFirstFetchErrorIsReturnedAndNotKept(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	c := New(ctx, Options{})
	src := newSource()
	src.set("x", true)
	if _, err := c.Get(ctx, "k", 0, 0, src.fetch); err == nil {
		t.Fatal("Get over a failing source succeeded")
	}
	src.set("v3", false)
	deadline := time.Now().Add(5 * time.Second)
	for {
		res, err := c.Get(ctx, "k", 0, 0, src.fetch)
		if err == nil && res.Value == "v3" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the source healed: %+v, %v", res, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestBoundedAndEndsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	c := New(ctx, Options{MaxEntries: 3})
	src := newSource()
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		if _, err := c.Get(ctx, k, 0, 0, src.fetch); err != nil {
			t.Fatal(err)
		}
	}
	if n := c.Len(); n > 3 {
		t.Fatalf("%d entries, want at most 3", n)
	}
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for c.Len() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d entries 5 s after the context ended, want 0", c.Len())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
