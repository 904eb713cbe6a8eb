package httpapi_test

import (
	"fmt"
	"strconv"
	"sync"
	"testing"

	consulapi "github.com/hashicorp/consul/api"
)

const (
	counterWorkers = 8
	counterIncrs   = 15 // per worker
)

// runCounter has counterWorkers goroutines each add counterIncrs to the
// integer at key through incr, which reports whether its attempt won. It
// returns the number of winning attempts.
func runCounter(t *testing.T, incr func() (bool, error)) int {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, counterWorkers)
	var mu sync.Mutex
	wins := 0
	for range counterWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for done := 0; done < counterIncrs; {
				ok, err := incr()
				if err != nil {
					errs <- err
					return
				}
				if ok {
					done++
					mu.Lock()
					wins++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return wins
}

// readCounter returns the integer at key and its ModifyIndex.
func readCounter(c *consulapi.Client, key string) (int, uint64, error) {
	p, _, err := c.KV().Get(key, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("Get(%q): %w", key, err)
	}
	if p == nil {
		return 0, 0, nil
	}
	n, err := strconv.Atoi(string(p.Value))
	if err != nil {
		return 0, 0, fmt.Errorf("Get(%q) = %q, not a number", key, p.Value)
	}
	return n, p.ModifyIndex, nil
}

// TestKVCASConcurrentCounter: concurrent read-modify-write loops over CAS
// must never lose an update, even when the server batches the writes.
func TestKVCASConcurrentCounter(t *testing.T) {
	t.Parallel()
	_, c := startDevAgent(t)
	const key = "counter/cas"
	wins := runCounter(t, func() (bool, error) {
		n, idx, err := readCounter(c, key)
		if err != nil {
			return false, err
		}
		ok, _, err := c.KV().CAS(&consulapi.KVPair{Key: key, Value: []byte(strconv.Itoa(n + 1)), ModifyIndex: idx}, nil)
		if err != nil {
			return false, fmt.Errorf("CAS(%q, %d): %w", key, idx, err)
		}
		return ok, nil
	})
	got, _, err := readCounter(c, key)
	if err != nil {
		t.Fatal(err)
	}
	if want := counterWorkers * counterIncrs; got != want || wins != want {
		t.Errorf("counter = %d after %d winning CAS writes, want %d", got, wins, want)
	}
}

// TestTxnConcurrentCounter is the same with check-index + set txns.
func TestTxnConcurrentCounter(t *testing.T) {
	t.Parallel()
	_, c := startDevAgent(t)
	const key = "counter/txn"
	mustPut(t, c, key, "0")
	wins := runCounter(t, func() (bool, error) {
		n, idx, err := readCounter(c, key)
		if err != nil {
			return false, err
		}
		ok, _, _, err := c.Txn().Txn(consulapi.TxnOps{
			kvOp(consulapi.KVCheckIndex, key, "", idx),
			kvOp(consulapi.KVSet, key, strconv.Itoa(n+1), 0),
		}, nil)
		if err != nil {
			return false, fmt.Errorf("Txn(check-index %d, set): %w", idx, err)
		}
		return ok, nil
	})
	got, _, err := readCounter(c, key)
	if err != nil {
		t.Fatal(err)
	}
	if want := counterWorkers * counterIncrs; got != want || wins != want {
		t.Errorf("counter = %d after %d winning txns, want %d", got, wins, want)
	}
}

// TestConcurrentPutsAllLand: many parallel writers to distinct keys; every
// write acknowledged must be readable, with distinct, growing indexes per key.
func TestConcurrentPutsAllLand(t *testing.T) {
	t.Parallel()
	_, c := startDevAgent(t)
	const writers, perWriter = 16, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				key := fmt.Sprintf("par/%02d/%02d", w, i)
				if _, err := c.KV().Put(&consulapi.KVPair{Key: key, Value: []byte(key)}, nil); err != nil {
					errs <- fmt.Errorf("Put(%q): %w", key, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	pairs, _, err := c.KV().List("par/", nil)
	if err != nil {
		t.Fatalf("List(par/): %v", err)
	}
	if len(pairs) != writers*perWriter {
		t.Fatalf("List(par/) = %d pairs, want %d", len(pairs), writers*perWriter)
	}
	for _, p := range pairs {
		if string(p.Value) != p.Key {
			t.Errorf("Get(%q) = %q, want %q", p.Key, p.Value, p.Key)
		}
	}
}
