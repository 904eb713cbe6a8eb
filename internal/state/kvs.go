package state

import (
	"fmt"
	"strings"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/hashicorp/go-memdb"
)

// KVGet returns one key, or nil if it does not exist. The index is the key's
// ModifyIndex, or the KV table's index when the key is missing, so a client
// can block until the key appears.
func (s *Store) KVGet(ws memdb.WatchSet, key string) (uint64, *api.KVPair, error) {
	s.kvWatch.watch(ws, key) // before the read: see kvWatches
	tx := s.db.Txn(false)
	defer tx.Abort()
	e := kvTreeOf(tx).get(key)
	if e == nil {
		return maxIndex(tx, tableKVs, tableTombstones), nil, nil
	}
	return e.ModifyIndex, e, nil
}

// kvTreeOf returns the KV tree tx sees.
func kvTreeOf(tx *memdb.Txn) *kvTree {
	raw, err := tx.First(tableKVRoot, "id", tableKVs)
	if err != nil {
		// The table's schema is static; this cannot fail.
		panic(fmt.Sprintf("state: cannot read the KV tree: %v", err))
	}
	if raw == nil {
		return &kvTree{}
	}
	return &raw.(*kvRoot).Tree
}

// KVList returns every key under prefix, in key order. The index is the
// highest ModifyIndex under prefix, counting tombstones so that it grows on
// deletes; with nothing under prefix it is the table's index.
func (s *Store) KVList(ws memdb.WatchSet, prefix string) (uint64, []*api.KVPair, error) {
	s.kvWatch.watch(ws, prefix)
	tx := s.db.Txn(false)
	defer tx.Abort()
	var out []*api.KVPair
	idx, err := kvWalk(tx, kvTreeOf(tx), ws, prefix, func(e *api.KVPair) { out = append(out, e) })
	return idx, out, err
}

// KVKeys returns the keys under prefix. With a separator, keys are cut just
// after the first separator that follows the prefix and repeats are dropped,
// so "folders" show once, ending in the separator.
func (s *Store) KVKeys(ws memdb.WatchSet, prefix, sep string) (uint64, []string, error) {
	s.kvWatch.watch(ws, prefix)
	tx := s.db.Txn(false)
	defer tx.Abort()
	var keys []string
	idx, err := kvWalk(tx, kvTreeOf(tx), ws, prefix, func(e *api.KVPair) {
		k := e.Key
		if sep != "" {
			if i := strings.Index(k[len(prefix):], sep); i >= 0 {
				k = k[:len(prefix)+i+len(sep)]
			}
		}
		if n := len(keys); n > 0 && keys[n-1] == k {
			return
		}
		keys = append(keys, k)
	})
	return idx, keys, err
}

// kvWalk calls fn for each key of tree under prefix and returns the
// prefix's index; ws gets the tombstones' watch (the keys' is the caller's,
// see kvWatches).
func kvWalk(tx *memdb.Txn, tree *kvTree, ws memdb.WatchSet, prefix string, fn func(*api.KVPair)) (uint64, error) {
	var idx uint64
	tree.walk(prefix, func(e *api.KVPair) {
		idx = max(idx, e.ModifyIndex)
		fn(e)
	})
	tombs, err := tx.Get(tableTombstones, "id_prefix", prefix)
	if err != nil {
		return 0, fmt.Errorf("cannot list tombstones under %q: %w", prefix, err)
	}
	ws.Add(tombs.WatchCh())
	for raw := tombs.Next(); raw != nil; raw = tombs.Next() {
		idx = max(idx, raw.(*tombstone).Index)
	}
	if idx == 0 {
		idx = maxIndex(tx, tableKVs, tableTombstones)
	}
	return idx, nil
}

// kvGet returns the current entry for key, or nil.
func (t *Txn) kvGet(key string) (*api.KVPair, error) {
	return t.kvTree().get(key), nil
}

// kvTree is the KV tree as this transaction has changed it.
func (t *Txn) kvTree() *kvTree { return &t.kvWriter().tree }

// kvWriter returns the transaction's writer of the KV tree.
func (t *Txn) kvWriter() *kvWriter {
	if t.kv == nil {
		t.kv = &kvWriter{id: t.store.kvWriters.Add(1), tree: *kvTreeOf(t.tx)}
	}
	return t.kv
}

// kvLockMoved keeps the kv_locks table in step with key's holder, which
// was old and is now now ("" for none).
func (t *Txn) kvLockMoved(key, old, now string) error {
	if old == now {
		return nil
	}
	if old != "" {
		if err := t.tx.Delete(tableKVLocks, &kvLock{Key: key, Session: old}); err != nil {
			return fmt.Errorf("cannot unlink key %q from its session: %w", key, err)
		}
	}
	if now != "" {
		if err := t.tx.Insert(tableKVLocks, &kvLock{Key: key, Session: now}); err != nil {
			return fmt.Errorf("cannot link key %q to its session: %w", key, err)
		}
	}
	return nil
}

// KVSet stores e at index idx. An existing key keeps its CreateIndex and its
// lock (Session, LockIndex): a plain write does not break an advisory lock.
// The store keeps e; the caller must not change it afterwards.
func (t *Txn) KVSet(idx uint64, e *api.KVPair) error {
	if e.Key == "" {
		return ErrMissingKey
	}
	old, err := t.kvGet(e.Key)
	if err != nil {
		return err
	}
	e.CreateIndex, e.ModifyIndex = idx, idx
	e.LockIndex, e.Session = 0, ""
	if old != nil {
		e.CreateIndex, e.LockIndex, e.Session = old.CreateIndex, old.LockIndex, old.Session
	}
	return t.kvInsert(idx, e)
}

