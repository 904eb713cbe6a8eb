package server

import (
	"slices"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/state"
	"github.com/hashicorp/serf/coordinate"
)

// coordAt is a coordinate x seconds along the first axis from the origin.
func coordAt(x float64) *coordinate.Coordinate {
	c := coordinate.NewCoordinate(coordinate.DefaultConfig())
	c.Vec[0] = x
	return c
}

// nearStore holds the nodes named with coordinates at the given x; nodes
// mapped to a negative x are registered without a coordinate.
func nearStore(t *testing.T, nodes map[string]float64) *state.Store {
	t.Helper()
	st := state.New()
	tx := st.WriteTxn()
	var updates []*api.CoordinateEntry
	for name, x := range nodes {
		if err := tx.EnsureRegistration(1, time.Unix(0, 0), &api.CatalogRegistration{Node: name, Address: "127.0.0.1"}); err != nil {
			t.Fatalf("EnsureRegistration(%s): %v", name, err)
		}
		if x >= 0 {
			updates = append(updates, &api.CoordinateEntry{Node: name, Coord: coordAt(x)})
		}
	}
	if err := tx.CoordinateBatchUpdate(2, updates); err != nil {
		t.Fatalf("CoordinateBatchUpdate: %v", err)
	}
	tx.Commit()
	return st
}

func TestSortNear(t *testing.T) {
	st := nearStore(t, map[string]float64{"a": 0, "b": 0.030, "c": 0.010, "d": 0.020, "nocoord": -1})
	id := func(s string) string { return s }
	for _, tc := range []struct {
		name, near string
		in, want   []string
	}{
		{"by rtt, missing last", "a", []string{"nocoord", "b", "a", "d", "c"}, []string{"a", "c", "d", "b", "nocoord"}},
		{"from another node", "b", []string{"a", "c", "b", "d"}, []string{"b", "d", "c", "a"}},
		{"node names in any case", "A", []string{"B", "c", "a"}, []string{"a", "c", "B"}},
		{"repeated nodes keep their order", "a", []string{"b", "a", "b", "a"}, []string{"a", "a", "b", "b"}},
		{"unknown near node leaves the order", "zzz", []string{"b", "a", "c"}, []string{"b", "a", "c"}},
		{"near node without coordinate leaves the order", "nocoord", []string{"b", "a"}, []string{"b", "a"}},
		{"no near", "", []string{"b", "a"}, []string{"b", "a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := slices.Clone(tc.in)
			sortNear(st, tc.near, got, id)
			if !slices.Equal(got, tc.want) {
				t.Errorf("sortNear(%q, %v) = %v, want %v", tc.near, tc.in, got, tc.want)
			}
		})
	}
}
