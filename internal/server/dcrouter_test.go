package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/acl"
	"github.com/concordhq/concord/internal/call"
	"github.com/concordhq/concord/internal/rpc"
	"github.com/concordhq/concord/internal/server"
	"github.com/concordhq/concord/internal/testutil"
	"github.com/hashicorp/serf/coordinate"
)

// fakeWAN is a WAN pool view a test sets by hand.
type fakeWAN struct {
	mu      sync.Mutex
	servers []server.WANServer
	self    *coordinate.Coordinate
}

func (w *fakeWAN) Servers() []server.WANServer {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.servers)
}

func (w *fakeWAN) Coordinate() (*coordinate.Coordinate, error) { return w.self, nil }

func (w *fakeWAN) set(servers ...server.WANServer) {
	w.mu.Lock()
	w.servers = servers
	w.mu.Unlock()
}

// coordAt is a coordinate at x ms from the origin on one axis.
func coordAt(x float64) *coordinate.Coordinate {
	c := coordinate.NewCoordinate(coordinate.DefaultConfig())
	c.Vec[0], c.Height = x/1000, 0
	return c
}

// TestCallDCForwardsWithToken: a call made in dc2 through dc1's server
// is answered by dc2's server from its own state and under its own ACLs,
// with the token the call carries; dc1's state is untouched. An unknown
// datacenter, one whose servers the pool found failed, and one whose
// server is gone all fail at once.
func TestCallDCForwardsWithToken(t *testing.T) {
	t.Parallel()
	const root = "2d7c6a53-6a5b-4c5e-9d36-2f1f3d0e7a11"
	cfg1 := testConfig(t.TempDir())
	dc1 := startServer(t, cfg1)
	cfg2 := testConfig(t.TempDir())
	cfg2.Datacenter, cfg2.NodeID, cfg2.NodeName = "dc2", "node2", "n2"
	cfg2.ACL = server.ACLConfig{Enabled: true, InitialManagement: root}
	srv2, err := server.New(cfg2)
	if err != nil {
		t.Fatal(err)
	}
	dc2 := &testServer{Server: srv2}
	t.Cleanup(func() { dc2.stop(t) })
	wan := &fakeWAN{self: coordAt(0)}
	wan.set(server.WANServer{Name: "n1.dc1", Datacenter: "dc1", Addr: dc1.RaftAddr(), Alive: true, Coord: coordAt(0)},
		server.WANServer{Name: "n2.dc2", Datacenter: "dc2", Addr: dc2.RaftAddr(), Alive: true, Coord: coordAt(5)})
	dc1.SetWAN(wan)

	ctx := context.Background()
	inDC2 := call.WithDatacenter(call.WithToken(ctx, root), "dc2")
	put := call.KVApplyArgs{Op: &api.KVTxnOp{Verb: api.KVSet, Key: "color", Value: []byte("green")}}
	testutil.Run(t, 15*time.Second, func(r *testutil.R) { // dc2's leader and its management token may not be ready yet
		if _, err := call.KVApply.Invoke(inDC2, dc1.Endpoint(), put); err != nil {
			r.Fatalf("KVApply in dc2: %v", err)
		}
	})
	got, err := call.KVGet.Invoke(inDC2, dc1.Endpoint(), call.KVGetArgs{Key: "color"})
	if err != nil || got.Value == nil || string(got.Value.Value) != "green" {
		t.Fatalf("KVGet in dc2 = %+v, %v; want green", got.Value, err)
	}
	if _, p, _ := dc1.State().KVGet(nil, "color"); p != nil {
		t.Errorf("dc1 stored dc2's key: %+v", p)
	}
	anonymous := call.WithDatacenter(ctx, "dc2")
	if _, err := call.KVGet.Invoke(anonymous, dc1.Endpoint(), call.KVGetArgs{Key: "color"}); !errors.Is(err, acl.ErrPermissionDenied) {
		t.Errorf("KVGet in dc2 without a token = %v, want dc2's refusal (%v)", err, acl.ErrPermissionDenied)
	}
	if dcs := dc1.Datacenters(); !slices.Equal(dcs, []string{"dc1", "dc2"}) {
		t.Errorf("Datacenters() = %v, want [dc1 dc2]", dcs)
	}

	for _, tc := range []struct {
		name    string
		dc      string
		servers []server.WANServer
	}{
		{"unknown datacenter", "dc9", nil},
		{"servers failed", "dc2", []server.WANServer{{Name: "n2.dc2", Datacenter: "dc2", Addr: dc2.RaftAddr()}}},
	} {
		if tc.servers != nil {
			wan.set(tc.servers...)
		}
		_, err := call.KVGet.Invoke(call.WithDatacenter(ctx, tc.dc), dc1.Endpoint(), call.KVGetArgs{Key: "color"})
		if !errors.Is(err, api.ErrUnknownDC) {
			t.Errorf("%s: KVGet = %v, want %v", tc.name, err, api.ErrUnknownDC)
		}
	}

	// dc2's server dies while the pool still thinks it alive.
	addr := dc2.RaftAddr()
	dc2.stop(t)
	wan.set(server.WANServer{Name: "n2.dc2", Datacenter: "dc2", Addr: addr, Alive: true})
	start := time.Now()
	_, err = call.KVGet.Invoke(inDC2, dc1.Endpoint(), call.KVGetArgs{Key: "color"})
	if err == nil || !strings.Contains(err.Error(), `datacenter "dc2"`) || time.Since(start) > 5*time.Second {
		t.Errorf("KVGet in dc2 with its server gone = %v after %v; want a prompt error naming dc2", err, time.Since(start))
	}
}

