package httpapi_test

import (
	"net"
	"strconv"
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
	ta := testutil.StartAgent(t, "", devConfig(func(c *config.Config) {
		c.NodeName = "custom-node"
		c.Datacenter = "east-1"
	}))
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
