package state_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/state"
	"github.com/hashicorp/go-memdb"
)

// write runs fn in one write transaction and commits it, failing the test
// (after aborting) if fn returns an error.
func write(t *testing.T, s *state.Store, fn func(tx *state.Txn) error) {
	t.Helper()
	tx := s.WriteTxn()
	if err := fn(tx); err != nil {
		tx.Abort()
		t.Fatalf("write: %v", err)
	}
	tx.Commit()
}

// newStore returns a store holding keys, the i-th written at index i+1 with
// the value "v"+key.
func newStore(t *testing.T, keys ...string) *state.Store {
	t.Helper()
	s := state.New()
	for i, k := range keys {
		write(t, s, func(tx *state.Txn) error {
			return tx.KVSet(uint64(i+1), &api.KVPair{Key: k, Value: []byte("v" + k)})
		})
	}
	return s
}

// restoredStore returns a store filled through a Restorer, the only way to
// get locked keys before sessions exist.
func restoredStore(t *testing.T, index uint64, pairs []*api.KVPair, tombs []state.Tombstone) *state.Store {
	t.Helper()
	s := state.New()
	r := s.Restore()
	for _, p := range pairs {
		if err := r.KV(p); err != nil {
			t.Fatalf("Restorer.KV(%q) = %v", p.Key, err)
		}
	}
	for _, ts := range tombs {
		if err := r.Tombstone(ts); err != nil {
			t.Fatalf("Restorer.Tombstone(%q) = %v", ts.Key, err)
		}
	}
	if err := r.Commit(index); err != nil {
		t.Fatalf("Restorer.Commit(%d) = %v", index, err)
	}
	return s
}

// lockedStore holds "locked" (held by session s1) and "free" (unlocked).
func lockedStore(t *testing.T) *state.Store {
	return restoredStore(t, 4, []*api.KVPair{
		{Key: "free", Value: []byte("f"), CreateIndex: 2, ModifyIndex: 2},
		{Key: "locked", Value: []byte("l"), Session: "s1", LockIndex: 3, CreateIndex: 1, ModifyIndex: 4},
	}, nil)
}

func get(t *testing.T, s *state.Store, key string) (uint64, *api.KVPair) {
	t.Helper()
	idx, e, err := s.KVGet(memdb.NewWatchSet(), key)
	if err != nil {
		t.Fatalf("KVGet(%q) = %v", key, err)
	}
	return idx, e
}

// keysOf lists every key in s.
func keysOf(t *testing.T, s *state.Store) []string {
	t.Helper()
	_, keys, err := s.KVKeys(nil, "", "")
	if err != nil {
		t.Fatalf("KVKeys = %v", err)
	}
	return keys
}

func TestKVSet(t *testing.T) {
	tests := []struct {
		name    string
		store   func(t *testing.T) *state.Store
		idx     uint64
		in      *api.KVPair
		want    *api.KVPair
		wantErr error
	}{{
		name:  "new key",
		store: func(t *testing.T) *state.Store { return newStore(t) },
		idx:   5,
		in:    &api.KVPair{Key: "k", Value: []byte("v"), Flags: 7},
		want:  &api.KVPair{Key: "k", Value: []byte("v"), Flags: 7, CreateIndex: 5, ModifyIndex: 5},
	}, {
		name:  "new key drops caller lock fields",
		store: func(t *testing.T) *state.Store { return newStore(t) },
		idx:   5,
		in:    &api.KVPair{Key: "k", Session: "s9", LockIndex: 9, CreateIndex: 1, ModifyIndex: 2},
		want:  &api.KVPair{Key: "k", CreateIndex: 5, ModifyIndex: 5},
	}, {
		name:  "existing key keeps CreateIndex and bumps ModifyIndex",
		store: func(t *testing.T) *state.Store { return newStore(t, "x", "k") },
		idx:   7,
		in:    &api.KVPair{Key: "k", Value: []byte("new")},
		want:  &api.KVPair{Key: "k", Value: []byte("new"), CreateIndex: 2, ModifyIndex: 7},
	}, {
		name:  "locked key keeps its lock",
		store: lockedStore,
		idx:   9,
		in:    &api.KVPair{Key: "locked", Value: []byte("w"), Session: "other", LockIndex: 42},
		want:  &api.KVPair{Key: "locked", Value: []byte("w"), Session: "s1", LockIndex: 3, CreateIndex: 1, ModifyIndex: 9},
	}, {
		name:    "empty key",
		store:   func(t *testing.T) *state.Store { return newStore(t) },
		idx:     5,
		in:      &api.KVPair{Value: []byte("v")},
		wantErr: state.ErrMissingKey,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.store(t)
			tx := s.WriteTxn()
			err := tx.KVSet(tc.idx, tc.in)
			tx.Commit()
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("KVSet(%d, %q) = %v, want %v", tc.idx, tc.in.Key, err, tc.wantErr)
			}
			if tc.want == nil {
				return
			}
			idx, got := get(t, s, tc.want.Key)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("KVGet(%q) = %+v, want %+v", tc.want.Key, got, tc.want)
			}
			if idx != tc.idx {
				t.Errorf("KVGet(%q) index = %d, want %d", tc.want.Key, idx, tc.idx)
			}
		})
	}
}

