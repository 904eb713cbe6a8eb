// Package state is Concord's in-memory state store: go-memdb tables that the
// FSM writes as Raft entries commit and that every read (and every blocking
// query) comes from.
//
// Shape of the API (one rule for every table):
//   - writes are X(idx uint64, ...) wrapping xTxn(tx, idx, ...), so that the
//     txn endpoint and the batching FSM can put many writes in one memdb txn;
//     idx is the Raft index of the entry being applied;
//   - reads are Y(ws memdb.WatchSet, ...) (uint64, T, error): the index of the
//     result and the watch channels a blocking query waits on.
//
// Commit and notify happen in one place: memdb closes the watch channels of
// everything a committed txn changed. Deleted keys leave tombstones so that
// the index of a prefix read still grows after a delete.
//
// A Store is replaced whole when a snapshot is restored; AbandonCh closes on
// the old one so blocking queries re-run against the new store.
package state
