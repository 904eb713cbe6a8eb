package state_test

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/state"
	"github.com/hashicorp/go-memdb"
)

// fired reports whether any channel of ws is closed. memdb closes watch
// channels inside Commit, so no waiting is needed.
func fired(ws memdb.WatchSet) bool {
	for ch := range ws {
		select {
		case <-ch:
			return true
		default:
		}
	}
	return false
}

func TestWatchSets(t *testing.T) {
	setKey := func(key string) func(*state.Txn) error {
		return func(tx *state.Txn) error { return tx.KVSet(10, &api.KVPair{Key: key, Value: []byte("new")}) }
	}
	deleteKey := func(key string) func(*state.Txn) error {
		return func(tx *state.Txn) error { return tx.KVDelete(10, key) }
	}
	kvGet := func(key string) func(*state.Store, memdb.WatchSet) error {
		return func(s *state.Store, ws memdb.WatchSet) error { _, _, err := s.KVGet(ws, key); return err }
	}
	kvList := func(prefix string) func(*state.Store, memdb.WatchSet) error {
		return func(s *state.Store, ws memdb.WatchSet) error { _, _, err := s.KVList(ws, prefix); return err }
	}
	kvKeys := func(prefix string) func(*state.Store, memdb.WatchSet) error {
		return func(s *state.Store, ws memdb.WatchSet) error { _, _, err := s.KVKeys(ws, prefix, "/"); return err }
	}
	tests := []struct {
		name      string
		read      func(*state.Store, memdb.WatchSet) error
		write     func(*state.Txn) error
		wantFired bool
	}{
		{"KVGet, write to the key", kvGet("a/1"), setKey("a/1"), true},
		{"KVGet, delete of the key", kvGet("a/1"), deleteKey("a/1"), true},
		{"KVGet of missing key, key created", kvGet("a/3"), setKey("a/3"), true},
		{"KVList, write under prefix", kvList("a/"), setKey("a/2"), true},
		{"KVList, new key under prefix", kvList("a/"), setKey("a/9"), true},
		{"KVList, delete under prefix", kvList("a/"), deleteKey("a/1"), true},
		{"KVKeys, delete under prefix", kvKeys("a/"), deleteKey("a/2"), true},
		{"KVList, write to a key far away", kvList("a/"), setKey("zzz"), false},
		{"KVKeys, write to a key far away", kvKeys("a/"), setKey("zzz"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t, "a/1", "a/2", "m")
			ws := memdb.NewWatchSet()
			if err := tc.read(s, ws); err != nil {
				t.Fatalf("read: %v", err)
			}
			if fired(ws) {
				t.Fatal("watch fired before any write")
			}
			write(t, s, tc.write)
			if got := fired(ws); got != tc.wantFired {
				t.Errorf("watch fired = %v, want %v", got, tc.wantFired)
			}
		})
	}
}

func TestReapTombstones(t *testing.T) {
	// Deletes at indexes that cross byte boundaries, so that an index kept
	// in the wrong byte order would reap the wrong ones.
	all := []state.Tombstone{{Key: "a", Index: 255}, {Key: "b", Index: 256}, {Key: "c", Index: 65536}}
	tests := []struct {
		upTo       uint64
		want       []state.Tombstone
		wantOldest uint64
	}{
		{0, all, 255},
		{254, all, 255},
		{255, all[1:], 256},
		{256, all[2:], 65536},
		{65535, all[2:], 65536},
		{1 << 40, nil, 0},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.upTo), func(t *testing.T) {
			s := newStore(t, "a", "b", "c", "d")
			// Delete in an order unlike both key and index order.
			for _, ts := range []state.Tombstone{all[2], all[0], all[1]} {
				write(t, s, func(tx *state.Txn) error { return tx.KVDelete(ts.Index, ts.Key) })
			}
			write(t, s, func(tx *state.Txn) error { return tx.ReapTombstones(tc.upTo) })
			if got := dumpStore(t, s).Tombstones; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("tombstones after ReapTombstones(%d) = %+v, want %+v", tc.upTo, got, tc.want)
			}
			oldest, ok := s.OldestTombstone()
			if oldest != tc.wantOldest || ok != (tc.wantOldest != 0) {
				t.Errorf("OldestTombstone() = %d, %v, want %d, %v", oldest, ok, tc.wantOldest, tc.wantOldest != 0)
			}
			if _, keys, _ := s.KVKeys(nil, "", ""); !reflect.DeepEqual(keys, []string{"d"}) {
				t.Errorf("keys after reaping = %q, want [d]", keys)
			}
		})
	}
}

func TestOldestTombstoneEmpty(t *testing.T) {
	s := newStore(t, "a")
	if idx, ok := s.OldestTombstone(); ok || idx != 0 {
		t.Errorf("OldestTombstone() on a store without deletes = %d, %v, want 0, false", idx, ok)
	}
	// A restored tombstone counts too.
	s = restoredStore(t, 9, nil, []state.Tombstone{{Key: "x", Index: 9}, {Key: "y", Index: 3}})
	if idx, ok := s.OldestTombstone(); !ok || idx != 3 {
		t.Errorf("OldestTombstone() after restore = %d, %v, want 3, true", idx, ok)
	}
}

// dump is everything a store holds, for comparing two stores.
type dump struct {
	KVs        []api.KVPair
	Tombstones []state.Tombstone
	MaxIndex   uint64
}