func TestKVSetCAS(t *testing.T) {
	// "k" is written at 1 with value "vk".
	tests := []struct {
		name      string
		in        *api.KVPair
		wantOK    bool
		wantValue string // "" means the key must be missing
		wantIdx   uint64 // ModifyIndex after the call
	}{
		{"create-only on missing key", &api.KVPair{Key: "new", Value: []byte("n")}, true, "n", 10},
		{"create-only on existing key", &api.KVPair{Key: "k", Value: []byte("n")}, false, "vk", 1},
		{"index matches", &api.KVPair{Key: "k", Value: []byte("n"), ModifyIndex: 1}, true, "n", 10},
		{"index mismatch", &api.KVPair{Key: "k", Value: []byte("n"), ModifyIndex: 2}, false, "vk", 1},
		{"missing key with nonzero index", &api.KVPair{Key: "new", Value: []byte("n"), ModifyIndex: 1}, false, "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t, "k")
			tx := s.WriteTxn()
			ok, err := tx.KVSetCAS(10, tc.in)
			tx.Commit()
			if err != nil || ok != tc.wantOK {
				t.Fatalf("KVSetCAS(10, %q@%d) = %v, %v, want %v, nil", tc.in.Key, tc.in.ModifyIndex, ok, err, tc.wantOK)
			}
			_, got := get(t, s, tc.in.Key)
			switch {
			case tc.wantValue == "" && got != nil:
				t.Errorf("KVGet(%q) = %+v, want nil", tc.in.Key, got)
			case tc.wantValue != "" && (got == nil || string(got.Value) != tc.wantValue || got.ModifyIndex != tc.wantIdx):
				t.Errorf("KVGet(%q) = %+v, want value %q at %d", tc.in.Key, got, tc.wantValue, tc.wantIdx)
			}
		})
	}
}

func TestKVDelete(t *testing.T) {
	tests := []struct {
		name     string
		key      string
		wantKeys []string
		wantMax  uint64 // MaxIndex after the delete at 10
	}{
		{"existing key", "a/1", []string{"a/2", "b"}, 10},
		{"missing key is a no-op", "nope", []string{"a/1", "a/2", "b"}, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t, "a/1", "a/2", "b")
			write(t, s, func(tx *state.Txn) error { return tx.KVDelete(10, tc.key) })
			if got := keysOf(t, s); !reflect.DeepEqual(got, tc.wantKeys) {
				t.Errorf("keys after KVDelete(%q) = %q, want %q", tc.key, got, tc.wantKeys)
			}
			if got := s.MaxIndex(); got != tc.wantMax {
				t.Errorf("MaxIndex() = %d, want %d", got, tc.wantMax)
			}
		})
	}
}

