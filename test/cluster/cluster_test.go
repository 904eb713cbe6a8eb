package cluster_test

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/testutil"
	consul "github.com/hashicorp/consul/api"
)

// TestClusterServesThroughEveryAgent forms 3 servers and 2 client agents
// and checks membership, Raft peers, writes through a client agent, reads
// through another, ?stale reads answered by a follower, and the catalog's
// view of every node.
func TestClusterServesThroughEveryAgent(t *testing.T) {
	c := testutil.StartCluster(t, binary, 3, 2)
	leader := c.Leader(t)
	c1, c2 := client(t, c.Clients()[0]), client(t, c.Clients()[1])

	waitFor(t, 10*time.Second, func(r *testutil.R) {
		members, err := c1.Agent().Members(false)
		if err != nil {
			r.Fatalf("members: %v", err)
		}
		roles := map[string]string{}
		for _, m := range members {
			if m.Status != statusAlive {
				r.Fatalf("member %s status %d, want alive", m.Name, m.Status)
			}
			roles[m.Name] = m.Tags["role"]
		}
		want := map[string]string{"s1": "consul", "s2": "consul", "s3": "consul", "c1": "node", "c2": "node"}
		if fmt.Sprint(roles) != fmt.Sprint(want) {
			r.Fatalf("members = %v, want %v", roles, want)
		}
	})

	peers, err := c1.Status().Peers()
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, s := range c.Servers() {
		want = append(want, s.RaftAddr)
	}
	sort.Strings(peers)
	sort.Strings(want)
	if !slices.Equal(peers, want) {
		t.Fatalf("peers = %v, want %v", peers, want)
	}
	leaderAddr, err := c2.Status().Leader()
	if err != nil || leaderAddr != leader.RaftAddr {
		t.Fatalf("leader via client = %q, %v; want %s", leaderAddr, err, leader.RaftAddr)
	}

	// A write through one client agent is read through the other.
	if _, err := c1.KV().Put(&consul.KVPair{Key: "app/config", Value: []byte("v1")}, nil); err != nil {
		t.Fatalf("put through client agent: %v", err)
	}
	pair, meta, err := c2.KV().Get("app/config", nil)
	if err != nil || pair == nil || string(pair.Value) != "v1" {
		t.Fatalf("get through client agent = %v, %v", pair, err)
	}
	if !meta.KnownLeader {
		t.Errorf("KnownLeader = false on a default read")
	}

	// A follower answers ?stale itself, saying so, and knows the leader.
	follower := client(t, c.Followers(t)[0])
	waitFor(t, 5*time.Second, func(r *testutil.R) {
		pair, meta, err := follower.KV().Get("app/config", &consul.QueryOptions{AllowStale: true})
		if err != nil || pair == nil || string(pair.Value) != "v1" {
			r.Fatalf("stale get on follower = %v, %v", pair, err)
		}
		if !meta.KnownLeader {
			r.Fatalf("stale read: KnownLeader false")
		}
		if meta.LastContact > 5*time.Second {
			r.Fatalf("stale read: LastContact %v", meta.LastContact)
		}
	})
	resp, err := http.Get("http://" + c.Followers(t)[0].HTTPAddr + "/v1/kv/app/config?stale")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Consul-Effective-Consistency"); got != "stale" {
		t.Errorf("follower's stale read consistency = %q, want stale", got)
	}

	// Every node is in the catalog with a passing serfHealth check, and the
	// servers as the "consul" service.
	waitFor(t, 10*time.Second, func(r *testutil.R) {
		for _, n := range c.Nodes {
			if got := serfStatus(t, c1, n.Name); got != consul.HealthPassing {
				r.Fatalf("%s serfHealth = %q, want passing", n.Name, got)
			}
		}
		svc, _, err := c1.Catalog().Service("consul", "", nil)
		if err != nil || len(svc) != 3 {
			r.Fatalf("consul service instances = %d, %v; want 3", len(svc), err)
		}
	})

	// A client agent's own service reaches the catalog through RPC.
	if err := c1.Agent().ServiceRegister(&consul.AgentServiceRegistration{Name: "web", Port: 8080}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, func(r *testutil.R) {
		entries, _, err := c2.Health().Service("web", "", true, nil)
		if err != nil || len(entries) != 1 || entries[0].Node.Node != "c1" {
			r.Fatalf("web instances = %v, %v", entries, err)
		}
	})
}

