package state

import (
	"fmt"

	"github.com/concordhq/concord/api"
	"github.com/hashicorp/go-memdb"
)

// Tombstone is a deleted key kept so prefix indexes grow on deletes; it is
// exported for snapshots.
type Tombstone struct {
	Key   string
	Index uint64
}

// Snapshot is a point-in-time view of the store for a Raft snapshot. Taking
// it is cheap (memdb is immutable underneath); the FSM writes it out later,
// while new entries keep applying.
type Snapshot struct {
	tx *memdb.Txn
}

// Snapshot freezes the current state.
func (s *Store) Snapshot() *Snapshot {
	return &Snapshot{tx: s.db.Snapshot().Txn(false)}
}

// Index is the highest index the snapshot covers.
func (snap *Snapshot) Index() uint64 { return maxIndex(snap.tx, allTables...) }

// KVs calls fn for every key, in key order, stopping at the first error.
func (snap *Snapshot) KVs(fn func(*api.KVPair) error) error {
	var err error
	if tree := kvTreeOf(snap.tx); tree.root != nil {
		tree.root.ascend("", func(e *api.KVPair) bool {
			err = fn(e)
			return err == nil
		})
	}
	return err
}

// Tombstones calls fn for every tombstone, stopping at the first error.
func (snap *Snapshot) Tombstones(fn func(Tombstone) error) error {
	it, err := snap.tx.Get(tableTombstones, "id")
	if err != nil {
		return fmt.Errorf("cannot list tombstones: %w", err)
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if err := fn(Tombstone(*raw.(*tombstone))); err != nil {
			return err
		}
	}
	return nil
}

// Catalog calls the matching fn for every node, service (with its node)
// and check, stopping at the first error.
func (snap *Snapshot) Catalog(node func(*api.Node) error, service func(string, *api.NodeService) error,
	check func(*api.HealthCheck) error) error {
	for _, table := range []string{tableNodes, tableServices, tableChecks} {
		it, err := snap.tx.Get(table, "id")
		if err != nil {
			return fmt.Errorf("cannot list %s: %w", table, err)
		}
		for raw := it.Next(); raw != nil; raw = it.Next() {
			switch v := raw.(type) {
			case *api.Node:
				err = node(v)
			case *serviceRow:
				err = service(v.Node, &v.NodeService)
			case *api.HealthCheck:
				err = check(v)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// Sessions calls fn for every session, stopping at the first error.
func (snap *Snapshot) Sessions(fn func(*api.SessionEntry) error) error {
	it, err := snap.tx.Get(tableSessions, "id")
	if err != nil {
		return fmt.Errorf("cannot list sessions: %w", err)
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if err := fn(raw.(*api.SessionEntry)); err != nil {
			return err
		}
	}
	return nil
}

// Restorer fills a new store from a snapshot in one transaction.
type Restorer struct {
	tx  *memdb.Txn
	kv  *kvWriter
	max uint64
}

// Restore starts filling s, which must be new and empty.
func (s *Store) Restore() *Restorer {
	return &Restorer{tx: s.db.Txn(true), kv: &kvWriter{id: s.kvWriters.Add(1)}}
}

// KV adds one key.
func (r *Restorer) KV(e *api.KVPair) error {
	if e.Key == "" {
		return fmt.Errorf("cannot restore key: %w", ErrMissingKey)
	}
	if e.Session != "" {
		if err := r.tx.Insert(tableKVLocks, &kvLock{Key: e.Key, Session: e.Session}); err != nil {
			return fmt.Errorf("cannot restore the lock of key %q: %w", e.Key, err)
		}
	}
	r.kv.set(e)
	r.kv.changed = r.kv.changed[:0] // a new store has no watchers
	r.max = max(r.max, e.ModifyIndex)
	return nil
}

// Tombstone adds one tombstone.
func (r *Restorer) Tombstone(ts Tombstone) error {
	t := tombstone(ts)
	if err := r.tx.Insert(tableTombstones, &t); err != nil {
		return fmt.Errorf("cannot restore tombstone %q: %w", ts.Key, err)
	}
	r.max = max(r.max, ts.Index)
	return nil
}

// Node adds one catalog node.
func (r *Restorer) Node(n *api.Node) error {
	r.max = max(r.max, n.ModifyIndex)
	return r.insert(tableNodes, n)
}

// Service adds one service instance on node.
func (r *Restorer) Service(node string, svc *api.NodeService) error {
	r.max = max(r.max, svc.ModifyIndex)
	return r.insert(tableServices, &serviceRow{Node: node, NodeService: *svc})
}

// Check adds one health check.
func (r *Restorer) Check(c *api.HealthCheck) error {
	r.max = max(r.max, c.ModifyIndex)
	return r.insert(tableChecks, c)
}

// Session adds one session and its links to checks.
func (r *Restorer) Session(sess *api.SessionEntry) error {
	r.max = max(r.max, sess.ModifyIndex)
	if err := r.insert(tableSessions, sess); err != nil {
		return err
	}
	for _, id := range sess.CheckIDs() {
		if err := r.insert(tableSessionChecks, &sessionCheck{Node: sess.Node, CheckID: id, Session: sess.ID}); err != nil {
			return err
		}
	}
	return nil
}

func (r *Restorer) insert(table string, obj any) error {
	if err := r.tx.Insert(table, obj); err != nil {
		return fmt.Errorf("cannot restore %s: %w", table, err)
	}
	return nil
}

// Commit finishes the restore. index is the snapshot's own index, which may
// exceed every entry's (writes that changed nothing still advance it).
func (r *Restorer) Commit(index uint64) error {
	idx := max(r.max, index)
	for _, table := range allTables {
		if err := r.tx.Insert(tableIndex, &indexEntry{Table: table, Value: idx}); err != nil {
			r.tx.Abort()
			return fmt.Errorf("cannot restore index: %w", err)
		}
	}
	if err := r.tx.Insert(tableKVRoot, &kvRoot{Name: tableKVs, Tree: r.kv.tree}); err != nil {
		r.tx.Abort()
		return fmt.Errorf("cannot restore keys: %w", err)
	}
	r.tx.Commit()
	return nil
}

// Abort drops a restore that failed part way.
func (r *Restorer) Abort() { r.tx.Abort() }