// TestKVDeleteTombstoneIndexes checks that deletes move the indexes of
// reads forward: a prefix's index through the tombstone, a missing key's
// index through the table index.
func TestKVDeleteTombstoneIndexes(t *testing.T) {
	s := newStore(t, "a/1", "a/2", "b") // a/2 at 2, b at 3
	idx, _, err := s.KVList(nil, "a/")
	if err != nil || idx != 2 {
		t.Fatalf("KVList(%q) index = %d, %v, want 2, nil", "a/", idx, err)
	}
	write(t, s, func(tx *state.Txn) error { return tx.KVDelete(4, "a/1") })
	write(t, s, func(tx *state.Txn) error { return tx.KVSet(5, &api.KVPair{Key: "c"}) })

	tests := []struct {
		name string
		read func() (uint64, error)
		want uint64
	}{
		{"KVList under the delete", func() (uint64, error) { i, _, err := s.KVList(nil, "a/"); return i, err }, 4},
		{"KVKeys under the delete", func() (uint64, error) { i, _, err := s.KVKeys(nil, "a/", "/"); return i, err }, 4},
		{"KVList elsewhere", func() (uint64, error) { i, _, err := s.KVList(nil, "b"); return i, err }, 3},
		{"KVList of empty prefix", func() (uint64, error) { i, _, err := s.KVList(nil, "zz/"); return i, err }, 5},
		{"KVGet of deleted key", func() (uint64, error) { i, _, err := s.KVGet(nil, "a/1"); return i, err }, 5},
		{"KVGet of never-written key", func() (uint64, error) { i, _, err := s.KVGet(nil, "nope"); return i, err }, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := tc.read(); err != nil || got != tc.want {
				t.Errorf("index = %d, %v, want %d, nil", got, err, tc.want)
			}
		})
	}
}

func TestKVDeleteCAS(t *testing.T) {
	tests := []struct {
		name     string
		key      string
		cas      uint64
		wantOK   bool
		wantKeys []string
	}{
		{"missing key", "nope", 7, true, []string{"a", "b"}},
		{"index mismatch", "a", 2, false, []string{"a", "b"}},
		{"zero index on existing key", "a", 0, false, []string{"a", "b"}},
		{"index matches", "a", 1, true, []string{"b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t, "a", "b")
			tx := s.WriteTxn()
			ok, err := tx.KVDeleteCAS(10, tc.cas, tc.key)
			tx.Commit()
			if err != nil || ok != tc.wantOK {
				t.Fatalf("KVDeleteCAS(10, %d, %q) = %v, %v, want %v, nil", tc.cas, tc.key, ok, err, tc.wantOK)
			}
			if got := keysOf(t, s); !reflect.DeepEqual(got, tc.wantKeys) {
				t.Errorf("keys = %q, want %q", got, tc.wantKeys)
			}
		})
	}
}

func TestKVDeleteTree(t *testing.T) {
	tests := []struct {
		prefix   string
		wantKeys []string
	}{
		{"a/", []string{"ab", "b"}},
		{"a", []string{"b"}},
		{"zz", []string{"a/1", "a/2", "ab", "b"}},
		{"", nil},
	}
	for _, tc := range tests {
		t.Run(tc.prefix, func(t *testing.T) {
			s := newStore(t, "a/1", "a/2", "ab", "b")
			write(t, s, func(tx *state.Txn) error { return tx.KVDeleteTree(10, tc.prefix) })
			if got := keysOf(t, s); !reflect.DeepEqual(got, tc.wantKeys) {
				t.Errorf("keys after KVDeleteTree(%q) = %q, want %q", tc.prefix, got, tc.wantKeys)
			}
		})
	}
}

func TestKVKeys(t *testing.T) {
	// Indexes: a/b/c 1, a/b/d 2, a/e 3, a/f/ 4, ab 5, b 6.
	s := newStore(t, "a/b/c", "a/b/d", "a/e", "a/f/", "ab", "b")
	tests := []struct {
		prefix, sep string
		want        []string
		wantIdx     uint64
	}{
		{"", "", []string{"a/b/c", "a/b/d", "a/e", "a/f/", "ab", "b"}, 6},
		{"", "/", []string{"a/", "ab", "b"}, 6},
		{"a/", "/", []string{"a/b/", "a/e", "a/f/"}, 4},
		{"a/b/", "/", []string{"a/b/c", "a/b/d"}, 2},
		{"a", "/", []string{"a/", "ab"}, 5},
		{"a/", "", []string{"a/b/c", "a/b/d", "a/e", "a/f/"}, 4},
		{"x", "/", nil, 6},
	}
	for _, tc := range tests {
		t.Run(tc.prefix+" sep "+tc.sep, func(t *testing.T) {
			idx, got, err := s.KVKeys(nil, tc.prefix, tc.sep)
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("KVKeys(%q, %q) = %q, %v, want %q", tc.prefix, tc.sep, got, err, tc.want)
			}
			if idx != tc.wantIdx {
				t.Errorf("KVKeys(%q, %q) index = %d, want %d", tc.prefix, tc.sep, idx, tc.wantIdx)
			}
			for _, k := range got {
				if tc.sep != "" && strings.Count(k[len(tc.prefix):], tc.sep) > 1 {
					t.Errorf("KVKeys(%q, %q) returned %q, cut after the first separator", tc.prefix, tc.sep, k)
				}
			}
		})
	}
}

