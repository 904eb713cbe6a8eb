package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/concordhq/concord/api"
	"github.com/hashicorp/serf/coordinate"
)

const rttUsage = `
Usage: concord rtt [options] node1 [node2]

  Estimates the network round trip time between two nodes from their
  network coordinates. node2 defaults to the agent's own node. Node names
  are those 'concord members' shows, not addresses.

      $ concord rtt s1 c2
      Estimated s1 <-> c2 rtt: 0.610 ms (using LAN coordinates)

  With -wan, the nodes are servers named <node>.<datacenter>, with their
  WAN pool coordinates.
`

// runRTT is `concord rtt`.
func runRTT(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(rttUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	wan := fs.Bool("wan", false, "Use WAN coordinates: the servers of each datacenter, named <node>.<datacenter>.")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	nodes := fs.Args()
	if len(nodes) < 1 || len(nodes) > 2 {
		return verbatimf("One or two node names must be specified")
	}
	c, err := hf.connect(ctx)
	if err != nil {
		return err
	}
	if len(nodes) < 2 {
		self, err := c.Agent().Self()
		if err != nil {
			return verbatimf("Unable to look up agent info: %v", err)
		}
		name, _ := self["Config"]["NodeName"].(string)
		if *wan {
			dc, _ := self["Config"]["Datacenter"].(string)
			name += "." + dc
		}
		nodes = append(nodes, name)
	}
	source, find := "LAN", lanCoordinates
	if *wan {
		source, find = "WAN", wanCoordinates
	}
	c1, c2, err := find(c, nodes[0], nodes[1])
	if err != nil {
		return err
	}
	ms := c1.DistanceTo(c2).Seconds() * 1000
	fmt.Fprintf(stdout, "Estimated %s <-> %s rtt: %.3f ms (using %s coordinates)\n", nodes[0], nodes[1], ms, source)
	return nil
}

// lanCoordinates finds the LAN coordinates of two nodes, in a segment
// both are in.
func lanCoordinates(c *api.Client, node1, node2 string) (*coordinate.Coordinate, *coordinate.Coordinate, error) {
	entries, _, err := c.Coordinate().Nodes(nil)
	if err != nil {
		return nil, nil, verbatimf("Error getting coordinates: %v", err)
	}
	bySegment := func(node string) map[string]*coordinate.Coordinate {
		out := map[string]*coordinate.Coordinate{}
		for _, e := range entries {
			if strings.EqualFold(e.Node, node) && e.Coord != nil {
				out[e.Segment] = e.Coord
			}
		}
		return out
	}
	s1, s2 := bySegment(node1), bySegment(node2)
	if len(s1) == 0 {
		return nil, nil, verbatimf("Could not find a coordinate for node %q", node1)
	}
	if len(s2) == 0 {
		return nil, nil, verbatimf("Could not find a coordinate for node %q", node2)
	}
	for segment, c1 := range s1 {
		if c2, ok := s2[segment]; ok {
			return c1, c2, nil
		}
	}
	return nil, nil, verbatimf("Nodes %q and %q are not in compatible segments", node1, node2)
}

// wanCoordinates finds the WAN coordinates of two servers named
// <node>.<datacenter>, in an area both are in.
func wanCoordinates(c *api.Client, node1, node2 string) (*coordinate.Coordinate, *coordinate.Coordinate, error) {
	n1, dc1, ok1 := strings.Cut(node1, ".")
	n2, dc2, ok2 := strings.Cut(node2, ".")
	if !ok1 || !ok2 || strings.Contains(dc1, ".") || strings.Contains(dc2, ".") {
		return nil, nil, verbatimf("Node names must be specified as <node name>.<datacenter> with -wan")
	}
	dcs, err := c.Coordinate().Datacenters()
	if err != nil {
		return nil, nil, verbatimf("Error getting coordinates: %v", err)
	}
	type found struct {
		area  string
		coord *coordinate.Coordinate
	}
	var f1, f2 found
	for _, dc := range dcs {
		for _, e := range dc.Coordinates {
			if dc.Datacenter == dc1 && strings.EqualFold(e.Node, n1) {
				f1 = found{dc.AreaID, e.Coord}
			}
			if dc.Datacenter == dc2 && strings.EqualFold(e.Node, n2) {
				f2 = found{dc.AreaID, e.Coord}
			}
		}
	}
	switch {
	case f1.coord == nil:
		return nil, nil, verbatimf("Could not find a coordinate for node %q", node1)
	case f2.coord == nil:
		return nil, nil, verbatimf("Could not find a coordinate for node %q", node2)
	case f1.area != f2.area:
		return nil, nil, verbatimf("Nodes %q and %q are not in compatible areas", node1, node2)
	}
	return f1.coord, f2.coord, nil
}
