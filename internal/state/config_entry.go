package state

import (
	"fmt"

	"github.com/concordhq/concord/api"
	"github.com/hashicorp/go-memdb"
)

// tableConfigEntries holds the config entries (configEntryRow), one per
// kind and name; names are unique without regard to case, as in Consul.
const tableConfigEntries = "config_entries"

// configEntryRow is a config entry with its kind and name, to index by.
type configEntryRow struct {
	Kind  string
	Name  string
	Entry *api.ConfigEntry // non-nil
}

// configEntryTables are the object tables of this feature.
func configEntryTables() []objectTable {
	return []objectTable{{
		schema: &memdb.TableSchema{
			Name: tableConfigEntries,
			Indexes: map[string]*memdb.IndexSchema{
				"id": {Name: "id", Unique: true, Indexer: &memdb.CompoundIndex{Indexes: []memdb.Indexer{
					&memdb.StringFieldIndex{Field: "Kind"},
					&memdb.StringFieldIndex{Field: "Name", Lowercase: true},
				}}},
				"kind": {Name: "kind", Indexer: &memdb.StringFieldIndex{Field: "Kind"}},
			},
		},
		decode: jsonRows[configEntryRow],
	}}
}

// ConfigEntrySet stores e, which the leader has normalized and validated,
// with idx as its ModifyIndex (and CreateIndex when it is new). With cas,
// it is stored only if the current entry's ModifyIndex is casIndex, where
// 0 means that there is none yet; the result says whether it was stored.
func (t *Txn) ConfigEntrySet(idx uint64, e *api.ConfigEntry, cas bool, casIndex uint64) (bool, error) {
	existing, err := t.configEntry(e.Kind(), e.Name())
	if err != nil {
		return false, err
	}
	row := &configEntryRow{Kind: e.Kind(), Name: e.Name(), Entry: e.Clone()}
	row.Entry.SetIndexes(idx, idx)
	if existing != nil {
		created, modified := existing.Entry.Indexes()
		if cas && modified != casIndex {
			return false, nil
		}
		row.Entry.SetIndexes(created, idx)
	} else if cas && casIndex != 0 {
		return false, nil
	}
	if err := t.tx.Insert(tableConfigEntries, row); err != nil {
		return false, fmt.Errorf("cannot store config entry: %w", err)
	}
	t.setIndex(tableConfigEntries, idx)
	return true, nil
}

// ConfigEntryDelete deletes the entry of kind named name. With cas, only
// if it exists and its ModifyIndex is casIndex; the result says whether
// it was deleted (a delete of a missing entry without cas is true).
func (t *Txn) ConfigEntryDelete(idx uint64, kind, name string, cas bool, casIndex uint64) (bool, error) {
	existing, err := t.configEntry(kind, name)
	if err != nil || existing == nil {
		return !cas && err == nil, err
	}
	if _, modified := existing.Entry.Indexes(); cas && modified != casIndex {
		return false, nil
	}
	if err := t.tx.Delete(tableConfigEntries, existing); err != nil {
		return false, fmt.Errorf("cannot delete config entry: %w", err)
	}
	t.setIndex(tableConfigEntries, idx)
	return true, nil
}

func (t *Txn) configEntry(kind, name string) (*configEntryRow, error) {
	raw, err := t.tx.First(tableConfigEntries, "id", kind, name)
	if err != nil {
		return nil, fmt.Errorf("cannot read config entry: %w", err)
	}
	if raw == nil {
		return nil, nil
	}
	return raw.(*configEntryRow), nil
}

// ConfigEntry returns the entry of kind named name (in any case), or nil.
// The entry belongs to the store: callers must not change it.
func (s *Store) ConfigEntry(ws memdb.WatchSet, kind, name string) (uint64, *api.ConfigEntry, error) {
	tx := s.db.Txn(false)
	defer tx.Abort()
	watch, raw, err := tx.FirstWatch(tableConfigEntries, "id", kind, name)
	if err != nil {
		return 0, nil, fmt.Errorf("cannot read config entry: %w", err)
	}
	ws.Add(watch)
	idx := maxIndex(tx, tableConfigEntries)
	if raw == nil {
		return idx, nil, nil
	}
	return idx, raw.(*configEntryRow).Entry, nil
}

// ConfigEntries returns every entry of kind, by name (without regard to
// case). The entries belong to the store.
func (s *Store) ConfigEntries(ws memdb.WatchSet, kind string) (uint64, []*api.ConfigEntry, error) {
	tx := s.db.Txn(false)
	defer tx.Abort()
	it, err := tx.Get(tableConfigEntries, "kind", kind)
	if err != nil {
		return 0, nil, fmt.Errorf("cannot list config entries: %w", err)
	}
	ws.Add(it.WatchCh())
	// A non-unique index orders its rows by their ID: by name in lower case.
	var out []*api.ConfigEntry
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*configEntryRow).Entry)
	}
	return maxIndex(tx, tableConfigEntries), out, nil
}
