package httpapi_test

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	consulapi "github.com/hashicorp/consul/api"

	"github.com/concordhq/concord/internal/agent"
	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/testutil"
)

// logStores are the Raft log backends a durable server can use.
var logStores = []string{"wal", "boltdb"}

// withLogStore selects the Raft log backend, then applies modify.
func withLogStore(store string, modify func(*config.Config)) func(*config.Config) {
	return func(c *config.Config) {
		c.RaftLogStore = store
		if modify != nil {
			modify(c)
		}
	}
}

// restartTimeout bounds how long an in-process restart over an existing data
// directory may take before the test calls it hung.
const restartTimeout = 20 * time.Second

// restartAgent starts a durable agent over dir, which a stopped agent of
// this process used before, with the config testutil.StartAgent would use.
// Unlike StartAgent it gives up after restartTimeout, so a restart that
// blocks (on a file lock, say) fails the test instead of hanging the run.
func restartAgent(t *testing.T, dir string, modify func(*config.Config)) *testutil.TestAgent {
	t.Helper()
	cfg := config.Default()
	cfg.NodeName = "node-restarted"
	cfg.Server = true
	cfg.BootstrapExpect = 1
	cfg.LogLevel = "warn"
	cfg.DataDir = dir
	cfg.Ports.HTTP = testutil.FreePort(t)
	cfg.Ports.Server = testutil.FreePort(t)
	cfg.Ports.DNS = 0 // any free port: agents run side by side
	cfg.Ports.SerfLAN = 0
	cfg.Ports.SerfWAN = 0
	if modify != nil {
		modify(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("invalid restart config: %v", err)
	}
	type started struct {
		a   *agent.Agent
		err error
	}
	done := make(chan started, 1)
	go func() {
		a, err := agent.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		done <- started{a, err}
	}()
	select {
	case s := <-done:
		if s.err != nil {
			t.Fatalf("cannot restart agent on %s: %v", dir, s.err)
		}
		ta := &testutil.TestAgent{Agent: s.a, Config: cfg}
		t.Cleanup(func() { ta.Stop(t) })
		testutil.WaitForLeader(t, ta.HTTPAddr())
		return ta
	case <-time.After(restartTimeout):
		t.Fatalf("restarting an agent on %s (log store %q) did not finish in %v: "+
			"agent.New blocks, likely on a lock the stopped agent still holds", dir, cfg.RaftLogStore, restartTimeout)
		return nil
	}
}

func TestDurabilityAcrossRestart(t *testing.T) {
	t.Parallel()
	for _, store := range logStores {
		t.Run(store, func(t *testing.T) {
			t.Parallel()
			testDurability(t, store)
		})
	}
}

// testDurability writes 200 keys (plus an update, a delete and a txn) to a
// durable agent, stops it, starts another on the same data directory and
// checks that everything is there, indexes included.
func testDurability(t *testing.T, store string) {
	dir := t.TempDir()
	first := testutil.StartAgent(t, dir, withLogStore(store, nil))
	c := newConsulClient(t, first.HTTPAddr(), nil)

	const n = 200
	want := make(map[string]string, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				key, value := fmt.Sprintf("durable/%03d", i), fmt.Sprintf("value-%d-%x", i, i*7919)
				if _, err := c.KV().Put(&consulapi.KVPair{Key: key, Value: []byte(value), Flags: uint64(i)}, nil); err != nil {
					errs <- fmt.Errorf("Put(%q): %w", key, err)
					return
				}
				mu.Lock()
				want[key] = value
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	mustPut(t, c, "durable/000", "updated")
	want["durable/000"] = "updated"
	if _, err := c.KV().Delete("durable/199", nil); err != nil {
		t.Fatalf("Delete(durable/199): %v", err)
	}
	delete(want, "durable/199")
	if ok, resp := runTxn(t, c, consulapi.TxnOps{kvOp(consulapi.KVSet, "durable/txn", "t", 0)}, nil); !ok {
		t.Fatalf("Txn(set durable/txn) failed: %s", txnErrors(resp))
	}
	want["durable/txn"] = "t"
	before, meta, err := c.KV().List("durable/", nil)
	if err != nil {
		t.Fatalf("List(durable/) before restart: %v", err)
	}
	if len(before) != len(want) {
		t.Fatalf("List(durable/) before restart = %d keys, want %d", len(before), len(want))
	}
	first.Stop(t)

	// A fresh HTTP and server port: nothing may depend on the old ones.
	second := restartAgent(t, dir, withLogStore(store, func(cfg *config.Config) {
		cfg.NodeName = first.Config.NodeName
	}))
	c = newConsulClient(t, second.HTTPAddr(), nil)
	after, meta2, err := c.KV().List("durable/", nil)
	if err != nil {
		t.Fatalf("List(durable/) after restart: %v", err)
	}
	if len(after) != len(want) {
		t.Errorf("List(durable/) after restart = %d keys, want %d", len(after), len(want))
	}
	got := make(map[string]*consulapi.KVPair, len(after))
	for _, p := range after {
		got[p.Key] = p
	}
	for _, p := range before {
		a := got[p.Key]
		switch {
		case a == nil:
			t.Errorf("after restart, Get(%q) = nil, want %q", p.Key, want[p.Key])
		case string(a.Value) != want[p.Key]:
			t.Errorf("after restart, Get(%q) = %q, want %q", p.Key, a.Value, want[p.Key])
		case a.Flags != p.Flags || a.CreateIndex != p.CreateIndex || a.ModifyIndex != p.ModifyIndex:
			t.Errorf("after restart, Get(%q) = flags %d, indexes %d/%d; want %d, %d/%d",
				p.Key, a.Flags, a.CreateIndex, a.ModifyIndex, p.Flags, p.CreateIndex, p.ModifyIndex)
		}
	}
	wantMissing(t, c, "durable/199")
	if meta2.LastIndex < meta.LastIndex {
		t.Errorf("List(durable/) LastIndex after restart = %d, want >= %d from before", meta2.LastIndex, meta.LastIndex)
	}

	// The restarted server takes writes, at indexes after the old ones.
	mustPut(t, c, "durable/new", "n")
	if p := mustGet(t, c, "durable/new"); p == nil || p.ModifyIndex <= meta.LastIndex {
		t.Errorf("Get(durable/new) after restart = %+v, want ModifyIndex > %d", p, meta.LastIndex)
	}
}

// TestRestartOnNewRaftPort: a single server restarted with a new server
// port must report its new address as both leader and sole peer.
func TestRestartOnNewRaftPort(t *testing.T) {
	t.Parallel()
	for _, store := range logStores {
		t.Run(store, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			first := testutil.StartAgent(t, dir, withLogStore(store, nil))
			mustPut(t, newConsulClient(t, first.HTTPAddr(), nil), "k", "v")
			first.Stop(t)

			second := restartAgent(t, dir, withLogStore(store, func(cfg *config.Config) {
				cfg.NodeName = first.Config.NodeName
			}))
			c := newConsulClient(t, second.HTTPAddr(), nil)
			wantValue(t, c, "k", "v")
			want := raftAddr(second)
			leader, err := c.Status().Leader()
			if err != nil || leader != want {
				t.Errorf("Status().Leader() after restart = %q, %v; want %q", leader, err, want)
			}
			peers, err := c.Status().Peers()
			if err != nil || len(peers) != 1 || peers[0] != want {
				t.Errorf("Status().Peers() after restart = %q, %v; want [%q]", peers, err, want)
			}
		})
	}
}

// TestShutdownIsPromptWithUnusedConnection: a client that opened a
// connection but has not sent a request on it yet (Go's transport leaves
// such spare connections in its pool under concurrency) must not hold up
// the agent's shutdown.
func TestShutdownIsPromptWithUnusedConnection(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	mustPut(t, c, "k", "v")
	conn, err := net.Dial("tcp", ta.HTTPAddr())
	if err != nil {
		t.Fatalf("dial %s: %v", ta.HTTPAddr(), err)
	}
	defer conn.Close()
	// Make sure the server has accepted it: a request on a connection
	// dialed after ours is only served once the accept loop took ours.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := fresh.Get("http://" + ta.HTTPAddr() + "/v1/kv/k")
	if err != nil {
		t.Fatalf("GET /v1/kv/k: %v", err)
	}
	resp.Body.Close()

	start := time.Now()
	ta.Stop(t)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("agent Stop took %v with one unused client connection open, want well under 2s", d)
	}
}
