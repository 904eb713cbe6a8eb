package state

import (
	"errors"
	"fmt"
	"strings"

	"github.com/concordhq/concord/api"
	"github.com/hashicorp/go-memdb"
)

// tableCoordinates holds each node's network coordinate, one row per node
// and network segment (Concord has only the default segment, "").
const tableCoordinates = "coordinates"

// coordinateTables are the object tables of this feature.
func coordinateTables() []objectTable {
	return []objectTable{{
		schema: &memdb.TableSchema{
			Name: tableCoordinates,
			Indexes: map[string]*memdb.IndexSchema{
				"id":   {Name: "id", Unique: true, Indexer: coordinateIDIndex{}},
				"node": {Name: "node", Indexer: &memdb.StringFieldIndex{Field: "Node", Lowercase: true}},
			},
		},
		decode: jsonRows[api.CoordinateEntry],
	}}
}

// coordinateIDIndex indexes a coordinate by node (in any case, as the
// catalog's nodes) and segment. memdb's string indexes treat "" as missing,
// and the default segment is "", so the key is built here.
type coordinateIDIndex struct{}

func coordinateKey(node, segment string) []byte {
	return []byte(strings.ToLower(node) + "\x00" + segment + "\x00")
}

func (coordinateIDIndex) FromObject(raw any) (bool, []byte, error) {
	e, ok := raw.(*api.CoordinateEntry)
	if !ok {
		return false, nil, fmt.Errorf("state: coordinate row is a %T", raw)
	}
	return true, coordinateKey(e.Node, e.Segment), nil
}

func (coordinateIDIndex) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 2 {
		return nil, errors.New("state: a coordinate is looked up by node and segment")
	}
	node, ok1 := args[0].(string)
	segment, ok2 := args[1].(string)
	if !ok1 || !ok2 {
		return nil, errors.New("state: coordinate node and segment must be strings")
	}
	return coordinateKey(node, segment), nil
}

// CoordinateBatchUpdate stores coordinates, each replacing the one of its
// node and segment. An update for a node the catalog does not have is
// dropped, as in Consul: coordinates arrive apart from registrations, and
// a node's coordinates go with its deregistration (deleteNodeCoordinates).
func (t *Txn) CoordinateBatchUpdate(idx uint64, updates []*api.CoordinateEntry) error {
	changed := false
	for _, u := range updates {
		if u == nil || u.Coord == nil {
			continue
		}
		n := t.node(u.Node)
		if n == nil {
			continue
		}
		// Rows are shared with readers and never changed in place: each
		// update stores a copy under the catalog's spelling of the node.
		row := &api.CoordinateEntry{Node: n.Node, Segment: u.Segment, Partition: u.Partition, Coord: u.Coord.Clone()}
		if err := t.tx.Insert(tableCoordinates, row); err != nil {
			return fmt.Errorf("cannot store the coordinate of %q: %w", u.Node, err)
		}
		changed = true
	}
	if changed {
		t.setIndex(tableCoordinates, idx)
	}
	return nil
}

// deleteNodeCoordinates drops every coordinate of node, with the node.
func (t *Txn) deleteNodeCoordinates(idx uint64, node string) error {
	n, err := t.tx.DeleteAll(tableCoordinates, "node", node)
	if err != nil {
		return fmt.Errorf("cannot delete the coordinates of %q: %w", node, err)
	}
	if n > 0 {
		t.setIndex(tableCoordinates, idx)
	}
	return nil
}

// Coordinates returns every node's coordinates, sorted by node and segment.
func (s *Store) Coordinates(ws memdb.WatchSet) (uint64, []*api.CoordinateEntry, error) {
	return s.coordinates(ws, "id")
}

// NodeCoordinates returns one node's coordinates, one per segment (none
// when it has none yet, or is unknown).
func (s *Store) NodeCoordinates(ws memdb.WatchSet, node string) (uint64, []*api.CoordinateEntry, error) {
	return s.coordinates(ws, "node", node)
}

// coordinates lists the rows of index matching args.
func (s *Store) coordinates(ws memdb.WatchSet, index string, args ...any) (uint64, []*api.CoordinateEntry, error) {
	tx := s.db.Txn(false)
	defer tx.Abort()
	it, err := tx.Get(tableCoordinates, index, args...)
	if err != nil {
		return 0, nil, fmt.Errorf("cannot list coordinates: %w", err)
	}
	ws.Add(it.WatchCh())
	out := []*api.CoordinateEntry{}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*api.CoordinateEntry))
	}
	return maxIndex(tx, tableCoordinates), out, nil
}
