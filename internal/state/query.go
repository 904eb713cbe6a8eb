package state

import (
	"errors"
	"fmt"
	"strings"

	"github.com/concordhq/concord/api"
	"github.com/hashicorp/go-memdb"
)

// tablePreparedQueries holds the prepared queries (*api.PreparedQuery).
const tablePreparedQueries = "prepared_queries"

// queryTables are the object tables of this feature.
func queryTables() []objectTable {
	return []objectTable{{
		schema: &memdb.TableSchema{
			Name: tablePreparedQueries,
			Indexes: map[string]*memdb.IndexSchema{
				"id": {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
				// Names are unique without regard to case; a query without
				// one is not in this index.
				"name": {Name: "name", Unique: true, AllowMissing: true,
					Indexer: &memdb.StringFieldIndex{Field: "Name", Lowercase: true}},
				"template": {Name: "template", Unique: true, AllowMissing: true, Indexer: templateIndex{}},
				"session": {Name: "session", AllowMissing: true,
					Indexer: &memdb.StringFieldIndex{Field: "Session"}},
			},
		},
		decode: jsonRows[api.PreparedQuery],
	}}
}

// templateIndex indexes templates by their name in lower case, after a NUL
// byte so that a template without a name has a key too: the longest
// prefix of a name among these keys is the template that answers it.
type templateIndex struct{}

func (templateIndex) FromObject(obj any) (bool, []byte, error) {
	q, ok := obj.(*api.PreparedQuery)
	if !ok {
		return false, nil, fmt.Errorf("template index: unexpected %T", obj)
	}
	if !q.IsTemplate() {
		return false, nil, nil
	}
	return true, templateKey(q.Name), nil
}

func (templateIndex) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("template index: want one argument, got %d", len(args))
	}
	name, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("template index: argument is %T, not a string", args[0])
	}
	return templateKey(name), nil
}

// PrefixFromArgs lets LongestPrefix find the template of a name.
func (ix templateIndex) PrefixFromArgs(args ...any) ([]byte, error) { return ix.FromArgs(args...) }

func templateKey(name string) []byte { return []byte("\x00" + strings.ToLower(name)) }

// Prepared query operations, as PreparedQueryApply takes them.
const (
	QueryCreate = "create"
	QueryUpdate = "update"
	QueryDelete = "delete"
)

// ErrQueryExists is returned when a new query's ID is taken; the leader
// then draws another.
var ErrQueryExists = errors.New("state: prepared query ID already in use")

// PreparedQueryApply creates, updates or deletes a query, as op says. Its
// checks are Consul's, with Consul's texts: a name (or, for a template
// without a name, the empty name) belongs to one query, no name is
// another query's ID, and a session the query is bound to exists. An
// update or delete of a missing query is refused.
func (t *Txn) PreparedQueryApply(idx uint64, op string, q *api.PreparedQuery) error {
	existing, err := t.preparedQuery("id", q.ID)
	if err != nil {
		return err
	}
	switch {
	case op == QueryCreate && existing != nil:
		return ErrQueryExists
	case op != QueryCreate && existing == nil:
		return fmt.Errorf("Cannot modify non-existent prepared query: '%s'", q.ID)
	case op == QueryDelete:
		if err := t.tx.Delete(tablePreparedQueries, existing); err != nil {
			return fmt.Errorf("cannot delete prepared query: %w", err)
		}
		t.setIndex(tablePreparedQueries, idx)
		return nil
	case op != QueryUpdate && op != QueryCreate:
		return fmt.Errorf("unknown prepared query operation %q", op)
	}
	if err := t.checkQuery(q); err != nil {
		return err
	}
	row := *q
	row.CreateIndex, row.ModifyIndex = idx, idx
	if existing != nil {
		row.CreateIndex = existing.CreateIndex
	}
	if err := t.tx.Insert(tablePreparedQueries, &row); err != nil {
		return fmt.Errorf("cannot store prepared query: %w", err)
	}
	t.setIndex(tablePreparedQueries, idx)
	return nil
}

