package server

import (
	"slices"
	"testing"

	"github.com/concordhq/concord/api"
)

// TestFailoverDCs checks the order a query fails over in: the NearestN
// nearest other datacenters, then the listed ones not yet chosen, unknown
// ones and this one left out.
func TestFailoverDCs(t *testing.T) {
	known := []string{"dc1", "dc3", "dc2", "dc4"} // nearest first, dc1 being this one
	for _, tc := range []struct {
		name string
		f    api.QueryFailoverOptions
		want []string
	}{
		{"none", api.QueryFailoverOptions{}, nil},
		{"nearest 1", api.QueryFailoverOptions{NearestN: 1}, []string{"dc3"}},
		{"nearest 2", api.QueryFailoverOptions{NearestN: 2}, []string{"dc3", "dc2"}},
		{"nearest past the end", api.QueryFailoverOptions{NearestN: 9}, []string{"dc3", "dc2", "dc4"}},
		{"listed", api.QueryFailoverOptions{Datacenters: []string{"dc4", "dc2"}}, []string{"dc4", "dc2"}},
		{"nearest then listed, once each", api.QueryFailoverOptions{NearestN: 1, Datacenters: []string{"dc3", "dc4", "dc1", "nowhere", "dc4"}},
			[]string{"dc3", "dc4"}},
		{"targets after datacenters", api.QueryFailoverOptions{Datacenters: []string{"dc2"},
			Targets: []api.QueryFailoverTarget{{Peer: "p"}, {Datacenter: "dc4"}, {Datacenter: "dc2"}}}, []string{"dc2", "dc4"}},
	} {
		if got := failoverDCs(known, "dc1", &tc.f); !slices.Equal(got, tc.want) {
			t.Errorf("%s: failoverDCs = %q, want %q", tc.name, got, tc.want)
		}
	}
}
