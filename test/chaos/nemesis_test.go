package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/testutil"
	consul "github.com/hashicorp/consul/api"
)

// faultKind is one thing the nemesis does to the cluster.
type faultKind string

const (
	faultKill          faultKind = "kill"             // SIGKILL a server, then restart it
	faultPause         faultKind = "pause"            // SIGSTOP a server, then SIGCONT
	faultIsolateLeader faultKind = "isolate-leader"   // cut the leader off from the others
	faultSplit         faultKind = "split"            // cut a random server off (1 | 2)
	faultIsolateFollow faultKind = "isolate-follower" // cut a follower off (the leader keeps a majority)
	// pause-leader: SIGSTOP the leader past the election timeout while
	// new default reads keep arriving at it, then SIGCONT (issue 14).
	faultPauseLeader faultKind = "pause-leader"
)

// allFaults is what the nemesis cycles through by default.
var allFaults = []faultKind{faultKill, faultPause, faultIsolateLeader, faultSplit, faultIsolateFollow, faultPauseLeader}

// nemesis injects one fault at a time into c, each for up to three
// seconds, then undoes it and lets the cluster recover for a second or two
// before the next. A fault is always undone, even when ctx ends.
type nemesis struct {
	t     goroutineTB
	c     *testutil.ProxiedCluster
	h     *history
	rng   *rand.Rand
	kinds []faultKind
	count map[faultKind]int
}

func newNemesis(t *testing.T, c *testutil.ProxiedCluster, h *history, kinds []faultKind) *nemesis {
	return &nemesis{t: goroutineTB{t}, c: c, h: h, rng: newRand(t), kinds: kinds, count: map[faultKind]int{}}
}

// run injects faults until ctx ends.
func (n *nemesis) run(ctx context.Context) {
	n.quiet(ctx)
	for ctx.Err() == nil {
		n.inject(n.kinds[n.rng.IntN(len(n.kinds))])
		n.quiet(ctx)
	}
}

// quiet waits 1 to 2 seconds, or until ctx ends.
func (n *nemesis) quiet(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(n.between(time.Second, 2*time.Second)):
	}
}

func (n *nemesis) between(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(n.rng.Int64N(int64(hi-lo)))
}

// target picks the server a fault of kind k hits, and names it: the
// leader for isolate-leader, a follower for isolate-follower, else the
// leader half of the time and any server the other half.
func (n *nemesis) target(k faultKind) (*testutil.Node, string) {
	leader := leaderNow(n.c)
	var pool []*testutil.Node
	for _, s := range n.c.Servers() {
		if k != faultIsolateFollow || s != leader {
			pool = append(pool, s)
		}
	}
	s := pool[n.rng.IntN(len(pool))]
	if leader != nil && (k == faultIsolateLeader || k == faultPauseLeader ||
		k != faultIsolateFollow && n.rng.IntN(2) == 0) {
		s = leader
	}
	if s == leader {
		return s, s.Name + " (leader)"
	}
	return s, s.Name
}

func (n *nemesis) mode() testutil.FaultMode {
	if n.rng.IntN(2) == 0 {
		return testutil.Refuse
	}
	return testutil.Blackhole
}

// inject applies one fault of kind k, holds it, and undoes it.
func (n *nemesis) inject(k faultKind) {
	start := n.h.now()
	var what string
	switch k {
	case faultKill:
		s, name := n.target(k)
		s.Kill()
		time.Sleep(n.between(500*time.Millisecond, 2*time.Second))
		s.Restart(n.t)
		what = "kill -9 " + name + ", restart"
	case faultPause:
		s, name := n.target(k)
		s.Pause()
		time.Sleep(n.between(500*time.Millisecond, 2500*time.Millisecond))
		s.Resume()
		what = "pause " + name
	case faultPauseLeader:
		s, name := n.target(k)
		pinned, closePinned := pinnedClients(s, 40, opTimeout)
		s.Pause()
		probes := n.probe(s, pinned, n.between(1500*time.Millisecond, 3*time.Second))
		s.Resume()
		probes.Wait()
		closePinned()
		what = "pause " + name + " with reads queued"
	case faultIsolateLeader, faultSplit, faultIsolateFollow:
		s, name := n.target(k)
		m := n.mode()
		n.c.Isolate(s, m)
		time.Sleep(n.between(time.Second, 3*time.Second))
		n.c.Heal()
		what = fmt.Sprintf("isolate %s (%s)", name, m)
	}
	n.count[k]++
	n.h.addFault(what, start)
}