// checkQuery checks what a query must not clash with in the store.
func (t *Txn) checkQuery(q *api.PreparedQuery) error {
	if q.Name != "" {
		other, err := t.preparedQuery("name", q.Name)
		if err != nil {
			return err
		}
		if other != nil && other.ID != q.ID {
			return fmt.Errorf("name '%s' aliases an existing query name", q.Name)
		}
		// Queries are executed by ID or name, IDs first: a name equal to
		// another query's ID would take that query over.
		if alias, err := t.preparedQuery("id", q.Name); err != nil || alias != nil {
			if err != nil {
				return err
			}
			return fmt.Errorf("name '%s' aliases an existing query ID", q.Name)
		}
	} else if q.IsTemplate() {
		other, err := t.preparedQuery("template", "")
		if err != nil {
			return err
		}
		if other != nil && other.ID != q.ID {
			return fmt.Errorf("a query template with an empty name already exists")
		}
	}
	if q.Session != "" {
		sess, err := t.tx.First(tableSessions, "id", q.Session)
		if err != nil {
			return fmt.Errorf("cannot read session: %w", err)
		}
		if sess == nil {
			return fmt.Errorf("invalid session %q", q.Session)
		}
	}
	return nil
}

func (t *Txn) preparedQuery(index, v string) (*api.PreparedQuery, error) {
	raw, err := t.tx.First(tablePreparedQueries, index, v)
	if err != nil {
		return nil, fmt.Errorf("cannot read prepared query: %w", err)
	}
	if raw == nil {
		return nil, nil
	}
	return raw.(*api.PreparedQuery), nil
}

// deleteSessionQueries deletes the queries bound to a session that is
// going away, in the transaction that ends the session.
func (t *Txn) deleteSessionQueries(idx uint64, session string) error {
	n, err := t.tx.DeleteAll(tablePreparedQueries, "session", session)
	if err != nil {
		return fmt.Errorf("cannot delete the prepared queries of session %s: %w", session, err)
	}
	if n > 0 {
		t.setIndex(tablePreparedQueries, idx)
	}
	return nil
}

// PreparedQueryGet returns the query with that ID, or nil.
func (s *Store) PreparedQueryGet(ws memdb.WatchSet, id string) (uint64, *api.PreparedQuery, error) {
	tx := s.db.Txn(false)
	defer tx.Abort()
	ch, raw, err := tx.FirstWatch(tablePreparedQueries, "id", id)
	if err != nil {
		return 0, nil, fmt.Errorf("cannot read prepared query: %w", err)
	}
	ws.Add(ch)
	idx := maxIndex(tx, tablePreparedQueries)
	if raw == nil {
		return idx, nil, nil
	}
	return idx, raw.(*api.PreparedQuery), nil
}

// PreparedQueryList returns every query, by ID.
func (s *Store) PreparedQueryList(ws memdb.WatchSet) (uint64, []*api.PreparedQuery, error) {
	tx := s.db.Txn(false)
	defer tx.Abort()
	it, err := tx.Get(tablePreparedQueries, "id")
	if err != nil {
		return 0, nil, fmt.Errorf("cannot list prepared queries: %w", err)
	}
	ws.Add(it.WatchCh())
	out := []*api.PreparedQuery{}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*api.PreparedQuery))
	}
	return maxIndex(tx, tablePreparedQueries), out, nil
}

// PreparedQueryResolve returns the query that idOrName names, or nil: the
// query with that ID, else the static query with that name (without
// regard to case), else the template with the longest name that prefixes
// it. A template comes back as stored, not yet interpolated.
func (s *Store) PreparedQueryResolve(ws memdb.WatchSet, idOrName string) (uint64, *api.PreparedQuery, error) {
	tx := s.db.Txn(false)
	defer tx.Abort()
	it, err := tx.Get(tablePreparedQueries, "id")
	if err != nil {
		return 0, nil, fmt.Errorf("cannot list prepared queries: %w", err)
	}
	ws.Add(it.WatchCh()) // any change may change what a name resolves to
	idx := maxIndex(tx, tablePreparedQueries)
	if idOrName == "" {
		return idx, nil, nil // never the template without a name
	}
	for _, index := range []string{"id", "name"} {
		raw, err := tx.First(tablePreparedQueries, index, idOrName)
		if err != nil {
			return 0, nil, fmt.Errorf("cannot read prepared query: %w", err)
		}
		if q, _ := raw.(*api.PreparedQuery); q != nil && (index == "id" || !q.IsTemplate()) {
			return idx, q, nil
		}
	}
	raw, err := tx.LongestPrefix(tablePreparedQueries, "template_prefix", idOrName)
	if err != nil {
		return 0, nil, fmt.Errorf("cannot match query templates: %w", err)
	}
	q, _ := raw.(*api.PreparedQuery)
	return idx, q, nil
}
