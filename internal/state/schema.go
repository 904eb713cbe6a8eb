package state

import "github.com/hashicorp/go-memdb"

// Table names.
const (
	tableKVs        = "kvs"
	tableTombstones = "tombstones"
	tableIndex      = "index"
)

// indexEntry records the highest Raft index that changed a table.
type indexEntry struct {
	Table string
	Value uint64
}

// tombstone marks a deleted key until it is reaped.
type tombstone Tombstone

func schema() *memdb.DBSchema {
	return &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{
		tableKVs: {
			Name: tableKVs,
			Indexes: map[string]*memdb.IndexSchema{
				"id": {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Key"}},
				"session": {Name: "session", AllowMissing: true,
					Indexer: &memdb.StringFieldIndex{Field: "Session"}},
			},
		},
		tableTombstones: {
			Name: tableTombstones,
			Indexes: map[string]*memdb.IndexSchema{
				"id":    {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Key"}},
				"index": {Name: "index", Indexer: &memdb.UintFieldIndex{Field: "Index"}},
			},
		},
		tableIndex: {
			Name: tableIndex,
			Indexes: map[string]*memdb.IndexSchema{
				"id": {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Table"}},
			},
		},
	}}
}
