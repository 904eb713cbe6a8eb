package api

import "net/url"

// Coordinate is the /v1/coordinate endpoints: the network coordinates
// from which round trip times between nodes are estimated.
type Coordinate struct{ c *Client }

// Coordinate returns a handle on the /v1/coordinate endpoints.
func (c *Client) Coordinate() *Coordinate { return &Coordinate{c} }

// Datacenters returns the servers' coordinates of every datacenter.
func (co *Coordinate) Datacenters() ([]*CoordinateDatacenterMap, error) {
	var out []*CoordinateDatacenterMap
	if _, err := co.c.read("/v1/coordinate/datacenters", nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Nodes returns the LAN coordinates of every node of the datacenter.
func (co *Coordinate) Nodes(q *QueryOptions) ([]*CoordinateEntry, *QueryMeta, error) {
	var out []*CoordinateEntry
	meta, err := co.c.read("/v1/coordinate/nodes", queryParams(q), &out)
	if err != nil {
		return nil, nil, err
	}
	return out, meta, nil
}

// Node returns the LAN coordinates of one node, one per segment; a node
// without any is a *StatusError with code 404.
func (co *Coordinate) Node(node string, q *QueryOptions) ([]*CoordinateEntry, *QueryMeta, error) {
	var out []*CoordinateEntry
	meta, err := co.c.read("/v1/coordinate/node/"+url.PathEscape(node), queryParams(q), &out)
	if err != nil {
		return nil, nil, err
	}
	return out, meta, nil
}
