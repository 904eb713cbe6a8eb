package state

import (
	"github.com/concordhq/concord/api"
	"github.com/hashicorp/go-memdb"
)

// Table names.
const (
	tableKVs           = "kvs" // the KV tree's name in the index table (kvTree)
	tableKVRoot        = "kv_root"
	tableKVLocks       = "kv_locks"
	tableTombstones    = "tombstones"
	tableIndex         = "index"
	tableNodes         = "nodes"
	tableServices      = "services"
	tableChecks        = "checks"
	tableSessions      = "sessions"
	tableSessionChecks = "session_checks"
	tableStream        = "stream"
	tableStreamMeta    = "stream_meta"
)

// indexEntry records the highest Raft index that changed a table.
type indexEntry struct {
	Table string
	Value uint64
}

// sessionCheck links a session to a check it depends on: when the check
// turns critical or goes away, the session is invalidated.
type sessionCheck struct {
	Node    string
	CheckID string
	Session string
}

// serviceRow is a service instance with the node it runs on.
type serviceRow struct {
	Node string
	api.NodeService
}

// kvRoot is the one row of the kv_root table: the KV tree of its time.
type kvRoot struct {
	Name string // tableKVs
	Tree kvTree
}

// kvRootIndex indexes kv_root by Name, with the key of its one row built
// once: every KV read looks that row up, and building the key each time
// was an allocation per read.
type kvRootIndex struct{ memdb.StringFieldIndex }

// kvRootKey is StringFieldIndex's key for tableKVs. memdb only reads it.
var kvRootKey = []byte(tableKVs + "\x00")

func (i *kvRootIndex) FromArgs(args ...any) ([]byte, error) {
	if len(args) == 1 && args[0] == tableKVs {
		return kvRootKey, nil
	}
	return i.StringFieldIndex.FromArgs(args...)
}

// kvLock is a key held by a session, so that ending the session finds the
// keys it holds.
type kvLock struct {
	Key     string
	Session string
}

// tombstone marks a deleted key until it is reaped.
type tombstone Tombstone

func schema() *memdb.DBSchema {
	db := &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{
		tableKVRoot: {
			Name: tableKVRoot,
			Indexes: map[string]*memdb.IndexSchema{
				"id": {Name: "id", Unique: true, Indexer: &kvRootIndex{memdb.StringFieldIndex{Field: "Name"}}},
			},
		},
		tableKVLocks: {
			Name: tableKVLocks,
			Indexes: map[string]*memdb.IndexSchema{
				"id":      {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Key"}},
				"session": {Name: "session", Indexer: &memdb.StringFieldIndex{Field: "Session"}},
			},
		},
		tableTombstones: {
			Name: tableTombstones,
			Indexes: map[string]*memdb.IndexSchema{
				"id":    {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Key"}},
				"index": {Name: "index", Indexer: &memdb.UintFieldIndex{Field: "Index"}},
			},
		},
		tableNodes: {
			Name: tableNodes,
			Indexes: map[string]*memdb.IndexSchema{
				"id": {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Node", Lowercase: true}},
			},
		},
		tableServices: {
			Name: tableServices,
			Indexes: map[string]*memdb.IndexSchema{
				"id": {Name: "id", Unique: true, Indexer: &memdb.CompoundIndex{Indexes: []memdb.Indexer{
					&memdb.StringFieldIndex{Field: "Node", Lowercase: true},
					&memdb.StringFieldIndex{Field: "ID", Lowercase: true},
				}}},
				"node":    {Name: "node", Indexer: &memdb.StringFieldIndex{Field: "Node", Lowercase: true}},
				"service": {Name: "service", Indexer: &memdb.StringFieldIndex{Field: "Service", Lowercase: true}},
			},
		},
		tableChecks: {
			Name: tableChecks,
			Indexes: map[string]*memdb.IndexSchema{
				"id": {Name: "id", Unique: true, Indexer: &memdb.CompoundIndex{Indexes: []memdb.Indexer{
					&memdb.StringFieldIndex{Field: "Node", Lowercase: true},
					&memdb.StringFieldIndex{Field: "CheckID"},
				}}},
				"node": {Name: "node", Indexer: &memdb.StringFieldIndex{Field: "Node", Lowercase: true}},
			},
		},
		tableSessions: {
			Name: tableSessions,
			Indexes: map[string]*memdb.IndexSchema{
				"id":   {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
				"node": {Name: "node", Indexer: &memdb.StringFieldIndex{Field: "Node", Lowercase: true}},
			},
		},
		tableSessionChecks: {
			Name: tableSessionChecks,
			Indexes: map[string]*memdb.IndexSchema{
				"id": {Name: "id", Unique: true, Indexer: &memdb.CompoundIndex{Indexes: []memdb.Indexer{
					&memdb.StringFieldIndex{Field: "Node", Lowercase: true},
					&memdb.StringFieldIndex{Field: "CheckID"},
					&memdb.StringFieldIndex{Field: "Session"},
				}}},
				"node_check": {Name: "node_check", Indexer: &memdb.CompoundIndex{Indexes: []memdb.Indexer{
					&memdb.StringFieldIndex{Field: "Node", Lowercase: true},
					&memdb.StringFieldIndex{Field: "CheckID"},
				}}},
				"session": {Name: "session", Indexer: &memdb.StringFieldIndex{Field: "Session"}},
			},
		},
		tableStream: {
			Name: tableStream,
			Indexes: map[string]*memdb.IndexSchema{
				"id": {Name: "id", Unique: true, Indexer: &memdb.CompoundIndex{Indexes: []memdb.Indexer{
					&memdb.StringFieldIndex{Field: "Topic"},
					&memdb.UintFieldIndex{Field: "Index"},
				}}},
			},
		},
		tableStreamMeta: {
			Name: tableStreamMeta,
			Indexes: map[string]*memdb.IndexSchema{
				"id": {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Topic"}},
			},
		},
		tableIndex: {
			Name: tableIndex,
			Indexes: map[string]*memdb.IndexSchema{
				"id": {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Table"}},
			},
		},
	}}
	for _, t := range objectTables() {
		db.Tables[t.schema.Name] = t.schema
	}
	return db
}
