package server

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/state"
)

// sortNear sorts items in place by the estimated round trip time from the
// node named near (already resolved from "_agent" by the caller), nearest
// first, as ?near and a prepared query's Near do. node names each item's
// node. Items whose node has no coordinate keep their order after the
// others; when near is "" or has no coordinate (an unknown node among
// them), items are left as they are, as in Consul.
//
// Coordinates are read outside any WatchSet: they change every few seconds
// on every node, and a blocking read woken by each would never block.
func sortNear[T any](st *state.Store, near string, items []T, node func(T) string) {
	if near == "" || len(items) < 2 {
		return
	}
	_, from, err := st.NodeCoordinates(nil, near)
	if err != nil || len(from) == 0 {
		return
	}
	type ranked struct {
		rtt  float64 // seconds; +Inf without a coordinate
		item T
	}
	rtts := map[string]float64{} // lower-cased node → rtt, one lookup per node
	list := make([]ranked, len(items))
	for i, it := range items {
		name := strings.ToLower(node(it))
		rtt, ok := rtts[name]
		if !ok {
			rtt = rttFrom(st, from, name)
			rtts[name] = rtt
		}
		list[i] = ranked{rtt: rtt, item: it}
	}
	slices.SortStableFunc(list, func(a, b ranked) int { return cmp.Compare(a.rtt, b.rtt) })
	for i := range list {
		items[i] = list[i].item
	}
}

// rttFrom estimates the round trip time in seconds from the coordinates
// from to node's: the shortest over the segments both are in, +Inf when
// they share none.
func rttFrom(st *state.Store, from []*api.CoordinateEntry, node string) float64 {
	best := math.Inf(1)
	_, to, err := st.NodeCoordinates(nil, node)
	if err != nil {
		return best
	}
	for _, a := range from {
		for _, b := range to {
			if a.Segment != b.Segment || a.Coord == nil || b.Coord == nil || !a.Coord.IsCompatibleWith(b.Coord) {
				continue
			}
			best = min(best, a.Coord.DistanceTo(b.Coord).Seconds())
		}
	}
	return best
}

// nearest returns items sorted by sortNear from q.Near, as a copy: a
// read's slice may be shared with a cache of recent reads.
func nearest[T any](st *state.Store, q *api.QueryOptions, items []T, node func(T) string) []T {
	if q == nil || q.Near == "" || len(items) < 2 {
		return items
	}
	items = slices.Clone(items)
	sortNear(st, nearNode(st, q.Near, q.SourceIP), items, node)
	return items
}

// nearIP names, as a Near node, the node whose address is the requesting
// client's.
const nearIP = "_ip"

// nearNode resolves near "_ip" to the node whose address is ip, or to ""
// (no sorting) when no node has it, as Consul does; any other near is
// returned as it is.
func nearNode(st *state.Store, near, ip string) string {
	if near != nearIP {
		return near
	}
	if ip == "" {
		return ""
	}
	_, nodes, err := st.Nodes(nil)
	if err != nil {
		return ""
	}
	for _, n := range nodes {
		if n.Address == ip {
			return n.Node
		}
	}
	return ""
}
