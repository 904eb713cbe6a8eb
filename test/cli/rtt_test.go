package cli_test

// concord rtt against real agents: first with coordinates set through the
// API, so the estimate is known to the digit, then with the coordinates
// gossip measures between a server and a client agent.

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/testutil"
	consulapi "github.com/hashicorp/consul/api"
	"github.com/hashicorp/serf/coordinate"
)

// consulClient returns the official client for the agent at addr.
func consulClient(t *testing.T, addr string) *consulapi.Client {
	t.Helper()
	c, err := consulapi.NewClient(&consulapi.Config{Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRTTFromSetCoordinates sets the coordinates of two nodes and checks
// the estimate and each of Consul's refusals.
func TestRTTFromSetCoordinates(t *testing.T) {
	t.Parallel()
	httpPort := testutil.FreePort(t)
	// The agent sends its own coordinate only after an hour, so the one set
	// below stays.
	agent := startAgent(t, httpPort, "-dev", "-node=cli", "-log-level=warn", "-http-port="+strconv.Itoa(httpPort),
		"-server-port="+strconv.Itoa(testutil.FreePort(t)), `-hcl=sync_coordinate_interval_min = "1h"`)
	c := consulClient(t, agent.Addr)

	coords := map[string]*coordinate.Coordinate{}
	for i, node := range []string{"cli", "a", "b"} {
		if node != "cli" {
			if _, err := c.Catalog().Register(&consulapi.CatalogRegistration{Node: node, Address: "10.0.0." + strconv.Itoa(i)}, nil); err != nil {
				t.Fatalf("Register(%s): %v", node, err)
			}
		}
		coords[node] = coordinate.NewCoordinate(coordinate.DefaultConfig())
		coords[node].Vec[0] = 0.0012345 * float64(i)
		if _, err := c.Coordinate().Update(&consulapi.CoordinateEntry{Node: node, Coord: coords[node]}, nil); err != nil {
			t.Fatalf("Coordinate().Update(%s): %v", node, err)
		}
	}
	testutil.Run(t, 10*time.Second, func(r *testutil.R) {
		entries, _, err := c.Coordinate().Nodes(nil)
		if err != nil || len(entries) != 3 {
			r.Fatalf("Coordinate().Nodes() = %d entries, %v; want 3", len(entries), err)
		}
	})

	// concord catalog nodes -near lists b, then a (1.2 ms away), then cli.
	res := concord(t, "catalog", "nodes", "-http-addr="+agent.Addr, "-near=b")
	var order []string
	for _, line := range strings.Split(strings.TrimSpace(res.stdout), "\n")[1:] {
		order = append(order, strings.Fields(line)[0])
	}
	if res.code != 0 || fmt.Sprint(order) != "[b a cli]" {
		t.Errorf("concord catalog nodes -near=b = exit %d, nodes %v (%q); want [b a cli]", res.code, order, res.stderr)
	}

	// estimate is rtt's answer for nodes n1 and n2 (WAN names end in .dc1).
	estimate := func(n1, n2, source string) string {
		c1, c2 := coords[strings.TrimSuffix(n1, ".dc1")], coords[strings.TrimSuffix(n2, ".dc1")]
		return fmt.Sprintf("Estimated %s <-> %s rtt: %.3f ms (using %s coordinates)\n",
			n1, n2, c1.DistanceTo(c2).Seconds()*1000, source)
	}
	addr := "-http-addr=" + agent.Addr
	for _, tc := range []struct {
		args           []string
		code           int
		stdout, stderr string
	}{
		{[]string{"a", "b"}, 0, estimate("a", "b", "LAN"), ""},
		{[]string{"b", "a"}, 0, estimate("b", "a", "LAN"), ""},
		{[]string{"b"}, 0, estimate("b", "cli", "LAN"), ""},
		{[]string{"-wan", "cli.dc1"}, 0, estimate("cli.dc1", "cli.dc1", "WAN"), ""},
		{[]string{"a", "nope"}, 1, "", "Could not find a coordinate for node \"nope\"\n"},
		{[]string{"-wan", "cli.dc2", "cli.dc1"}, 1, "", "Could not find a coordinate for node \"cli.dc2\"\n"},
		{[]string{"-wan", "a.dc1", "cli.dc1"}, 1, "", "Could not find a coordinate for node \"a.dc1\"\n"},
		{[]string{"-wan", "cli", "cli.dc1"}, 1, "", "Node names must be specified as <node name>.<datacenter> with -wan\n"},
		{nil, 1, "", "One or two node names must be specified\n"},
		{[]string{"a", "b", "cli"}, 1, "", "One or two node names must be specified\n"},
	} {
		args := append([]string{"rtt", addr}, tc.args...)
		concord(t, args...).want(t, fmt.Sprint(args), tc.code, tc.stdout, tc.stderr)
	}
}

// rttLine is rtt's answer with any estimate.
var rttLine = regexp.MustCompile(`^Estimated srv <-> c1 rtt: \d+\.\d{3} ms \(using LAN coordinates\)\n$`)

// TestCoordinatesFromGossip starts a server and a client agent that send
// their coordinates every 100-200 ms and checks that both appear, through
// either agent, within a bounded time, and that rtt estimates between them.
func TestCoordinatesFromGossip(t *testing.T) {
	t.Parallel()
	fast := `-hcl=sync_coordinate_interval_min = "100ms"`
	srv := startGossipAgent(t, "srv", "-dev", "-server-port="+strconv.Itoa(testutil.FreePort(t)), fast)
	c1 := startGossipAgent(t, "c1", "-data-dir="+t.TempDir(), "-retry-join="+srv.serf, fast)

	for _, via := range []gossipAgent{srv, c1} {
		c := consulClient(t, via.Addr)
		testutil.Run(t, 20*time.Second, func(r *testutil.R) {
			entries, meta, err := c.Coordinate().Nodes(nil)
			if err != nil {
				r.Fatalf("Coordinate().Nodes() via %s: %v", via.Addr, err)
			}
			var nodes []string
			for _, e := range entries {
				nodes = append(nodes, e.Node)
			}
			if fmt.Sprint(nodes) != "[c1 srv]" || meta.LastIndex == 0 {
				r.Fatalf("Coordinate().Nodes() via %s = %v at index %d, want [c1 srv]", via.Addr, nodes, meta.LastIndex)
			}
			if got, _, err := c.Coordinate().Node("c1", nil); err != nil || len(got) != 1 || got[0].Coord == nil {
				r.Fatalf("Coordinate().Node(c1) = %v, %v; want one coordinate", got, err)
			}
		})
		dcs, err := c.Coordinate().Datacenters()
		if err != nil || len(dcs) != 1 || dcs[0].Datacenter != "dc1" || dcs[0].AreaID != "wan" ||
			len(dcs[0].Coordinates) != 1 || dcs[0].Coordinates[0].Node != "srv" {
			t.Fatalf("Coordinate().Datacenters() = %+v, %v; want dc1 with srv alone", dcs, err)
		}
	}
	if res := concord(t, "rtt", "-http-addr="+c1.Addr, "srv"); res.code != 0 || !rttLine.MatchString(res.stdout) {
		t.Errorf("concord rtt srv (from c1) = exit %d, %q, %q; want an estimate for srv <-> c1", res.code, res.stdout, res.stderr)
	}
}
