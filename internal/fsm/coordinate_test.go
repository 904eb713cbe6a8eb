package fsm_test

import (
	"bytes"
	"io"
	"reflect"
	"testing"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/fsm"
	"github.com/hashicorp/raft"
	"github.com/hashicorp/serf/coordinate"
)

// coordinateFSM has nodes a and b registered, with a coordinate each, and
// an update for node ghost, which the catalog does not have.
func coordinateFSM(t *testing.T) *fsm.FSM {
	t.Helper()
	f := newFSM()
	ca := coordinate.NewCoordinate(coordinate.DefaultConfig())
	ca.Vec[0], ca.Error, ca.Height = 0.25, 0.5, 0.001
	cb := coordinate.NewCoordinate(coordinate.DefaultConfig())
	cb.Vec[2], cb.Adjustment = -0.125, 0.0005
	f.ApplyBatch([]*raft.Log{
		{Index: 1, Type: raft.LogCommand, Data: fsm.EncodeRegister(&api.CatalogRegistration{Node: "a", Address: "10.0.0.1"}, t0)},
		{Index: 2, Type: raft.LogCommand, Data: fsm.EncodeRegister(&api.CatalogRegistration{Node: "b", Address: "10.0.0.2"}, t0)},
		{Index: 3, Type: raft.LogCommand, Data: fsm.EncodeCoordinates([]*api.CoordinateEntry{
			{Node: "a", Coord: ca}, {Node: "B", Coord: cb}, {Node: "ghost", Coord: ca}}, t0)},
	})
	return f
}

func TestCoordinateUpdatesNeedACatalogNode(t *testing.T) {
	f := coordinateFSM(t)
	idx, got, err := f.State().Coordinates(nil)
	if err != nil {
		t.Fatal(err)
	}
	var nodes []string
	for _, e := range got {
		nodes = append(nodes, e.Node)
	}
	if !reflect.DeepEqual(nodes, []string{"a", "b"}) || idx != 3 {
		t.Fatalf("Coordinates() = %v at index %d, want [a b] (the catalog's spelling, no ghost) at 3", nodes, idx)
	}

	// Deregistering a node takes its coordinates with it.
	f.ApplyBatch([]*raft.Log{{Index: 4, Type: raft.LogCommand, Data: fsm.EncodeDeregister(&api.CatalogDeregistration{Node: "a"}, t0)}})
	idx, got, _ = f.State().NodeCoordinates(nil, "a")
	if len(got) != 0 || idx != 4 {
		t.Fatalf("NodeCoordinates(a) after deregistration = %v at index %d, want none at 4", got, idx)
	}
}

func TestCoordinatesSurviveSnapshot(t *testing.T) {
	src := coordinateFSM(t)
	dst := newFSM()
	if err := dst.Restore(io.NopCloser(bytes.NewReader(persist(t, src)))); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	_, want, _ := src.State().Coordinates(nil)
	idx, got, err := dst.State().Coordinates(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) || idx != 3 {
		t.Fatalf("restored coordinates = %+v at index %d, want %+v at 3", got, idx, want)
	}
}
