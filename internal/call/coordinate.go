package call

import "github.com/concordhq/concord/api"

// Network coordinates.

type (
	// CoordinateUpdateArgs is one node's coordinate, as its agent sends it
	// every few seconds (or PUT /v1/coordinate/update).
	CoordinateUpdateArgs struct{ Entry *api.CoordinateEntry }
	CoordinateNodesArgs  struct{ Query }
	CoordinateNodeArgs   struct {
		Query
		Node string
	}
	// CoordinateDatacentersArgs asks for the servers' coordinates; any
	// server answers from its own view, as Consul's do from their WAN pool.
	CoordinateDatacentersArgs struct{}
)

var (
	CoordinateUpdate = declare[CoordinateUpdateArgs, struct{}]("CoordinateUpdate", Write,
		func(a *CoordinateUpdateArgs) []Resource {
			if a.Entry == nil {
				return one(node, "", write)
			}
			return one(node, a.Entry.Node, write)
		})
	CoordinateNodes = declare[CoordinateNodesArgs, Result[[]*api.CoordinateEntry]]("CoordinateNodes", Read,
		func(*CoordinateNodesArgs) []Resource { return one(node, "", read) })
	CoordinateNode = declare[CoordinateNodeArgs, Result[[]*api.CoordinateEntry]]("CoordinateNode", Read,
		func(a *CoordinateNodeArgs) []Resource { return one(node, a.Node, read) })
	CoordinateDatacenters = declare[CoordinateDatacentersArgs, []*api.CoordinateDatacenterMap]("CoordinateDatacenters", Local,
		func(*CoordinateDatacentersArgs) []Resource { return one(status, "", read) })
)
