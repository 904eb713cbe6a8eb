package state

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/concordhq/concord/api"
)

// TestKVTreeMatchesAMap runs random writes and deletes, in transactions of
// random size, against the tree and a map, and after each transaction
// compares gets, prefix walks and the size; every tree published before
// must still read as it did when it was published.
func TestKVTreeMatchesAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	key := func() string { return fmt.Sprintf("k/%d/%d", rng.IntN(20), rng.IntN(300)) }
	type published struct {
		tree kvTree
		want map[string]uint64
	}
	var history []published
	var tree kvTree
	want := map[string]uint64{}
	for txn := uint64(1); txn <= 300; txn++ {
		w := &kvWriter{id: txn, tree: tree}
		for range rng.IntN(200) {
			k := key()
			if rng.IntN(3) == 0 {
				w.delete(k)
				delete(want, k)
				continue
			}
			w.set(&api.KVPair{Key: k, ModifyIndex: txn})
			want[k] = txn
		}
		tree = w.tree
		history = append(history, published{tree, maps.Clone(want)})
		checkTree(t, &tree, want)
	}
	for i, p := range history {
		if i%30 == 0 {
			checkTree(t, &p.tree, p.want)
		}
	}
}

// checkTree compares tree with want (key → ModifyIndex).
func checkTree(t *testing.T, tree *kvTree, want map[string]uint64) {
	t.Helper()
	if tree.size != len(want) {
		t.Fatalf("size = %d, want %d", tree.size, len(want))
	}
	keys := make([]string, 0, len(want))
	for k, idx := range want {
		keys = append(keys, k)
		if e := tree.get(k); e == nil || e.ModifyIndex != idx {
			t.Fatalf("get(%q) = %+v, want index %d", k, e, idx)
		}
	}
	if e := tree.get("k/missing"); e != nil {
		t.Fatalf("get of a missing key = %+v", e)
	}
	slices.Sort(keys)
	for _, prefix := range []string{"", "k/1", "k/1/", "k/19/2", "k/7/299", "zz"} {
		var got, exp []string
		tree.walk(prefix, func(e *api.KVPair) { got = append(got, e.Key) })
		for _, k := range keys {
			if strings.HasPrefix(k, prefix) {
				exp = append(exp, k)
			}
		}
		if !slices.Equal(got, exp) {
			t.Fatalf("walk(%q) = %d keys, want %d (first differences: %v)", prefix, len(got), len(exp),
				firstDiff(got, exp))
		}
	}
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("at %d: %q vs %q", i, a[i], b[i])
		}
	}
	return "one is a prefix of the other"
}

// BenchmarkKVMemory loads 100,000 keys of 256 B through
// the store's write path, in transactions of 256 as the FSM batches them,
// and reports the live heap per key.
func BenchmarkKVMemory(b *testing.B) {
	const keys = 100_000
	for range b.N {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s := New()
		for i := 0; i < keys; i += 256 {
			tx := s.WriteTxn()
			for j := i; j < min(i+256, keys); j++ {
				e := &api.KVPair{Key: fmt.Sprintf("concord-bench/kv/%d", j), Value: make([]byte, 256)}
				if err := tx.KVSet(uint64(j+1), e); err != nil {
					b.Fatal(err)
				}
			}
			tx.Commit()
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/keys, "live-B/key")
		runtime.KeepAlive(s)
	}
}