// probe plays clients pinned to the paused server s for d: every 50 ms,
// once another server leads, it writes a fresh value to a random key of
// the current epoch through that leader and, when the write is
// acknowledged, sends a default read of the key to s through the next of
// the pinned clients (each holding an open connection to s). The reads
// wait in s's sockets; wait for them with the returned group after
// resuming s. A read answered from s's old term returns the older value,
// which the checker finds.
func (n *nemesis) probe(s *testutil.Node, pinned []*consul.Client, d time.Duration) *sync.WaitGroup {
	var wg sync.WaitGroup
	hc := &http.Client{Timeout: opTimeout}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	end := time.After(d)
	for seq := 0; len(pinned) > 0; seq++ {
		select {
		case <-end:
			return &wg
		case <-tick.C:
		}
		leader := leaderExcept(n.c, s)
		if leader == nil {
			continue
		}
		cl, err := consul.NewClient(&consul.Config{Address: leader.HTTPAddr, HttpClient: hc})
		if err != nil {
			continue
		}
		call := n.h.now()
		put := kvInput{Kind: opPut, Key: kvKey(call, n.rng.IntN(kvKeys)), Value: fmt.Sprintf("probe-%d", seq), Server: leader.Name}
		_, err = cl.KV().Put(&consul.KVPair{Key: put.Key, Value: []byte(put.Value)}, nil)
		if err != nil && notSent(err) {
			continue
		}
		n.h.add(n.h.newClient(), put, call, outcome(err))
		if err != nil {
			continue
		}
		reader := pinned[0]
		pinned = pinned[1:]
		read := kvInput{Kind: opGet, Mode: "default", Key: put.Key, Server: s.Name}
		call = n.h.now()
		wg.Add(1)
		go func() {
			defer wg.Done()
			pair, _, err := reader.KV().Get(read.Key, nil)
			out := outcome(err)
			if err == nil && pair != nil {
				out.Value = string(pair.Value)
			}
			n.h.add(n.h.newClient(), read, call, out)
		}()
	}
	<-end
	return &wg
}

// summary is "N faults: kill 3, pause 2, ...".
func (n *nemesis) summary() string {
	total := 0
	var parts []string
	for k, c := range n.count {
		total += c
		parts = append(parts, fmt.Sprintf("%s %d", k, c))
	}
	sort.Strings(parts)
	return fmt.Sprintf("%d faults (%s)", total, strings.Join(parts, ", "))
}

// total is how many faults were injected.
func (n *nemesis) total() int {
	total := 0
	for _, c := range n.count {
		total += c
	}
	return total
}

// underFaults runs each worker in its own goroutine, and the nemesis, for
// d; it waits for them all, then settles the cluster. It returns how long
// they ran.
func underFaults(t *testing.T, c *testutil.ProxiedCluster, nem *nemesis, d time.Duration,
	workers ...func(context.Context)) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w(ctx)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		nem.run(ctx)
	}()
	wg.Wait()
	ran := time.Since(start)
	settle(t, c)
	return ran
}

// settle undoes anything left (cuts, paused or dead servers) and waits
// for a leader that the running servers agree on.
func settle(t *testing.T, c *testutil.ProxiedCluster) *testutil.Node {
	t.Helper()
	c.Heal()
	for _, s := range c.Servers() {
		if s.Proc.Exited() {
			s.Restart(t)
		} else {
			s.Resume()
		}
	}
	return c.Leader(t)
}

// goroutineTB is a test's T for the nemesis goroutine, which restarts
// servers: Fatalf, which must not be called off the test goroutine, only
// reports the failure there.
type goroutineTB struct{ testing.TB }

func (g goroutineTB) Fatalf(format string, args ...any) { g.Errorf(format, args...) }
