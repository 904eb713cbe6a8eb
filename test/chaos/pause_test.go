package chaos

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/testutil"
	consul "github.com/hashicorp/consul/api"
)

// queuedReads is how many default reads are sent to a paused leader: they
// wait in its sockets until it is resumed.
const queuedReads = 24

// TestPausedLeaderAnswersCurrentReads pauses the leader longer than the
// election timeout, has the new leader acknowledge a write, sends default
// reads to the paused leader, and resumes it: no read may return the value
// from before the write. This is the anomaly of issue 14 (a leader
// answering from its old term after a SIGSTOP), made deterministic.
func TestPausedLeaderAnswersCurrentReads(t *testing.T) {
	c := testutil.StartProxiedCluster(t, binary, 3)
	for round := range 4 {
		cut := round%2 == 1
		r := pauseAndRead(t, c, round, cut)
		t.Logf("pause %d (cut off too: %v): %s", round, cut, r)
		if r.stale > 0 {
			t.Fatalf("pause %d: %d of %d reads answered from the old term: %s", round, r.stale, queuedReads, r)
		}
	}
}

// TestCheckerFindsPausedLeaderReads runs the same scenario with the lease
// switched off on purpose (-test-read-fault=no-lease: the leader answers
// default reads as Concord did before issue 14), and requires stale reads
// to show up: the test above can fail. Whether a read slips through
// depends on whether the resumed server's HTTP goroutines run before Raft
// learns of the new term; in about half the pauses one does, so the test
// pauses up to pauseTries times.
func TestCheckerFindsPausedLeaderReads(t *testing.T) {
	c := testutil.StartProxiedCluster(t, binary, 3, "-test-read-fault=no-lease")
	found := 0
	for round := range pauseTries {
		r := pauseAndRead(t, c, round, false)
		t.Logf("pause %d with the lease off: %s", round, r)
		if r.stale > 0 {
			found++
			if os.Getenv("CONCORD_PAUSE_COUNT") == "" {
				return
			}
		}
	}
	t.Logf("%d of %d pauses gave stale reads", found, pauseTries)
	if found == 0 {
		t.Fatalf("no stale read in %d pauses with the lease off: the scenario misses the fault", pauseTries)
	}
}

// pauseTries bounds the pauses TestCheckerFindsPausedLeaderReads makes.
const pauseTries = 16

// pauseResult counts how the reads queued at a paused leader were answered.
type pauseResult struct {
	stale, current, failed int
	errs                   []string
}

func (r pauseResult) String() string {
	return fmt.Sprintf("%d stale, %d current, %d failed %v", r.stale, r.current, r.failed, r.errs)
}

// pauseAndRead writes "old" to a key, pauses the leader, waits for another
// leader, writes "new" through it, queues default reads of the key at the
// paused server, resumes it, and counts the answers. With cut, the leader
// is also cut off from the others from just before the pause until the
// reads are answered, so that it hears nothing of the new term.
func pauseAndRead(t *testing.T, c *testutil.ProxiedCluster, round int, cut bool) pauseResult {
	t.Helper()
	key := fmt.Sprintf("pause/%d", round)
	leader := c.Leader(t)
	put(t, leader, key, "old")
	pinned, closePinned := pinnedClients(leader, queuedReads, 20*time.Second)
	defer closePinned()
	if len(pinned) < queuedReads {
		t.Fatalf("only %d of %d clients could connect to %s", len(pinned), queuedReads, leader.Name)
	}

	if cut {
		c.Isolate(leader, testutil.Blackhole)
	}
	leader.Pause()
	defer leader.Resume()
	next := newLeader(t, c, leader)
	put(t, next, key, "new")

	// Each read has a connection of its own, opened before the pause, so
	// that the reads wait in the paused server's sockets, as those of
	// clients pinned to it would, and reach its handlers together on resume.
	var (
		mu  sync.Mutex
		res pauseResult
		wg  sync.WaitGroup
	)
	for _, cl := range pinned {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pair, _, err := cl.KV().Get(key, nil)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				res.failed++
				if !slices.Contains(res.errs, err.Error()) {
					res.errs = append(res.errs, err.Error())
				}
			case pair != nil && string(pair.Value) == "new":
				res.current++
			default:
				res.stale++
			}
		}()
	}
	time.Sleep(300 * time.Millisecond) // the requests reach the paused server's sockets
	leader.Resume()
	wg.Wait()
	settle(t, c)
	return res
}

// pinnedClients returns up to count clients of n, each with one
// connection to it, opened now (calls end after timeout), and a func that
// closes them. It stops early when n does not answer.
func pinnedClients(n *testutil.Node, count int, timeout time.Duration) ([]*consul.Client, func()) {
	var (
		out        []*consul.Client
		transports []*http.Transport
	)
	closeAll := func() {
		for _, tr := range transports {
			tr.CloseIdleConnections()
		}
	}
	for range count {
		tr := &http.Transport{MaxConnsPerHost: 1}
		transports = append(transports, tr)
		cl, err := consul.NewClient(&consul.Config{Address: n.HTTPAddr, HttpClient: &http.Client{Timeout: timeout, Transport: tr}})
		if err == nil {
			_, err = cl.Status().Leader() // opens the connection
		}
		if err != nil {
			break
		}
		out = append(out, cl)
	}
	return out, closeAll
}

// put writes key=value through n, retrying while n has no leader yet.
func put(t *testing.T, n *testutil.Node, key, value string) {
	t.Helper()
	cl, err := consul.NewClient(&consul.Config{Address: n.HTTPAddr})
	if err != nil {
		t.Fatal(err)
	}
	err = retryFor(20*time.Second, func() error {
		_, err := cl.KV().Put(&consul.KVPair{Key: key, Value: []byte(value)}, nil)
		return err
	})
	if err != nil {
		t.Fatalf("put %s=%s through %s: %v", key, value, n.Name, err)
	}
}

// newLeader waits until a server other than old leads, as the running
// servers other than old see it, and returns it.
func newLeader(t *testing.T, c *testutil.ProxiedCluster, old *testutil.Node) *testutil.Node {
	t.Helper()
	var found *testutil.Node
	err := retryFor(20*time.Second, func() error {
		if found = leaderExcept(c, old); found == nil {
			return errors.New("no new leader yet")
		}
		return nil
	})
	if err != nil {
		t.Fatalf("no leader other than %s after pausing it: %v", old.Name, err)
	}
	return found
}

// leaderExcept returns the server other than old that a running server
// other than old names as leader, or nil when none does yet.
func leaderExcept(c *testutil.ProxiedCluster, old *testutil.Node) *testutil.Node {
	hc := &http.Client{Timeout: time.Second}
	for _, n := range c.Servers() {
		if n == old || n.Proc.Exited() {
			continue
		}
		addr := leaderSeenBy(hc, n)
		for _, s := range c.Servers() {
			if s != old && s.RaftAddr == addr {
				return s
			}
		}
	}
	return nil
}