func TestKVList(t *testing.T) {
	s := newStore(t, "a/1", "a/2", "b")
	tests := []struct {
		prefix   string
		wantKeys []string
		wantIdx  uint64
	}{
		{"", []string{"a/1", "a/2", "b"}, 3},
		{"a/", []string{"a/1", "a/2"}, 2},
		{"a/1", []string{"a/1"}, 1},
		{"c", nil, 3},
	}
	for _, tc := range tests {
		t.Run(tc.prefix, func(t *testing.T) {
			idx, list, err := s.KVList(nil, tc.prefix)
			var got []string
			for _, e := range list {
				got = append(got, e.Key)
				if string(e.Value) != "v"+e.Key {
					t.Errorf("KVList(%q): %q has value %q, want %q", tc.prefix, e.Key, e.Value, "v"+e.Key)
				}
			}
			if err != nil || idx != tc.wantIdx || !reflect.DeepEqual(got, tc.wantKeys) {
				t.Errorf("KVList(%q) = %d, %q, %v, want %d, %q, nil", tc.prefix, idx, got, err, tc.wantIdx, tc.wantKeys)
			}
		})
	}
}

func TestKVUnlock(t *testing.T) {
	tests := []struct {
		name    string
		in      *api.KVPair
		wantOK  bool
		want    *api.KVPair // the key afterwards
		wantIdx uint64
	}{{
		name:   "held by the session",
		in:     &api.KVPair{Key: "locked", Value: []byte("bye"), Flags: 2, Session: "s1"},
		wantOK: true,
		want:   &api.KVPair{Key: "locked", Value: []byte("bye"), Flags: 2, LockIndex: 3, CreateIndex: 1, ModifyIndex: 10},
	}, {
		name: "held by another session",
		in:   &api.KVPair{Key: "locked", Value: []byte("bye"), Session: "s2"},
		want: &api.KVPair{Key: "locked", Value: []byte("l"), Session: "s1", LockIndex: 3, CreateIndex: 1, ModifyIndex: 4},
	}, {
		name: "not held",
		in:   &api.KVPair{Key: "free", Value: []byte("bye"), Session: "s1"},
		want: &api.KVPair{Key: "free", Value: []byte("f"), CreateIndex: 2, ModifyIndex: 2},
	}, {
		name: "not held, empty session",
		in:   &api.KVPair{Key: "free", Value: []byte("bye")},
		want: &api.KVPair{Key: "free", Value: []byte("f"), CreateIndex: 2, ModifyIndex: 2},
	}, {
		name: "missing key",
		in:   &api.KVPair{Key: "nope", Session: "s1"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := lockedStore(t)
			tx := s.WriteTxn()
			ok, err := tx.KVUnlock(10, tc.in)
			tx.Commit()
			if err != nil || ok != tc.wantOK {
				t.Fatalf("KVUnlock(10, %q by %q) = %v, %v, want %v, nil", tc.in.Key, tc.in.Session, ok, err, tc.wantOK)
			}
			if _, got := get(t, s, tc.in.Key); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("KVGet(%q) = %+v, want %+v", tc.in.Key, got, tc.want)
			}
		})
	}
}

func TestKVLockNoSessions(t *testing.T) {
	for _, sess := range []string{"", "s1"} {
		t.Run(sess, func(t *testing.T) {
			s := lockedStore(t)
			tx := s.WriteTxn()
			ok, err := tx.KVLock(10, time.Unix(0, 0), &api.KVPair{Key: "new", Value: []byte("v"), Session: sess})
			tx.Abort()
			if ok || err == nil {
				t.Fatalf("KVLock(10, %q by %q) = %v, %v, want false and an error", "new", sess, ok, err)
			}
			if _, got := get(t, s, "new"); got != nil {
				t.Errorf("KVGet(%q) = %+v after a failed lock, want nil", "new", got)
			}
		})
	}
}
