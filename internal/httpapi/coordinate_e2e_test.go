package httpapi_test

// The coordinate endpoints and ?near, through the official client on a
// dev agent that does not send its own coordinate while the test runs:
// every coordinate here is set through PUT /v1/coordinate/update, so
// distances are known.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	consulapi "github.com/hashicorp/consul/api"
	"github.com/hashicorp/serf/coordinate"

	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/testutil"
)

// coordinateAgent starts a dev agent that sends no coordinate of its own
// while the test runs (its first would come after an hour) and registers
// nodes, each with an instance of service "web".
func coordinateAgent(t *testing.T, nodes ...string) (*testutil.TestAgent, *consulapi.Client) {
	t.Helper()
	ta := testutil.StartAgent(t, "", devConfig(func(c *config.Config) { c.Coordinates.SyncIntervalMin = time.Hour }))
	c := newConsulClient(t, ta.HTTPAddr(), nil)
	for _, n := range nodes {
		reg := &consulapi.CatalogRegistration{Node: n, Address: "10.1.1.1",
			Service: &consulapi.AgentService{ID: "web", Service: "web"}}
		if _, err := c.Catalog().Register(reg, nil); err != nil {
			t.Fatalf("Register(%s): %v", n, err)
		}
	}
	return ta, c
}

// coordAt is a coordinate x seconds along the first axis.
func coordAt(x float64) *coordinate.Coordinate {
	c := coordinate.NewCoordinate(coordinate.DefaultConfig())
	c.Vec[0] = x
	return c
}

// setCoordinates updates each node's coordinate and waits until the
// leader's batch has stored them all (want entries in all).
func setCoordinates(t *testing.T, c *consulapi.Client, want int, entries ...*consulapi.CoordinateEntry) {
	t.Helper()
	for _, e := range entries {
		if _, err := c.Coordinate().Update(e, nil); err != nil {
			t.Fatalf("Coordinate().Update(%s): %v", e.Node, err)
		}
	}
	testutil.Run(t, 10*time.Second, func(r *testutil.R) {
		got, _, err := c.Coordinate().Nodes(nil)
		if err != nil || len(got) != want {
			r.Fatalf("Coordinate().Nodes() = %d entries, %v; want %d", len(got), err, want)
		}
	})
}

