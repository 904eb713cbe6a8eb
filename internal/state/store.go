package state

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-memdb"
)

// Store is the state store. Reads may run concurrently with each other and
// with the one writer (the FSM); memdb gives each read a consistent view.
type Store struct {
	db *memdb.MemDB

	abandonOnce sync.Once
	abandonCh   chan struct{} // closed when a restore replaces this store

	// Lock-delays live beside memdb, as in Consul: they matter only for
	// seconds after an invalidation and are not part of snapshots. They are
	// set from command timestamps, so every server computes the same ones.
	delayMu sync.Mutex
	delays  map[string]time.Time // key → acquires refused before this; guarded by delayMu

	health healthCache // recent non-blocking health reads of services

	kvWatch   kvWatches     // blocking KV reads
	kvWriters atomic.Uint64 // ids of the KV tree's writers
}

// New returns an empty store.
func New() *Store {
	db, err := memdb.NewMemDB(schema())
	if err != nil {
		// The schema is static; an error here is a programming mistake.
		panic(fmt.Sprintf("state: invalid schema: %v", err))
	}
	return &Store{db: db, abandonCh: make(chan struct{}), delays: map[string]time.Time{}}
}

// AbandonCh is closed once this store has been replaced by a snapshot
// restore. Blocking queries add it to their WatchSet so they re-run against
// the new store instead of waiting on a dead one.
func (s *Store) AbandonCh() <-chan struct{} { return s.abandonCh }

// Abandon closes AbandonCh. The FSM calls it after swapping in a new store.
func (s *Store) Abandon() { s.abandonOnce.Do(func() { close(s.abandonCh) }) }

// Txn is a write transaction. The FSM opens one per batch of Raft entries
// and commits it once, so one memdb commit (and one round of watch
// notifications) covers many writes. Every write method takes the Raft index
// of the entry it applies.
type Txn struct {
	store   *Store
	tx      *memdb.Txn
	indexes map[string]uint64    // table → highest index written, saved at Commit
	delays  map[string]time.Time // lock-delays set by this txn, saved at Commit
	kv      *kvWriter            // the KV tree as this txn changed it; nil until it reads or writes a key
}

// WriteTxn opens the single write transaction memdb allows at a time.
func (s *Store) WriteTxn() *Txn {
	return &Txn{store: s, tx: s.db.Txn(true), indexes: map[string]uint64{}, delays: map[string]time.Time{}}
}

// Commit saves the tables' indexes (once per transaction, not per write),
// makes the writes visible and wakes their watchers.
func (t *Txn) Commit() {
	for table, idx := range t.indexes {
		if err := t.tx.Insert(tableIndex, &indexEntry{Table: table, Value: idx}); err != nil {
			// The index table's schema is static; this cannot fail.
			panic(fmt.Sprintf("state: cannot update index of %s: %v", table, err))
		}
	}
	if t.kv != nil && len(t.kv.changed) > 0 {
		if err := t.tx.Insert(tableKVRoot, &kvRoot{Name: tableKVs, Tree: t.kv.tree}); err != nil {
			panic(fmt.Sprintf("state: cannot update the KV tree: %v", err))
		}
	}
	t.tx.Commit()
	if t.kv != nil {
		t.store.kvWatch.notify(t.kv.changed)
	}
	if len(t.delays) > 0 {
		t.store.delayMu.Lock()
		for key, until := range t.delays {
			t.store.delays[key] = until
		}
		t.store.delayMu.Unlock()
	}
}

// lockDelay returns until when acquires of key are refused, counting
// delays set earlier in this transaction.
func (t *Txn) lockDelay(key string) time.Time {
	if until, ok := t.delays[key]; ok {
		return until
	}
	return t.store.KVLockDelay(key)
}

// Abort drops the transaction's writes. It is a no-op after Commit.
func (t *Txn) Abort() { t.tx.Abort() }

// setIndex records idx as the latest change to table; Commit saves it.
func (t *Txn) setIndex(table string, idx uint64) {
	t.indexes[table] = max(t.indexes[table], idx)
}

// maxIndex returns the highest index recorded for any of tables.
func maxIndex(tx *memdb.Txn, tables ...string) uint64 {
	var max uint64
	for _, table := range tables {
		raw, err := tx.First(tableIndex, "id", table)
		if err != nil || raw == nil {
			continue
		}
		if v := raw.(*indexEntry).Value; v > max {
			max = v
		}
	}
	return max
}

// MaxIndex returns the highest Raft index that changed any table: the index
// of the store as a whole, for reads that return nothing.
func (s *Store) MaxIndex() uint64 {
	tx := s.db.Txn(false)
	defer tx.Abort()
	return maxIndex(tx, allTables...)
}

// allTables are the tables whose indexes make up the store's index.
var allTables = append([]string{tableKVs, tableTombstones, tableNodes, tableServices, tableChecks, tableSessions},
	objectTableNames()...)

// ErrMissingKey is returned for a KV write without a key.
var ErrMissingKey = errors.New("state: missing key name")