func dumpStore(t *testing.T, s *state.Store) dump {
	t.Helper()
	var d dump
	snap := s.Snapshot()
	if err := snap.KVs(func(p *api.KVPair) error { d.KVs = append(d.KVs, *p); return nil }); err != nil {
		t.Fatalf("Snapshot.KVs = %v", err)
	}
	if err := snap.Tombstones(func(ts state.Tombstone) error { d.Tombstones = append(d.Tombstones, ts); return nil }); err != nil {
		t.Fatalf("Snapshot.Tombstones = %v", err)
	}
	d.MaxIndex = s.MaxIndex()
	if got := snap.Index(); got != d.MaxIndex {
		t.Errorf("Snapshot.Index() = %d, want MaxIndex() = %d", got, d.MaxIndex)
	}
	return d
}

// copyStore fills a new store from a snapshot of s, committed at index.
func copyStore(t *testing.T, s *state.Store, index uint64) *state.Store {
	t.Helper()
	snap := s.Snapshot()
	out := state.New()
	r := out.Restore()
	if err := snap.KVs(r.KV); err != nil {
		t.Fatalf("restore keys: %v", err)
	}
	if err := snap.Tombstones(r.Tombstone); err != nil {
		t.Fatalf("restore tombstones: %v", err)
	}
	if err := r.Commit(index); err != nil {
		t.Fatalf("Restorer.Commit(%d) = %v", index, err)
	}
	return out
}

func TestSnapshotRestore(t *testing.T) {
	src := lockedStore(t) // MaxIndex 4
	write(t, src, func(tx *state.Txn) error {
		for i, k := range []string{"a/1", "a/2", "b"} {
			if err := tx.KVSet(uint64(5+i), &api.KVPair{Key: k, Value: []byte(k), Flags: uint64(i)}); err != nil {
				return err
			}
		}
		return nil
	})
	write(t, src, func(tx *state.Txn) error { return tx.KVDelete(8, "a/1") })
	want := dumpStore(t, src)

	tests := []struct {
		name    string
		index   uint64
		wantMax uint64
	}{
		{"index of the snapshot", src.Snapshot().Index(), 8},
		{"lower index keeps the entries' maximum", 3, 8},
		{"higher index wins", 20, 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := copyStore(t, src, tc.index)
			d := dumpStore(t, got)
			if !reflect.DeepEqual(d.KVs, want.KVs) || !reflect.DeepEqual(d.Tombstones, want.Tombstones) {
				t.Errorf("restored store = %+v, want %+v", d, want)
			}
			if d.MaxIndex != tc.wantMax {
				t.Errorf("MaxIndex() = %d, want %d", d.MaxIndex, tc.wantMax)
			}
			// The tombstone survives: the prefix index is the delete's.
			if idx, _, err := got.KVList(nil, "a/"); err != nil || idx != 8 {
				t.Errorf("KVList(%q) index = %d, %v, want 8, nil", "a/", idx, err)
			}
			if idx, e := get(t, got, "a/1"); e != nil || idx != tc.wantMax {
				t.Errorf("KVGet(%q) = %d, %+v, want %d, nil", "a/1", idx, e, tc.wantMax)
			}
			// The restored store takes writes like any other.
			write(t, got, func(tx *state.Txn) error { return tx.KVSet(tc.wantMax+1, &api.KVPair{Key: "b"}) })
			if _, e := get(t, got, "b"); e.CreateIndex != 7 || e.ModifyIndex != tc.wantMax+1 {
				t.Errorf("KVGet(%q) after write = %+v, want CreateIndex 7, ModifyIndex %d", "b", e, tc.wantMax+1)
			}
		})
	}
	if got := dumpStore(t, src); !reflect.DeepEqual(got, want) {
		t.Errorf("source store changed by snapshots: %+v, want %+v", got, want)
	}
}

// TestSnapshotIsolated checks that a snapshot does not see later writes.
func TestSnapshotIsolated(t *testing.T) {
	s := newStore(t, "a", "b")
	snap := s.Snapshot()
	write(t, s, func(tx *state.Txn) error { return tx.KVDelete(3, "a") })
	write(t, s, func(tx *state.Txn) error { return tx.KVSet(4, &api.KVPair{Key: "c"}) })
	var keys []string
	if err := snap.KVs(func(p *api.KVPair) error { keys = append(keys, p.Key); return nil }); err != nil {
		t.Fatalf("Snapshot.KVs = %v", err)
	}
	if want := []string{"a", "b"}; !reflect.DeepEqual(keys, want) || snap.Index() != 2 {
		t.Errorf("snapshot = %q at %d, want %q at 2", keys, snap.Index(), want)
	}
}

func TestRestoreAbort(t *testing.T) {
	s := state.New()
	r := s.Restore()
	if err := r.KV(&api.KVPair{Key: "a", ModifyIndex: 3}); err != nil {
		t.Fatalf("Restorer.KV = %v", err)
	}
	if err := r.KV(&api.KVPair{Key: ""}); err == nil {
		t.Errorf("Restorer.KV of an empty key = nil, want an error")
	}
	r.Abort()
	if d := dumpStore(t, s); len(d.KVs) != 0 || d.MaxIndex != 0 {
		t.Errorf("store after Restorer.Abort = %+v, want empty", d)
	}
	// The aborted restore released memdb's writer lock.
	write(t, s, func(tx *state.Txn) error { return tx.KVSet(1, &api.KVPair{Key: "b"}) })
}

func TestAbandonCh(t *testing.T) {
	s := state.New()
	select {
	case <-s.AbandonCh():
		t.Fatal("AbandonCh closed on a new store")
	default:
	}
	s.Abandon()
	s.Abandon() // a second call must not panic
	select {
	case <-s.AbandonCh():
	default:
		t.Fatal("AbandonCh still open after Abandon")
	}
}