func (t *Txn) kvInsert(idx uint64, e *api.KVPair) error {
	if e.Key == "" {
		return ErrMissingKey
	}
	w := t.kvWriter()
	var held string
	if old := w.tree.get(e.Key); old != nil {
		held = old.Session
	}
	if err := t.kvLockMoved(e.Key, held, e.Session); err != nil {
		return err
	}
	w.set(e)
	t.setIndex(tableKVs, idx)
	return nil
}

// KVSetCAS stores e only if the key's ModifyIndex equals e.ModifyIndex; a
// ModifyIndex of 0 means "only if the key does not exist". It reports whether
// the write happened.
func (t *Txn) KVSetCAS(idx uint64, e *api.KVPair) (bool, error) {
	old, err := t.kvGet(e.Key)
	if err != nil {
		return false, err
	}
	switch {
	case e.ModifyIndex == 0 && old != nil:
		return false, nil
	case e.ModifyIndex != 0 && (old == nil || old.ModifyIndex != e.ModifyIndex):
		return false, nil
	}
	return true, t.KVSet(idx, e)
}

// KVDelete removes key, leaving a tombstone. A missing key is not an error.
func (t *Txn) KVDelete(idx uint64, key string) error {
	old, err := t.kvGet(key)
	if err != nil || old == nil {
		return err
	}
	return t.kvDelete(idx, old)
}

func (t *Txn) kvDelete(idx uint64, e *api.KVPair) error {
	if err := t.kvLockMoved(e.Key, e.Session, ""); err != nil {
		return err
	}
	t.kvWriter().delete(e.Key)
	if err := t.tx.Insert(tableTombstones, &tombstone{Key: e.Key, Index: idx}); err != nil {
		return fmt.Errorf("cannot write tombstone for %q: %w", e.Key, err)
	}
	t.setIndex(tableTombstones, idx)
	t.setIndex(tableKVs, idx)
	return nil
}

// KVDeleteCAS removes key only if its ModifyIndex equals cas. Deleting a key
// that does not exist succeeds, since the wanted end state holds.
func (t *Txn) KVDeleteCAS(idx, cas uint64, key string) (bool, error) {
	old, err := t.kvGet(key)
	if err != nil {
		return false, err
	}
	if old == nil {
		return true, nil
	}
	if old.ModifyIndex != cas {
		return false, nil
	}
	return true, t.kvDelete(idx, old)
}

// KVDeleteTree removes every key under prefix ("" removes all keys).
func (t *Txn) KVDeleteTree(idx uint64, prefix string) error {
	var doomed []*api.KVPair
	t.kvTree().walk(prefix, func(e *api.KVPair) { doomed = append(doomed, e) })
	for _, e := range doomed {
		if err := t.kvDelete(idx, e); err != nil {
			return err
		}
	}
	return nil
}

// ReapTombstones removes tombstones written at or before idx. The leader
// issues it once no blocking query can still need them.
func (t *Txn) ReapTombstones(idx uint64) error {
	it, err := t.tx.LowerBound(tableTombstones, "index", uint64(0))
	if err != nil {
		return fmt.Errorf("cannot list tombstones: %w", err)
	}
	var doomed []*tombstone
	for raw := it.Next(); raw != nil && raw.(*tombstone).Index <= idx; raw = it.Next() {
		doomed = append(doomed, raw.(*tombstone))
	}
	for _, ts := range doomed {
		if err := t.tx.Delete(tableTombstones, ts); err != nil {
			return fmt.Errorf("cannot reap tombstone %q: %w", ts.Key, err)
		}
	}
	return nil
}

// OldestTombstone returns the index of the oldest tombstone, and false
// when there is none.
func (s *Store) OldestTombstone() (uint64, bool) {
	tx := s.db.Txn(false)
	defer tx.Abort()
	it, err := tx.LowerBound(tableTombstones, "index", uint64(0))
	if err != nil {
		return 0, false
	}
	raw := it.Next()
	if raw == nil {
		return 0, false
	}
	return raw.(*tombstone).Index, true
}

// KVLock acquires key for e.Session and stores e's value and flags. It
// fails (false) when another session holds the key or the key is in its
// lock-delay at now; it errors when the session does not exist. LockIndex
// grows only when the lock changes hands; the holder may re-acquire to
// update the value.
func (t *Txn) KVLock(idx uint64, now time.Time, e *api.KVPair) (bool, error) {
	raw, err := t.tx.First(tableSessions, "id", e.Session)
	if err != nil {
		return false, fmt.Errorf("cannot read session: %w", err)
	}
	if raw == nil {
		return false, fmt.Errorf("invalid session %q", e.Session)
	}
	old, err := t.kvGet(e.Key)
	if err != nil {
		return false, err
	}
	e.CreateIndex, e.ModifyIndex, e.LockIndex = idx, idx, 1
	if old != nil {
		e.CreateIndex, e.LockIndex = old.CreateIndex, old.LockIndex
		switch {
		case old.Session == e.Session:
			return true, t.kvInsert(idx, e)
		case old.Session != "":
			return false, nil
		}
		e.LockIndex++
	}
	if now.Before(t.lockDelay(e.Key)) {
		return false, nil
	}
	return true, t.kvInsert(idx, e)
}

// KVUnlock releases key if e.Session holds it, storing e's value and
// flags; the key keeps its LockIndex. It reports whether the key was held.
func (t *Txn) KVUnlock(idx uint64, e *api.KVPair) (bool, error) {
	old, err := t.kvGet(e.Key)
	if err != nil || old == nil || old.Session == "" || old.Session != e.Session {
		return false, err
	}
	e.CreateIndex, e.ModifyIndex, e.LockIndex, e.Session = old.CreateIndex, idx, old.LockIndex, ""
	return true, t.kvInsert(idx, e)
}
