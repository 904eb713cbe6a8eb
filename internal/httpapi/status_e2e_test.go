package httpapi_test

import (
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"

	consulapi "github.com/hashicorp/consul/api"

	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/testutil"
)

// raftAddr is the Raft address the agent was configured with.
func raftAddr(ta *testutil.TestAgent) string {
	return net.JoinHostPort(ta.Config.BindAddr, strconv.Itoa(ta.Config.Ports.Server))
}

func TestStatusLeaderAndPeers(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	want := raftAddr(ta)

	leader, err := c.Status().Leader()
	if err != nil {
		t.Fatalf("Status().Leader(): %v", err)
	}
	if _, _, err := net.SplitHostPort(leader); err != nil || leader == "" {
		t.Errorf("Status().Leader() = %q, want host:port", leader)
	}
	if leader != want {
		t.Errorf("Status().Leader() = %q, want the agent's raft address %q", leader, want)
	}

	peers, err := c.Status().Peers()
	if err != nil {
		t.Fatalf("Status().Peers(): %v", err)
	}
	if len(peers) != 1 || peers[0] != want {
		t.Errorf("Status().Peers() = %q, want [%q]", peers, want)
	}
}

func TestAgentSelf(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	self, err := c.Agent().Self()
	if err != nil {
		t.Fatalf("Agent().Self(): %v", err)
	}
	cfg := self["Config"]
	for _, tt := range []struct {
		field string
		want  any
	}{
		{"Datacenter", "dc1"},
		{"NodeName", ta.Config.NodeName},
		{"Server", true},
	} {
		if got := cfg[tt.field]; got != tt.want {
			t.Errorf("Agent().Self() Config.%s = %v, want %v", tt.field, got, tt.want)
		}
	}
	if v, _ := cfg["Version"].(string); v == "" {
		t.Errorf("Agent().Self() Config.Version = %v, want a version", cfg["Version"])
	}
	for _, section := range []string{"Member", "Stats", "DebugConfig"} {
		if _, ok := self[section]; !ok {
			t.Errorf("Agent().Self() has no %s section", section)
		}
	}
	if name, _ := self["Member"]["Name"].(string); name != ta.Config.NodeName {
		t.Errorf("Agent().Self() Member.Name = %q, want %q", name, ta.Config.NodeName)
	}

	name, err := c.Agent().NodeName()
	if err != nil || name != ta.Config.NodeName {
		t.Errorf("Agent().NodeName() = %q, %v; want %q", name, err, ta.Config.NodeName)
	}
}

// TestAgentSelfCustomConfig checks that Self reports the configured values,
// not defaults.
func TestAgentSelfCustomConfig(t *testing.T) {
	t.Parallel()
	ta := testutil.StartAgent(t, "", func(c *config.Config) {
		c.NodeName = "custom-node"
		c.Datacenter = "east-1"
	})
	c := newConsulClient(t, ta.HTTPAddr(), nil)
	self, err := c.Agent().Self()
	if err != nil {
		t.Fatalf("Agent().Self(): %v", err)
	}
	if got := self["Config"]["Datacenter"]; got != "east-1" {
		t.Errorf("Agent().Self() Config.Datacenter = %v, want east-1", got)
	}
	if got := self["Config"]["NodeName"]; got != "custom-node" {
		t.Errorf("Agent().Self() Config.NodeName = %v, want custom-node", got)
	}
	// The agent's own datacenter is now east-1; dc1 is foreign.
	if _, _, err := c.KV().Get("k", &consulapi.QueryOptions{Datacenter: "east-1"}); err != nil {
		t.Errorf("Get(k, dc=east-1): %v", err)
	}
	if _, _, err := c.KV().Get("k", &consulapi.QueryOptions{Datacenter: "dc1"}); err == nil {
		t.Errorf("Get(k, dc=dc1) on an east-1 agent: no error, want No path to datacenter")
	}
}

func TestDurabilityAcrossRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := testutil.StartAgent(t, dir, nil)
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
	// Also an update, a delete and a txn, which must survive as well.
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
	first.Stop(t)

	second := testutil.StartAgent(t, dir, func(cfg *config.Config) {
		cfg.NodeName = first.Config.NodeName
		cfg.Ports.HTTP = testutil.FreePort(t)
		cfg.Ports.Server = testutil.FreePort(t)
	})
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

	// The restarted server accepts writes, and they come after the old ones.
	mustPut(t, c, "durable/new", "n")
	if p := mustGet(t, c, "durable/new"); p == nil || p.ModifyIndex <= meta.LastIndex {
		t.Errorf("Get(durable/new) after restart = %+v, want ModifyIndex > %d", p, meta.LastIndex)
	}
}

// TestRestartOnNewRaftPort: a single server restarted with a new server
// port must report its new address as both leader and sole peer.
func TestRestartOnNewRaftPort(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := testutil.StartAgent(t, dir, nil)
	mustPut(t, newConsulClient(t, first.HTTPAddr(), nil), "k", "v")
	first.Stop(t)

	second := testutil.StartAgent(t, dir, func(cfg *config.Config) {
		cfg.NodeName = first.Config.NodeName
		cfg.Ports.Server = testutil.FreePort(t)
	})
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
}