func TestCoordinateEndpoints(t *testing.T) {
	t.Parallel()
	ta, c := coordinateAgent(t, "a", "b", "c")
	ca, cb := coordAt(0.01), coordAt(0.02)
	setCoordinates(t, c, 3,
		&consulapi.CoordinateEntry{Node: "b", Coord: cb},
		&consulapi.CoordinateEntry{Node: "a", Coord: ca},
		&consulapi.CoordinateEntry{Node: "a", Segment: "alpha", Coord: cb},
		&consulapi.CoordinateEntry{Node: "ghost", Coord: ca}) // not in the catalog: dropped

	got, meta, err := c.Coordinate().Nodes(nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range got {
		names = append(names, e.Node+"/"+e.Segment)
	}
	if fmt.Sprint(names) != "[a/ a/alpha b/]" || got[0].Coord.Vec[0] != 0.01 || got[2].Coord.Vec[0] != 0.02 {
		t.Fatalf("Coordinate().Nodes() = %v (%+v), want [a/ a/alpha b/] with the coordinates sent", names, got[0].Coord)
	}
	if node, _, err := c.Coordinate().Node("a", nil); err != nil || len(node) != 2 {
		t.Fatalf("Coordinate().Node(a) = %v, %v; want its 2 segments", node, err)
	}
	if _, _, err := c.Coordinate().Node("c", nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("Coordinate().Node(c) error = %v, want a 404 (no coordinate yet)", err)
	}
	var alpha []map[string]any
	r := doRaw(t, ta.HTTPAddr(), "GET", "/v1/coordinate/nodes?segment=alpha", nil)
	if err := json.Unmarshal(r.Body, &alpha); err != nil || len(alpha) != 1 || alpha[0]["Node"] != "a" || alpha[0]["Segment"] != "alpha" {
		t.Fatalf("GET /v1/coordinate/nodes?segment=alpha = %d %s, want node a's alpha entry alone", r.Code, r.Body)
	}
	// One datacenter: its server (the agent) with its WAN coordinate, under
	// its node name (the WAN pool's <node>.<dc> without the datacenter, as
	// Consul's docs show it and consul rtt -wan matches it).
	dcs, err := c.Coordinate().Datacenters()
	if err != nil || len(dcs) != 1 || dcs[0].Datacenter != "dc1" || dcs[0].AreaID != "wan" ||
		len(dcs[0].Coordinates) != 1 || dcs[0].Coordinates[0].Node != ta.Config.NodeName || dcs[0].Coordinates[0].Coord == nil {
		t.Fatalf("Coordinate().Datacenters() = %+v, %v; want dc1 with its server's WAN coordinate", dcs, err)
	}

	// A blocking read wakes when a coordinate changes.
	woke := make(chan error, 1)
	go func() {
		got, m, err := c.Coordinate().Nodes(&consulapi.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: 20 * time.Second})
		if err == nil && (len(got) != 4 || m.LastIndex <= meta.LastIndex) {
			err = fmt.Errorf("woke with %d entries at index %d", len(got), m.LastIndex)
		}
		woke <- err
	}()
	if _, err := c.Coordinate().Update(&consulapi.CoordinateEntry{Node: "c", Coord: ca}, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-woke:
		if err != nil {
			t.Fatalf("blocking Coordinate().Nodes(): %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("blocking Coordinate().Nodes() did not wake on an update")
	}

	// Deregistering a node drops its coordinates.
	if _, err := c.Catalog().Deregister(&consulapi.CatalogDeregistration{Node: "a"}, nil); err != nil {
		t.Fatal(err)
	}
	if node, _, err := c.Coordinate().Node("a", nil); err == nil {
		t.Fatalf("Coordinate().Node(a) after deregistration = %v, want a 404", node)
	}
}

func TestCoordinateUpdateRefusesBadInput(t *testing.T) {
	t.Parallel()
	ta, _ := coordinateAgent(t, "a")
	for _, tc := range []struct {
		method, body string
		code         int
		text         string
	}{
		{"PUT", `{"Node":"a","Coord":{"Vec":[0,0,0],"Error":1.5}}`, 500, "invalid coordinate"},
		{"PUT", `{"Node":"a"}`, 500, "invalid coordinate"},
		{"PUT", `{"Coord":{"Vec":[0,0,0,0,0,0,0,0],"Error":1.5}}`, 400, "Must provide node"},
		{"PUT", `{"Node":`, 400, "Request decode failed"},
		{"GET", ``, 405, ""},
	} {
		r := doRaw(t, ta.HTTPAddr(), tc.method, "/v1/coordinate/update", strings.NewReader(tc.body))
		if r.Code != tc.code || !strings.Contains(string(r.Body), tc.text) {
			t.Errorf("%s /v1/coordinate/update %s = %d %q, want %d %q", tc.method, tc.body, r.Code, r.Body, tc.code, tc.text)
		}
	}
}

func TestNearSortsByEstimatedRTT(t *testing.T) {
	t.Parallel()
	ta, c := coordinateAgent(t, "a", "b", "c", "d")
	self := ta.Config.NodeName
	// On one axis: self 0, b 10 ms, c 20 ms, a 30 ms; d has no coordinate.
	setCoordinates(t, c, 4,
		&consulapi.CoordinateEntry{Node: self, Coord: coordAt(0)},
		&consulapi.CoordinateEntry{Node: "a", Coord: coordAt(0.030)},
		&consulapi.CoordinateEntry{Node: "b", Coord: coordAt(0.010)},
		&consulapi.CoordinateEntry{Node: "c", Coord: coordAt(0.020)})

	catalogService := func(q *consulapi.QueryOptions) ([]string, error) {
		out, _, err := c.Catalog().Service("web", "", q)
		var nodes []string
		for _, s := range out {
			nodes = append(nodes, s.Node)
		}
		return nodes, err
	}
	healthService := func(q *consulapi.QueryOptions) ([]string, error) {
		out, _, err := c.Health().Service("web", "", false, q)
		var nodes []string
		for _, e := range out {
			nodes = append(nodes, e.Node.Node)
		}
		return nodes, err
	}
	catalogNodes := func(q *consulapi.QueryOptions) ([]string, error) {
		out, _, err := c.Catalog().Nodes(q)
		var nodes []string
		for _, n := range out {
			nodes = append(nodes, n.Node)
		}
		return nodes, err
	}
	for _, tc := range []struct {
		name string
		read func(*consulapi.QueryOptions) ([]string, error)
		q    consulapi.QueryOptions
		want []string
	}{
		{"catalog service near _agent", catalogService, consulapi.QueryOptions{Near: "_agent"}, []string{"b", "c", "a", "d"}},
		{"catalog service near a", catalogService, consulapi.QueryOptions{Near: "a"}, []string{"a", "c", "b", "d"}},
		{"catalog service near a, stale", catalogService, consulapi.QueryOptions{Near: "a", AllowStale: true}, []string{"a", "c", "b", "d"}},
		{"catalog service near a, filtered", catalogService, consulapi.QueryOptions{Near: "a", Filter: "Node != b"}, []string{"a", "c", "d"}},
		{"catalog service near an unknown node", catalogService, consulapi.QueryOptions{Near: "nope"}, []string{"a", "b", "c", "d"}},
		{"catalog service near d (no coordinate)", catalogService, consulapi.QueryOptions{Near: "d"}, []string{"a", "b", "c", "d"}},
		{"health service near b", healthService, consulapi.QueryOptions{Near: "b"}, []string{"b", "c", "a", "d"}},
		{"health service near a, passing only", func(q *consulapi.QueryOptions) ([]string, error) {
			out, _, err := c.Health().Service("web", "", true, q)
			var nodes []string
			for _, e := range out {
				nodes = append(nodes, e.Node.Node)
			}
			return nodes, err
		}, consulapi.QueryOptions{Near: "a"}, []string{"a", "c", "b", "d"}},
		{"catalog nodes near _agent", catalogNodes, consulapi.QueryOptions{Near: "_agent"}, []string{self, "b", "c", "a", "d"}},
	} {
		got, err := tc.read(&tc.q)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}

func TestCoordinatesDisabled(t *testing.T) {
	t.Parallel()
	ta := testutil.StartAgent(t, "", devConfig(func(c *config.Config) { c.Coordinates.Disable = true }))
	for _, req := range []struct{ method, path, body string }{
		{"GET", "/v1/coordinate/datacenters", ""},
		{"GET", "/v1/coordinate/nodes", ""},
		{"GET", "/v1/coordinate/node/x", ""},
		{"PUT", "/v1/coordinate/update", `{"Node":"x"}`},
	} {
		r := doRaw(t, ta.HTTPAddr(), req.method, req.path, strings.NewReader(req.body))
		if r.Code != 401 || string(r.Body) != "Coordinate support disabled" {
			t.Errorf("%s %s with disable_coordinates = %d %q, want 401 %q", req.method, req.path, r.Code, r.Body, "Coordinate support disabled")
		}
	}
}

// TestCoordinatesFilteredByACLs: a token reads the coordinates of the nodes
// it may read, and may not write any.
func TestCoordinatesFilteredByACLs(t *testing.T) {
	t.Parallel()
	ta, root, _ := bootstrappedACLAgent(t)
	c := newConsulClient(t, ta.HTTPAddr(), nil)
	wq := &consulapi.WriteOptions{Token: root.SecretID}
	for _, n := range []string{"a", "b"} {
		if _, err := c.Catalog().Register(&consulapi.CatalogRegistration{Node: n, Address: "10.1.1.1"}, wq); err != nil {
			t.Fatalf("Register(%s): %v", n, err)
		}
		if _, err := c.Coordinate().Update(&consulapi.CoordinateEntry{Node: n, Coord: coordAt(0.01)}, wq); err != nil {
			t.Fatalf("Coordinate().Update(%s): %v", n, err)
		}
	}
	policy, _, err := c.ACL().PolicyCreate(&consulapi.ACLPolicy{Name: "read-a", Rules: `node "a" { policy = "read" }`}, wq)
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := c.ACL().TokenCreate(&consulapi.ACLToken{Policies: []*consulapi.ACLTokenPolicyLink{{ID: policy.ID}}}, wq)
	if err != nil {
		t.Fatal(err)
	}
	q := &consulapi.QueryOptions{Token: token.SecretID}
	testutil.Run(t, 10*time.Second, func(r *testutil.R) {
		got, meta, err := c.Coordinate().Nodes(q)
		if err != nil || len(got) != 1 || got[0].Node != "a" || !meta.ResultsFilteredByACLs {
			r.Fatalf("Coordinate().Nodes() with node a's token = %v (filtered %v), %v; want a alone, filtered", got, meta != nil && meta.ResultsFilteredByACLs, err)
		}
	})
	// Node reads are filtered, not refused (see acl.Authorize): node b's
	// coordinate is left out, so there is none to show.
	if got, _, err := c.Coordinate().Node("b", q); err == nil {
		t.Errorf("Coordinate().Node(b) with node a's token = %v, want a 404", got)
	}
	_, err = c.Coordinate().Update(&consulapi.CoordinateEntry{Node: "a", Coord: coordAt(0.02)}, &consulapi.WriteOptions{Token: token.SecretID})
	wantACLError(t, "Coordinate().Update(a) with a read token", err, 403, "Permission denied")
}

// TestNearIP: ?near=_ip sorts near the node whose address is the client's
// (the first of X-Forwarded-For), on catalog and health reads and for a
// prepared query whose Near is "_ip"; a client no node has the address of
// gets the results unsorted.
func TestNearIP(t *testing.T) {
	t.Parallel()
	ta, c := coordinateAgent(t, "b", "c") // at 10.1.1.1
	if _, err := c.Catalog().Register(&consulapi.CatalogRegistration{Node: "a", Address: "10.9.9.9",
		Service: &consulapi.AgentService{ID: "web", Service: "web"}}, nil); err != nil {
		t.Fatal(err)
	}
	// On one axis: a 30 ms, b 10 ms, c 20 ms.
	setCoordinates(t, c, 3,
		&consulapi.CoordinateEntry{Node: "a", Coord: coordAt(0.030)},
		&consulapi.CoordinateEntry{Node: "b", Coord: coordAt(0.010)},
		&consulapi.CoordinateEntry{Node: "c", Coord: coordAt(0.020)})
	from := func(ip string) *consulapi.Client {
		return newConsulClient(t, ta.HTTPAddr(), &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			r.Header.Set("X-Forwarded-For", ip+", 192.0.2.1")
			return http.DefaultTransport.RoundTrip(r)
		})})
	}
	near := &consulapi.QueryOptions{Near: "_ip"}
	catalogNodes := func(c *consulapi.Client) []string {
		out, _, err := c.Catalog().Service("web", "", near)
		if err != nil {
			t.Fatalf("Catalog().Service(web, near _ip): %v", err)
		}
		var nodes []string
		for _, s := range out {
			nodes = append(nodes, s.Node)
		}
		return nodes
	}
	if got, want := catalogNodes(from("10.9.9.9")), []string{"a", "c", "b"}; !slices.Equal(got, want) {
		t.Errorf("catalog service near _ip from 10.9.9.9 = %v, want %v", got, want)
	}
	if got, want := catalogNodes(from("203.0.113.7")), []string{"a", "b", "c"}; !slices.Equal(got, want) {
		t.Errorf("catalog service near _ip from an address no node has = %v, want %v (unsorted)", got, want)
	}
	entries, _, err := from("10.9.9.9").Health().Service("web", "", false, near)
	if err != nil || len(entries) != 3 || entries[0].Node.Node != "a" || entries[1].Node.Node != "c" {
		t.Errorf("health service near _ip from 10.9.9.9 = %v, %v; want a, c, b", entries, err)
	}

	id, _, err := c.PreparedQuery().Create(&consulapi.PreparedQueryDefinition{Name: "web-near-ip",
		Service: consulapi.ServiceQuery{Service: "web", Near: "_ip"}}, nil)
	if err != nil {
		t.Fatalf("PreparedQuery().Create: %v", err)
	}
	res, _, err := from("10.9.9.9").PreparedQuery().Execute(id, nil)
	if err != nil || len(res.Nodes) != 3 || res.Nodes[0].Node.Node != "a" || res.Nodes[1].Node.Node != "c" || res.Nodes[2].Node.Node != "b" {
		t.Errorf("Execute(query near _ip) from 10.9.9.9 = %+v, %v; want a, c, b", res, err)
	}
}
