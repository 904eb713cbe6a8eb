package chaos

import (
	"encoding/json"
	"flag"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/testutil"
	consul "github.com/hashicorp/consul/api"
)

// binary is the concord binary TestMain builds once for the package.
var binary string

var (
	durationFlag = flag.Duration("chaos.duration", 0,
		"how long each test's fault phase runs (default: CONCORD_CHAOS_DURATION, else a short run)")
	faultsFlag = flag.String("chaos.faults", "",
		"comma-separated faults the nemesis picks from (default: all of kill, pause, isolate-leader, split, isolate-follower)")
	readFaultFlag = flag.String("chaos.read-fault", "",
		"start TestKVLinearizableUnderFaults's servers with -test-read-fault=VALUE (stale-default or no-lease), to see the checker find it")
	seedFlag = flag.Uint64("chaos.seed", 0,
		"seed of the nemesis's choices (default: CONCORD_CHAOS_SEED, else random); timing still varies")
)

const (
	opTimeout    = 4 * time.Second  // a client call not answered by then is unknown
	checkTimeout = 5 * time.Minute  // porcupine gives up (result Unknown) after this
	shortPhase   = 20 * time.Second // the fault phase of a normal `go test` run
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(testutil.RunWithConcord(m, &binary))
}

// phase is how long a test's fault phase lasts: the flag, else
// $CONCORD_CHAOS_DURATION, else def.
func phase(t *testing.T, def time.Duration) time.Duration {
	if *durationFlag > 0 {
		return *durationFlag
	}
	if env := os.Getenv("CONCORD_CHAOS_DURATION"); env != "" {
		d, err := time.ParseDuration(env)
		if err != nil || d <= 0 {
			t.Fatalf("CONCORD_CHAOS_DURATION=%q: want a positive duration such as 5m", env)
		}
		return d
	}
	return def
}

// faultKinds is what the nemesis injects: -chaos.faults, else all kinds.
func faultKinds(t *testing.T) []faultKind {
	if *faultsFlag == "" {
		return allFaults
	}
	var kinds []faultKind
	for _, k := range strings.Split(*faultsFlag, ",") {
		if !slices.Contains(allFaults, faultKind(k)) {
			t.Fatalf("-chaos.faults: unknown fault %q (want some of %v)", k, allFaults)
		}
		kinds = append(kinds, faultKind(k))
	}
	return kinds
}

// newRand returns the nemesis's random source, logging its seed so that a
// run's choices of faults and targets can be replayed.
func newRand(t *testing.T) *rand.Rand {
	seed := *seedFlag
	if env := os.Getenv("CONCORD_CHAOS_SEED"); seed == 0 && env != "" {
		var err error
		if seed, err = strconv.ParseUint(env, 10, 64); err != nil {
			t.Fatalf("CONCORD_CHAOS_SEED=%q: %v", env, err)
		}
	}
	if seed == 0 {
		seed = rand.Uint64()
	}
	t.Logf("nemesis seed %d (replay with -chaos.seed=%d)", seed, seed)
	return rand.New(rand.NewPCG(seed, seed))
}

// clients returns a Consul API client for every server, sharing one HTTP
// client whose calls end after opTimeout.
func clients(t *testing.T, c *testutil.ProxiedCluster) []*consul.Client {
	t.Helper()
	hc := &http.Client{Timeout: opTimeout, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	t.Cleanup(hc.CloseIdleConnections)
	var out []*consul.Client
	for _, n := range c.Servers() {
		cl, err := consul.NewClient(&consul.Config{Address: n.HTTPAddr, HttpClient: hc})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, cl)
	}
	return out
}

// leaderNow returns the server that the running servers name as leader,
// asking each briefly; nil when they name none that is running. Unlike
// Cluster.Leader it never waits long, so the nemesis can call it.
func leaderNow(c *testutil.ProxiedCluster) *testutil.Node {
	hc := &http.Client{Timeout: time.Second}
	votes := map[string]int{}
	for _, n := range c.Servers() {
		if n.Proc.Exited() {
			continue
		}
		if addr := leaderSeenBy(hc, n); addr != "" {
			votes[addr]++
		}
	}
	var best *testutil.Node
	for _, n := range c.Servers() {
		if !n.Proc.Exited() && votes[n.RaftAddr] > 0 && (best == nil || votes[n.RaftAddr] > votes[best.RaftAddr]) {
			best = n
		}
	}
	return best
}

// leaderSeenBy returns the leader's Raft address as n reports it, "" when
// n names none or does not answer.
func leaderSeenBy(hc *http.Client, n *testutil.Node) string {
	resp, err := hc.Get("http://" + n.HTTPAddr + "/v1/status/leader")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var addr string
	if json.NewDecoder(resp.Body).Decode(&addr) != nil {
		return ""
	}
	return addr
}

// listConsistent lists prefix with a ?consistent read through cl, trying
// for up to 30s.
func listConsistent(t *testing.T, cl *consul.Client, prefix string) consul.KVPairs {
	t.Helper()
	var pairs consul.KVPairs
	err := retryFor(30*time.Second, func() error {
		var err error
		pairs, _, err = cl.KV().List(prefix, &consul.QueryOptions{RequireConsistent: true})
		return err
	})
	if err != nil {
		t.Fatalf("cannot list %s: %v", prefix, err)
	}
	return pairs
}

// retryFor calls fn until it succeeds or d passes, and returns its last
// error.
func retryFor(d time.Duration, fn func() error) error {
	deadline := time.Now().Add(d)
	for {
		err := fn()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}
