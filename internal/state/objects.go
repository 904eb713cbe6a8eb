package state

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/hashicorp/go-memdb"
)

// objectTable is a table of whole objects the store keeps as written (ACL
// tokens, policies and roles, prepared queries, coordinates, operator
// settings, config entries). Snapshots carry its rows as JSON under the table's name, so a
// feature adds a table without changing the snapshot format.
type objectTable struct {
	schema *memdb.TableSchema
	// decode makes a row from the JSON a snapshot holds.
	decode func([]byte) (any, error)
}

// jsonRows decodes snapshot rows of type T.
func jsonRows[T any](data []byte) (any, error) {
	v := new(T)
	if err := json.Unmarshal(data, v); err != nil {
		return nil, err
	}
	return v, nil
}

// objectTables lists every object table, in the order snapshots write them.
func objectTables() []objectTable {
	return slices.Concat(aclTables(), aclAuthTables(), queryTables(), coordinateTables(), operatorTables(), configEntryTables())
}

// objectTableNames are the names of objectTables.
func objectTableNames() []string {
	var names []string
	for _, t := range objectTables() {
		names = append(names, t.schema.Name)
	}
	return names
}

// Objects calls fn for every row of every object table, stopping at the
// first error.
func (snap *Snapshot) Objects(fn func(table string, row any) error) error {
	for _, t := range objectTables() {
		it, err := snap.tx.Get(t.schema.Name, "id")
		if err != nil {
			return fmt.Errorf("cannot list %s: %w", t.schema.Name, err)
		}
		for raw := it.Next(); raw != nil; raw = it.Next() {
			if err := fn(t.schema.Name, raw); err != nil {
				return err
			}
		}
	}
	return nil
}

// Object adds one row of an object table from its snapshot JSON.
func (r *Restorer) Object(table string, data []byte) error {
	for _, t := range objectTables() {
		if t.schema.Name != table {
			continue
		}
		row, err := t.decode(data)
		if err != nil {
			return fmt.Errorf("cannot decode %s row: %w", table, err)
		}
		return r.insert(table, row)
	}
	return fmt.Errorf("snapshot names unknown table %q", table)
}
