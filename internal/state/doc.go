// Package state is Concord's in-memory state store: go-memdb tables that the
// FSM writes as Raft entries commit and that every read (and every blocking
// query) comes from.
//
// Shape of the API (one rule for every table):
//   - writes are methods of a write transaction, tx.X(idx uint64, ...), where
//     idx is the Raft index of the entry being applied (and now, where time
//     matters, the leader's clock carried in that entry). The FSM opens one
//     Txn per batch of entries with Store.WriteTxn and commits it once, so
//     many writes share one memdb commit; a txn request's ops (KVTxn) get a
//     Txn of their own, dropped whole if one op fails;
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