// TestLeaderKillLosesNoAcknowledgedWrite kills -9 the leader of three
// servers while writers run through the followers and a client agent:
// a new leader takes over, every acknowledged write is there afterwards,
// and a blocking query in flight sees the next change.
func TestLeaderKillLosesNoAcknowledgedWrite(t *testing.T) {
	c := testutil.StartCluster(t, binary, 3, 1)
	leader := c.Leader(t)
	var targets []*testutil.Node
	targets = append(targets, c.Followers(t)...)
	targets = append(targets, c.Clients()...)

	// A blocking query on a client agent, waiting past the current index.
	watcher := client(t, c.Clients()[0])
	if _, err := watcher.KV().Put(&consul.KVPair{Key: "watched", Value: []byte("0")}, nil); err != nil {
		t.Fatal(err)
	}
	_, meta, err := watcher.KV().Get("watched", nil)
	if err != nil {
		t.Fatal(err)
	}
	watched := make(chan string, 1)
	go func() {
		idx := meta.LastIndex
		for i := 0; i < 50; i++ { // a failed attempt resumes from the same index
			pair, m, err := watcher.KV().Get("watched", &consul.QueryOptions{WaitIndex: idx, WaitTime: 30 * time.Second})
			if err != nil {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			if pair != nil && string(pair.Value) != "0" {
				watched <- string(pair.Value)
				return
			}
			idx = m.LastIndex
		}
		watched <- "gave up"
	}()

	var (
		mu    sync.Mutex
		acked []string
		stop  atomic.Bool
		wg    sync.WaitGroup
	)
	for w, n := range targets {
		kv := client(t, n).KV()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100000 && !stop.Load(); i++ {
				key := fmt.Sprintf("w%d/%d", w, i)
				if _, err := kv.Put(&consul.KVPair{Key: key, Value: []byte(key)}, nil); err == nil {
					mu.Lock()
					acked = append(acked, key)
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(time.Second)
	killedAt := time.Now()
	leader.Kill()

	// The first write acknowledged after the kill.
	kv := client(t, targets[0]).KV()
	var firstWrite time.Duration
	waitFor(t, 20*time.Second, func(r *testutil.R) {
		if _, err := kv.Put(&consul.KVPair{Key: "after-kill", Value: []byte("x")}, nil); err != nil {
			r.Fatalf("write after kill: %v", err)
		}
		firstWrite = time.Since(killedAt)
	})
	t.Logf("kill -9 of the leader → first acknowledged write: %v", firstWrite)
	if _, err := kv.Put(&consul.KVPair{Key: "watched", Value: []byte("1")}, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case v := <-watched:
		if v != "1" {
			t.Errorf("blocking query saw %q, want the change to 1", v)
		}
	case <-time.After(40 * time.Second):
		t.Errorf("blocking query did not return the change")
	}

	time.Sleep(500 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	leader.Restart(t)
	newLeader := c.Leader(t)
	if newLeader == leader {
		t.Logf("the restarted server leads again")
	}

	// Every acknowledged write, read back consistently through each server.
	mu.Lock()
	defer mu.Unlock()
	if len(acked) < 10 {
		t.Fatalf("only %d writes acknowledged", len(acked))
	}
	for _, n := range c.Servers() {
		testutil.WaitForLeader(t, n.HTTPAddr)
		keys, _, err := client(t, n).KV().Keys("w", "", &consul.QueryOptions{RequireConsistent: true})
		if err != nil {
			t.Fatalf("%s: keys: %v", n.Name, err)
		}
		have := map[string]bool{}
		for _, k := range keys {
			have[k] = true
		}
		for _, k := range acked {
			if !have[k] {
				t.Fatalf("%s: acknowledged write %s is missing (%d acked, %d present)", n.Name, k, len(acked), len(keys))
			}
		}
	}
	t.Logf("%d acknowledged writes, all present on every server", len(acked))
}

// TestFailedClientReleasesItsLock: a client agent holding a lock through
// a session dies; gossip marks it failed, its serfHealth check goes
// critical, the session is invalidated and another contender acquires.
func TestFailedClientReleasesItsLock(t *testing.T) {
	c := testutil.StartCluster(t, binary, 3, 2)
	holderNode, other := c.Clients()[0], c.Clients()[1]
	holder := client(t, holderNode)
	lock, err := holder.LockOpts(&consul.LockOptions{Key: "service/leader", SessionTTL: "", LockWaitTime: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.Lock(nil); err != nil {
		t.Fatalf("holder cannot lock: %v", err)
	}
	contender, err := client(t, other).LockOpts(&consul.LockOptions{Key: "service/leader", LockWaitTime: 30 * time.Second, LockDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	acquired := make(chan error, 1)
	go func() {
		_, err := contender.Lock(nil)
		acquired <- err
	}()
	select {
	case err := <-acquired:
		t.Fatalf("contender acquired while the holder lives: %v", err)
	case <-time.After(time.Second):
	}

	watcher := client(t, c.Servers()[0])
	killedAt := time.Now()
	holderNode.Kill()
	var critical time.Duration
	waitFor(t, 20*time.Second, func(r *testutil.R) {
		if got := serfStatus(t, watcher, holderNode.Name); got != consul.HealthCritical {
			r.Fatalf("serfHealth of the dead client = %q", got)
		}
		critical = time.Since(killedAt)
	})
	t.Logf("kill -9 of a client agent → serfHealth critical: %v", critical)
	select {
	case err := <-acquired:
		if err != nil {
			t.Fatalf("contender: %v", err)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("contender never acquired the lock of the dead holder")
	}
	pair, _, err := watcher.KV().Get("service/leader", nil)
	if err != nil || pair == nil || pair.Session == "" {
		t.Fatalf("lock key = %+v, %v; want held by the contender's session", pair, err)
	}
	// And the dead node's services leave ?passing results.
	entries, _, err := watcher.Health().Service("consul", "", true, nil)
	if err != nil || len(entries) != 3 {
		t.Errorf("passing consul instances = %d, %v", len(entries), err)
	}
}

// TestLeaveAndForceLeave: a server that leaves gracefully is out of the
// Raft peers and the catalog; a killed client is failed until force-leave
// makes it left.
func TestLeaveAndForceLeave(t *testing.T) {
	c := testutil.StartCluster(t, binary, 3, 1)
	s1 := client(t, c.Servers()[0])
	leaving := c.Servers()[2]

	if err := client(t, leaving).Agent().Leave(); err != nil {
		t.Fatalf("leave: %v", err)
	}
	select {
	case <-leaving.Proc.Done:
	case <-time.After(20 * time.Second):
		t.Fatalf("the leaving server did not exit")
	}
	waitFor(t, 20*time.Second, func(r *testutil.R) {
		peers, err := s1.Status().Peers()
		if err != nil || len(peers) != 2 || slices.Contains(peers, leaving.RaftAddr) {
			r.Fatalf("peers after leave = %v, %v", peers, err)
		}
		if st := memberStatus(t, s1, leaving.Name); st != statusLeft {
			r.Fatalf("member status of the leaver = %d, want left", st)
		}
		if got := serfStatus(t, s1, leaving.Name); got != "" {
			r.Fatalf("the leaver is still in the catalog (serfHealth %q)", got)
		}
	})
	if _, err := s1.KV().Put(&consul.KVPair{Key: "still", Value: []byte("ok")}, nil); err != nil {
		t.Fatalf("write with two servers left: %v", err)
	}

	dead := c.Clients()[0]
	dead.Kill()
	waitFor(t, 20*time.Second, func(r *testutil.R) {
		if st := memberStatus(t, s1, dead.Name); st != statusFailed {
			r.Fatalf("killed client status = %d, want failed", st)
		}
	})
	if err := s1.Agent().ForceLeave(dead.Name); err != nil {
		t.Fatalf("force-leave: %v", err)
	}
	waitFor(t, 20*time.Second, func(r *testutil.R) {
		if st := memberStatus(t, s1, dead.Name); st != statusLeft {
			r.Fatalf("force-left client status = %d, want left", st)
		}
		if got := serfStatus(t, s1, dead.Name); got != "" {
			r.Fatalf("force-left client still in the catalog (serfHealth %q)", got)
		}
	})
}

// TestDeadServerIsRemovedAndRejoins: a server killed for longer than the
// grace leaves the Raft configuration (the two live servers keep quorum);
// restarted, it is added back.
func TestDeadServerIsRemovedAndRejoins(t *testing.T) {
	// A rejoining server votes once stable (server_stabilization_time):
	// kept short so the test does not wait Consul's default 10s.
	c := testutil.StartCluster(t, binary, 3, 0,
		"-hcl=autopilot { dead_server_grace = \"1s\" server_stabilization_time = \"1s\" }")
	victim := c.Followers(t)[0]
	s := client(t, c.Leader(t))
	victim.Kill()
	waitFor(t, 30*time.Second, func(r *testutil.R) {
		peers, err := s.Status().Peers()
		if err != nil || len(peers) != 2 || slices.Contains(peers, victim.RaftAddr) {
			r.Fatalf("peers = %v, %v; want the dead server removed", peers, err)
		}
	})
	if _, err := s.KV().Put(&consul.KVPair{Key: "k", Value: []byte("v")}, nil); err != nil {
		t.Fatalf("write after cleanup: %v", err)
	}
	victim.Restart(t)
	waitFor(t, 30*time.Second, func(r *testutil.R) {
		peers, err := s.Status().Peers()
		if err != nil || len(peers) != 3 {
			r.Fatalf("peers after restart = %v, %v; want 3", peers, err)
		}
	})
	testutil.WaitForLeader(t, victim.HTTPAddr)
	pair, _, err := client(t, victim).KV().Get("k", &consul.QueryOptions{AllowStale: true})
	if err != nil || pair == nil || string(pair.Value) != "v" {
		t.Fatalf("rejoined server's copy of k = %v, %v", pair, err)
	}
}

// TestFailedNodeIsReaped: a client agent that stays failed longer than
// reconnect_timeout is reaped from the member list and deregistered.
func TestFailedNodeIsReaped(t *testing.T) {
	c := testutil.StartCluster(t, binary, 1, 1, `-hcl=reconnect_timeout = "2s"`)
	s := client(t, c.Servers()[0])
	dead := c.Clients()[0]
	waitFor(t, 10*time.Second, func(r *testutil.R) {
		if got := serfStatus(t, s, dead.Name); got != consul.HealthPassing {
			r.Fatalf("client serfHealth = %q", got)
		}
	})
	dead.Kill()
	waitFor(t, 60*time.Second, func(r *testutil.R) {
		if st := memberStatus(t, s, dead.Name); st != -1 {
			r.Fatalf("reaped client still listed with status %d", st)
		}
		if got := serfStatus(t, s, dead.Name); got != "" {
			r.Fatalf("reaped client still in the catalog (serfHealth %q)", got)
		}
	})
}

// TestGossipEncryption: agents sharing -encrypt form a cluster; an agent
// without the key cannot join them.
func TestGossipEncryption(t *testing.T) {
	const key = "c2VjcmV0LWtleS0xNi1ieQ==" // base64 of 16 bytes
	c := testutil.StartCluster(t, binary, 1, 1, "-encrypt="+key)
	s := client(t, c.Servers()[0])
	waitFor(t, 10*time.Second, func(r *testutil.R) {
		if st := memberStatus(t, s, "c1"); st != statusAlive {
			r.Fatalf("encrypted client status %d", st)
		}
	})

	httpPort := testutil.FreePort(t)
	intruder := testutil.SpawnAgentProcess(t, binary, nil, httpPort, "-node=intruder", "-data-dir="+t.TempDir(),
		"-bind=127.0.0.1", "-client=127.0.0.1", fmt.Sprintf("-http-port=%d", httpPort), "-dns-port=-1",
		"-join="+c.Servers()[0].SerfAddr)
	select {
	case <-intruder.Done:
	case <-time.After(20 * time.Second):
		t.Fatalf("an agent without the key joined (or hung)")
	}
	if st := memberStatus(t, s, "intruder"); st != -1 {
		t.Fatalf("the intruder is a member (status %d)", st)
	}
}

// TestClientLeavesOnSignal: a client agent stopped with SIGTERM leaves the
// cluster (as Consul's leave_on_terminate default for clients), so it is
// left and deregistered at once instead of failed.
func TestClientLeavesOnSignal(t *testing.T) {
	c := testutil.StartCluster(t, binary, 1, 1)
	s := client(t, c.Servers()[0])
	cl := c.Clients()[0]
	waitFor(t, 10*time.Second, func(r *testutil.R) {
		if got := serfStatus(t, s, cl.Name); got != consul.HealthPassing {
			r.Fatalf("client serfHealth = %q", got)
		}
	})
	cl.Stop()
	waitFor(t, 20*time.Second, func(r *testutil.R) {
		if st := memberStatus(t, s, cl.Name); st != statusLeft {
			r.Fatalf("stopped client status %d, want left", st)
		}
		if got := serfStatus(t, s, cl.Name); got != "" {
			r.Fatalf("stopped client still in the catalog (serfHealth %q)", got)
		}
	})
}

// TestClientAgentMovesToAnotherServer kills each server in turn (and
// restarts it): a client agent's reads go on without an error, so
// whichever server it was using, it moved to another (and, when the leader
// died, the read waited for the next one). Default reads: a ?stale read
// may come from a server still catching up after its restart.
func TestClientAgentMovesToAnotherServer(t *testing.T) {
	c := testutil.StartCluster(t, binary, 3, 1)
	cl := client(t, c.Clients()[0])
	if _, err := cl.KV().Put(&consul.KVPair{Key: "k", Value: []byte("v")}, nil); err != nil {
		t.Fatal(err)
	}
	for _, s := range c.Servers() {
		s.Kill()
		for i := 0; i < 20; i++ {
			pair, _, err := cl.KV().Get("k", nil)
			if err != nil || pair == nil || string(pair.Value) != "v" {
				t.Fatalf("read %d through the client with %s dead = %v, %v", i, s.Name, pair, err)
			}
		}
		s.Restart(t)
		testutil.WaitForLeader(t, s.HTTPAddr)
		c.Leader(t)
	}
}
