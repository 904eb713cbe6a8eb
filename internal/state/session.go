package state

import (
	"errors"
	"fmt"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/hashicorp/go-memdb"
)

// Session errors; their texts are what clients see.
var (
	// ErrSessionExists is returned when a session ID is taken.
	ErrSessionExists = errors.New("state: session ID already in use")
)

// SessionCreate stores a new session bound to its node and checks. The
// node must be registered and none of the checks may be missing or
// critical; the caller (the leader) has filled in the ID and defaults.
func (t *Txn) SessionCreate(idx uint64, sess *api.SessionEntry) error {
	if raw, err := t.tx.First(tableSessions, "id", sess.ID); err != nil || raw != nil {
		if err != nil {
			return fmt.Errorf("cannot read session: %w", err)
		}
		return ErrSessionExists
	}
	if t.node(sess.Node) == nil {
		return fmt.Errorf("Missing node registration")
	}
	for _, id := range sess.CheckIDs() {
		raw, err := t.tx.First(tableChecks, "id", sess.Node, id)
		if err != nil {
			return fmt.Errorf("cannot read check %q: %w", id, err)
		}
		if raw == nil {
			return fmt.Errorf("Missing check '%s' registration", id)
		}
		if raw.(*api.HealthCheck).Status == api.HealthCritical {
			return fmt.Errorf("Check '%s' is in critical state", id)
		}
	}
	sess.CreateIndex, sess.ModifyIndex = idx, idx
	if err := t.tx.Insert(tableSessions, sess); err != nil {
		return fmt.Errorf("cannot store session: %w", err)
	}
	for _, id := range sess.CheckIDs() {
		link := &sessionCheck{Node: sess.Node, CheckID: id, Session: sess.ID}
		if err := t.tx.Insert(tableSessionChecks, link); err != nil {
			return fmt.Errorf("cannot link session to check %q: %w", id, err)
		}
	}
	t.setIndex(tableSessions, idx)
	return nil
}

// SessionDestroy invalidates a session: it is removed, and each key it
// holds is released (Session cleared, LockIndex kept) or deleted, as its
// Behavior says. Those keys then refuse new acquires for the session's
// LockDelay, counted from now (the leader's clock in the command). The
// prepared queries bound to it are deleted. A missing session is not an
// error.
func (t *Txn) SessionDestroy(idx uint64, now time.Time, id string) error {
	raw, err := t.tx.First(tableSessions, "id", id)
	if err != nil || raw == nil {
		return err
	}
	sess := raw.(*api.SessionEntry)
	if err := t.tx.Delete(tableSessions, sess); err != nil {
		return fmt.Errorf("cannot delete session: %w", err)
	}
	if _, err := t.tx.DeleteAll(tableSessionChecks, "session", id); err != nil {
		return fmt.Errorf("cannot unlink session: %w", err)
	}
	t.setIndex(tableSessions, idx)
	if err := t.deleteSessionQueries(idx, id); err != nil {
		return err
	}

	it, err := t.tx.Get(tableKVLocks, "session", id)
	if err != nil {
		return fmt.Errorf("cannot list keys held by session: %w", err)
	}
	var held []*api.KVPair
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if e := t.kvTree().get(raw.(*kvLock).Key); e != nil {
			held = append(held, e)
		}
	}
	for _, e := range held {
		if sess.LockDelay > 0 {
			t.delays[e.Key] = now.Add(sess.LockDelay)
		}
		if sess.Behavior == api.SessionBehaviorDelete {
			if err := t.kvDelete(idx, e); err != nil {
				return err
			}
			continue
		}
		released := *e
		released.Session, released.ModifyIndex = "", idx
		if err := t.kvInsert(idx, &released); err != nil {
			return err
		}
	}
	return nil
}

// SessionGet returns one session, or nil.
func (s *Store) SessionGet(ws memdb.WatchSet, id string) (uint64, *api.SessionEntry, error) {
	tx := s.db.Txn(false)
	defer tx.Abort()
	ch, raw, err := tx.FirstWatch(tableSessions, "id", id)
	if err != nil {
		return 0, nil, fmt.Errorf("cannot read session: %w", err)
	}
	ws.Add(ch)
	idx := maxIndex(tx, tableSessions)
	if raw == nil {
		return idx, nil, nil
	}
	return idx, raw.(*api.SessionEntry), nil
}

// SessionList returns every session; with node set, only that node's.
func (s *Store) SessionList(ws memdb.WatchSet, node string) (uint64, []*api.SessionEntry, error) {
	tx := s.db.Txn(false)
	defer tx.Abort()
	var it memdb.ResultIterator
	var err error
	if node == "" {
		it, err = tx.Get(tableSessions, "id")
	} else {
		it, err = tx.Get(tableSessions, "node", node)
	}
	if err != nil {
		return 0, nil, fmt.Errorf("cannot list sessions: %w", err)
	}
	ws.Add(it.WatchCh())
	out := []*api.SessionEntry{}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*api.SessionEntry))
	}
	return maxIndex(tx, tableSessions), out, nil
}

// KVLockDelay returns until when acquires of key are refused (zero when
// they are not).
func (s *Store) KVLockDelay(key string) time.Time {
	s.delayMu.Lock()
	defer s.delayMu.Unlock()
	return s.delays[key]
}
