package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/server"
	"github.com/concordhq/concord/internal/testutil"
)

// gossipList stands in for gossip's member list: the server reads it to
// reconcile, and the test changes it and announces each change.
type gossipList struct {
	mu      sync.Mutex
	members map[string]server.Member // guarded by mu
}

func (g *gossipList) list() []server.Member {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]server.Member, 0, len(g.members))
	for _, m := range g.members {
		out = append(out, m)
	}
	return out
}

// announce sets the status of every named member (adding alive ones it
// has not seen) and tells the server of each, one event a member, as
// gossip does when many members change at once.
func (g *gossipList) announce(s *server.Server, status string, names []string) {
	g.mu.Lock()
	changed := make([]server.Member, 0, len(names))
	for _, n := range names {
		m, ok := g.members[n]
		if !ok {
			m = server.Member{Name: n, ID: "id-" + n, Addr: "127.0.0.1", Datacenter: "dc1"}
		}
		m.Status = status
		g.members[n] = m
		changed = append(changed, m)
	}
	g.mu.Unlock()
	for _, m := range changed {
		s.MemberEvent(m)
	}
}

// waitSerfHealth waits until the serfHealth check of every named member
// is in state status. It polls, every 2 ms, rather than wake on each
// catalog write, so that its own reads cost the same however the writes
// are grouped.
func waitSerfHealth(tb testing.TB, s *server.Server, status string, names []string) {
	tb.Helper()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	deadline := time.Now().Add(60 * time.Second)
	for done := 0; done < len(names); {
		_, checks, err := s.State().NodeChecks(nil, names[done])
		if err != nil {
			tb.Fatal(err)
		}
		if slices.ContainsFunc(checks, func(c *api.HealthCheck) bool {
			return c.CheckID == api.SerfCheckID && c.Status == status
		}) {
			done++
			continue
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%d of %d serfHealth checks %s after 60 s", done, len(names), status)
		}
		<-tick.C
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func lastLogIndex(s *server.Server) uint64 {
	n, _ := strconv.ParseUint(s.Stats()["last_log_index"], 10, 64)
	return n
}

// TestMemberStorm: 300 members that join at once are all in the catalog,
// passing, in a few Raft entries rather than one each (the leader writes
// up to 256 members an entry, and events that queue while one entry is
// written go in the next); and a member's events count in their order: one
// that flaps (alive, failed, alive) ends passing, one that joins and then
// leaves ends out of the catalog.
func TestMemberStorm(t *testing.T) {
	t.Parallel()
	s := startServer(t, testConfig(t.TempDir()))
	g := &gossipList{members: map[string]server.Member{}}
	s.SetMembers(g.list)
	names := make([]string, 300)
	for i := range names {
		names[i] = fmt.Sprintf("storm-%d", i)
	}
	flapper, leaver := names[0], names[1]
	idx0 := lastLogIndex(s.Server)
	g.announce(s.Server, server.MemberAlive, names)
	g.announce(s.Server, server.MemberFailed, []string{flapper})
	g.announce(s.Server, server.MemberLeft, []string{leaver})
	g.announce(s.Server, server.MemberAlive, []string{flapper})
	stayed := slices.Delete(slices.Clone(names), 1, 2)
	waitSerfHealth(t, s.Server, api.HealthPassing, stayed)
	testutil.Run(t, 10*time.Second, func(r *testutil.R) {
		if _, n, err := s.State().Node(nil, leaver); err != nil || n != nil {
			r.Fatalf("Node(%q) = %+v, %v; want none: it left", leaver, n, err)
		}
	})
	if entries := lastLogIndex(s.Server) - idx0; entries > uint64(len(names)/10) {
		t.Errorf("%d Raft entries for %d members joining at once, want at most %d", entries, len(names), len(names)/10)
	}
}

// stormServers starts n durable servers that bootstrap Raft together and
// read one gossip list, which holds them, and returns the leader and the
// list.
func stormServers(b *testing.B, n int) (*server.Server, *gossipList) {
	b.Helper()
	g := &gossipList{members: map[string]server.Member{}}
	var srvs []*server.Server
	for i := range n {
		s, err := server.New(server.Config{
			NodeID: fmt.Sprintf("storm-node-%d", i), NodeName: fmt.Sprintf("storm%d", i), Datacenter: "dc1",
			DataDir: b.TempDir(), RaftAddr: "127.0.0.1:0", BootstrapExpect: n,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		if err != nil {
			b.Fatalf("server.New: %v", err)
		}
		b.Cleanup(func() { s.Shutdown() })
		srvs = append(srvs, s)
		host, port, _ := net.SplitHostPort(s.RaftAddr())
		p, _ := strconv.Atoi(port)
		g.members[fmt.Sprintf("storm%d", i)] = server.Member{Name: fmt.Sprintf("storm%d", i), ID: fmt.Sprintf("storm-node-%d", i),
			Addr: host, Port: p, Status: server.MemberAlive, Datacenter: "dc1", Server: true, Expect: n}
	}
	for _, s := range srvs {
		s.SetMembers(g.list)
	}
	var leader *server.Server
	testutil.Run(b, 30*time.Second, func(r *testutil.R) {
		for _, s := range srvs {
			if s.IsLeader() {
				if _, _, err := s.KVGet(context.Background(), &api.QueryOptions{}, "ready-probe"); err != nil {
					r.Fatalf("leader not ready: %v", err)
				}
				leader = s
				return
			}
		}
		r.Fatalf("no leader yet")
	})
	return leader, g
}

// BenchmarkMemberStorm measures the leader's catalog writes for a storm of
// membership changes: stormSize members announced at once join (alive),
// or, already joined, fail, on 1 or 3 durable servers in this process. One
// op is one storm, from the events to the last serfHealth check in the
// leader's catalog. It reports the Raft entries written per member and the
// process's CPU time per member (the leader's reconcile loop, Raft, the
// FSM, and with 3 servers the followers' share too).
func BenchmarkMemberStorm(b *testing.B) {
	const stormSize = 100
	for _, kind := range []string{"join", "fail"} {
		for _, n := range []int{1, 3} {
			b.Run(fmt.Sprintf("%s/servers=%d", kind, n), func(b *testing.B) {
				s, g := stormServers(b, n)
				var entries uint64
				var cpu time.Duration
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					names := make([]string, stormSize)
					for k := range names {
						names[k] = fmt.Sprintf("m%d-%d", i, k)
					}
					if kind == "fail" {
						b.StopTimer()
						g.announce(s, server.MemberAlive, names)
						waitSerfHealth(b, s, api.HealthPassing, names)
						b.StartTimer()
					}
					idx0, cpu0 := lastLogIndex(s), cpuTime()
					if kind == "join" {
						g.announce(s, server.MemberAlive, names)
						waitSerfHealth(b, s, api.HealthPassing, names)
					} else {
						g.announce(s, server.MemberFailed, names)
						waitSerfHealth(b, s, api.HealthCritical, names)
					}
					entries += lastLogIndex(s) - idx0
					cpu += cpuTime() - cpu0
				}
				members := float64(b.N * stormSize)
				b.ReportMetric(float64(entries)/members, "entries/member")
				b.ReportMetric(float64(cpu.Microseconds())/members, "cpu-µs/member")
			})
		}
	}
}