// TestDatacentersByRTT: datacenters are listed nearest first by the
// median round trip to their servers, those without coordinates last.
func TestDatacentersByRTT(t *testing.T) {
	t.Parallel()
	s := startServer(t, testConfig(t.TempDir()))
	wan := &fakeWAN{self: coordAt(0)}
	wan.set(
		server.WANServer{Name: "a.far", Datacenter: "far", Alive: true, Coord: coordAt(90)},
		server.WANServer{Name: "b.far", Datacenter: "far", Alive: true, Coord: coordAt(10)},
		server.WANServer{Name: "c.far", Datacenter: "far", Alive: true, Coord: coordAt(80)},
		server.WANServer{Name: "a.near", Datacenter: "near", Alive: true, Coord: coordAt(20)},
		server.WANServer{Name: "a.blind", Datacenter: "blind", Alive: true},
		server.WANServer{Name: "a.abc", Datacenter: "abc", Alive: true},
	)
	s.SetWAN(wan)
	if got, want := s.Datacenters(), []string{"dc1", "near", "far", "abc", "blind"}; !slices.Equal(got, want) {
		t.Errorf("Datacenters() = %v, want %v", got, want)
	}
}

// frozenServer is a server that takes calls and never answers them, as a
// stopped process whose connections stay open; it returns its address.
func frozenServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := rpc.NewServer(func(ctx context.Context, _ string, _ json.RawMessage) (any, error) {
		<-ctx.Done() // the caller gave up
		return nil, ctx.Err()
	})
	go srv.Serve(ln)
	t.Cleanup(srv.Stop)
	return ln.Addr().String()
}

// TestCallDCFrozenServer: a server of another datacenter that takes a
// call and never answers holds it dcCallTimeout (3 s), not until gRPC's
// keepalive gives up: a read then goes to another server of that
// datacenter, and with none left fails naming the datacenter; the frozen
// one is tried last afterwards. A blocking read gets its wait on top.
func TestCallDCFrozenServer(t *testing.T) {
	t.Parallel()
	dc1 := startServer(t, testConfig(t.TempDir()))
	cfg2 := testConfig(t.TempDir())
	cfg2.Datacenter, cfg2.NodeID, cfg2.NodeName = "dc2", "node2", "n2"
	dc2 := startServer(t, cfg2)
	frozen := frozenServer(t)
	wan := &fakeWAN{self: coordAt(0)}
	live := server.WANServer{Name: "n2.dc2", Datacenter: "dc2", Addr: dc2.RaftAddr(), Alive: true}
	stuck := server.WANServer{Name: "n3.dc2", Datacenter: "dc2", Addr: frozen, Alive: true}
	wan.set(live)
	dc1.SetWAN(wan)
	inDC2 := call.WithDatacenter(context.Background(), "dc2")
	get := call.KVGetArgs{Key: "color"}
	testutil.Run(t, 15*time.Second, func(r *testutil.R) { // dc2's leader may not be ready yet
		if _, err := call.KVGet.Invoke(inDC2, dc1.Endpoint(), get); err != nil {
			r.Fatalf("KVGet in dc2: %v", err)
		}
	})
	wan.set(live, stuck)

	// The servers are tried in random order: call until one went to the
	// frozen server first (half of them, until it is marked slow).
	hit := false
	for i := 0; i < 30 && !hit; i++ {
		start := time.Now()
		if _, err := call.KVGet.Invoke(inDC2, dc1.Endpoint(), get); err != nil {
			t.Fatalf("KVGet in dc2 with one of two servers frozen = %v", err)
		}
		took := time.Since(start)
		hit = took >= 3*time.Second
		if took > 6*time.Second {
			t.Fatalf("KVGet in dc2 with one of two servers frozen took %v; want at most one 3 s timeout", took)
		}
	}
	if !hit {
		t.Fatal("no call of 30 went to the frozen server first")
	}
	for i := 0; i < 5; i++ { // now marked slow: tried last
		start := time.Now()
		if _, err := call.KVGet.Invoke(inDC2, dc1.Endpoint(), get); err != nil || time.Since(start) > 2*time.Second {
			t.Fatalf("KVGet in dc2 after the frozen server timed out = %v after %v; want a prompt answer from the live one", err, time.Since(start))
		}
	}

	wan.set(stuck)
	start := time.Now()
	_, err := call.KVGet.Invoke(inDC2, dc1.Endpoint(), get)
	if took := time.Since(start); err == nil || !strings.Contains(err.Error(), `datacenter "dc2"`) || !strings.Contains(err.Error(), "did not answer") || took > 6*time.Second {
		t.Errorf("KVGet in dc2 with its only server frozen = %v after %v; want an error naming dc2 and the timeout within ~3 s", err, took)
	}

	// A blocking read longer than dcCallTimeout is not cut short.
	wan.set(live)
	var idx uint64
	if res, err := call.KVGet.Invoke(inDC2, dc1.Endpoint(), get); err != nil {
		t.Fatal(err)
	} else {
		idx = res.Meta.LastIndex
	}
	block := call.KVGetArgs{Key: "color", Query: call.Query{Q: &api.QueryOptions{MinQueryIndex: idx, MaxQueryTime: 4 * time.Second}}}
	start = time.Now()
	if _, err := call.KVGet.Invoke(inDC2, dc1.Endpoint(), block); err != nil || time.Since(start) < 4*time.Second {
		t.Errorf("blocking KVGet in dc2 (wait 4s) = %v after %v; want its wait out and no error", err, time.Since(start))
	}
}
