package server

import (
	"reflect"
	"testing"

	"github.com/hashicorp/raft"
)

// TestDeadToRemove: which failed servers dead-server cleanup removes, by
// suffrage, quorum and min_quorum.
func TestDeadToRemove(t *testing.T) {
	voter := func(id string) raft.Server { return raft.Server{ID: raft.ServerID(id), Suffrage: raft.Voter} }
	nonvoter := func(id string) raft.Server { return raft.Server{ID: raft.ServerID(id), Suffrage: raft.Nonvoter} }
	five := []raft.Server{voter("a"), voter("b"), voter("c"), voter("d"), voter("e")}
	tests := []struct {
		name      string
		servers   []raft.Server
		failed    []string
		minQuorum int
		want      []string
		held      bool
	}{
		{"one of three", five[:3], []string{"c"}, 0, []string{"c"}, false},
		{"two of three would lose quorum", five[:3], []string{"b", "c"}, 0, nil, true},
		{"two of five", five, []string{"d", "e"}, 0, []string{"d", "e"}, false},
		{"min_quorum 3 keeps the third voter", five[:4], []string{"c", "d"}, 3, []string{"c"}, true},
		{"min_quorum 3 of 3", five[:3], []string{"c"}, 3, nil, true},
		{"a non-voter goes even when voters stay", []raft.Server{voter("a"), voter("b"), voter("c"), nonvoter("n")},
			[]string{"b", "c", "n"}, 0, []string{"n"}, true},
		{"nothing failed", five, nil, 0, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			failed := map[string]bool{}
			for _, id := range tc.failed {
				failed[id] = true
			}
			remove, held := deadToRemove(tc.servers, failed, tc.minQuorum)
			var got []string
			for _, srv := range remove {
				got = append(got, string(srv.ID))
			}
			if !reflect.DeepEqual(got, tc.want) || (held != "") != tc.held {
				t.Errorf("deadToRemove(failed %v, min_quorum %d) = %v, held %q; want %v, held %v",
					tc.failed, tc.minQuorum, got, held, tc.want, tc.held)
			}
		})
	}
}
