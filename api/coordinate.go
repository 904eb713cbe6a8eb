package api

import "github.com/hashicorp/serf/coordinate"

// CoordinateEntry is one node's network coordinate in one network segment
// ("" for the default LAN segment). Coord is serf's Vivaldi coordinate;
// the estimated round trip time between two nodes is the distance between
// their coordinates.
type CoordinateEntry struct {
	Node      string
	Segment   string
	Partition string `json:",omitempty"`
	Coord     *coordinate.Coordinate
}

// CoordinateDatacenterMap is the coordinates of one datacenter's servers
// in one network area. Coordinates compare only within an area.
type CoordinateDatacenterMap struct {
	Datacenter  string
	AreaID      string
	Coordinates []CoordinateEntry
}

// AreaWAN is the AreaID of the WAN pool every server belongs to.
const AreaWAN = "wan"
