package httpapi_test

// End-to-end tests of the gossip pool endpoints: a dev server and a
// client agent in one LAN pool, in-process, reached over HTTP through the
// official Consul client.

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	consulapi "github.com/hashicorp/consul/api"

	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/testutil"
)

// Member statuses as /v1/agent/members reports them.
const (
	statusAlive  = 1
	statusLeft   = 3
	statusFailed = 4
)

var statusNames = map[int]string{1: "alive", 2: "leaving", 3: "left", 4: "failed"}

// gossipTimeout bounds waits for gossip to converge or to notice a failure.
const gossipTimeout = 20 * time.Second

// startClientAgent starts a client agent named name over its own data dir;
// with join set it retries joining join until it works.
func startClientAgent(t *testing.T, name, join string) *testutil.TestAgent {
	t.Helper()
	return testutil.StartAgent(t, t.TempDir(), func(c *config.Config) {
		c.NodeName = name
		c.Server = false
		c.BootstrapExpect = 0
		if join != "" {
			c.RetryJoin = []string{join}
			c.RetryInterval = 200 * time.Millisecond
		}
	})
}

// startPair starts a dev server and a client agent that joins it.
func startPair(t *testing.T) (srv, client *testutil.TestAgent) {
	t.Helper()
	srv = testutil.StartAgent(t, "", devConfig(func(c *config.Config) { c.NodeName = "srv" }))
	client = startClientAgent(t, "client", srv.SerfAddr())
	return srv, client
}

// waitMember waits until the agent at addr lists node with status.
func waitMember(t *testing.T, addr, node string, status int) *consulapi.AgentMember {
	t.Helper()
	c := newConsulClient(t, addr, nil)
	var found *consulapi.AgentMember
	testutil.Run(t, gossipTimeout, func(r *testutil.R) {
		members, err := c.Agent().Members(false)
		if err != nil {
			r.Fatalf("Members: %v", err)
		}
		for _, m := range members {
			if m.Name == node && m.Status == status {
				found = m
				return
			}
		}
		r.Fatalf("%s: no member %s with status %s in %s", addr, node, statusNames[status], memberList(members))
	})
	return found
}

func memberList(members []*consulapi.AgentMember) string {
	var parts []string
	for _, m := range members {
		parts = append(parts, m.Name+"="+statusNames[m.Status])
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func TestAgentMembersListsServerAndClient(t *testing.T) {
	t.Parallel()
	srv, client := startPair(t)
	for _, a := range []*testutil.TestAgent{srv, client} {
		s := waitMember(t, a.HTTPAddr(), "srv", statusAlive)
		c := waitMember(t, a.HTTPAddr(), "client", statusAlive)
		if s.Tags["role"] != "consul" || s.Tags["dc"] != "dc1" || s.Tags["port"] == "" || s.Addr != "127.0.0.1" {
			t.Errorf("%s: server member = %+v, want role consul, dc dc1, a port tag, addr 127.0.0.1", a.HTTPAddr(), s)
		}
		if c.Tags["role"] != "node" || c.Tags["port"] != "" || c.Port == 0 {
			t.Errorf("%s: client member = %+v, want role node, no port tag, a serf port", a.HTTPAddr(), c)
		}
		if s.ProtocolCur == 0 || s.DelegateCur == 0 {
			t.Errorf("%s: server member protocol = %d, delegate = %d; want set", a.HTTPAddr(), s.ProtocolCur, s.DelegateCur)
		}
	}

	c := newConsulClient(t, srv.HTTPAddr(), nil)
	// The server is in the WAN pool as <node>.<dc>; a client agent in none.
	if wan, err := c.Agent().Members(true); err != nil || memberList(wan) != "[srv.dc1=alive]" || wan[0].Tags["role"] != "consul" {
		t.Errorf("server's Members(wan) = %v, %v; want [srv.dc1=alive] with role consul", memberList(wan), err)
	}
	cc := newConsulClient(t, client.HTTPAddr(), nil)
	if wan, err := cc.Agent().Members(true); err != nil || len(wan) != 0 {
		t.Errorf("client agent's Members(wan) = %v, %v; want none", memberList(wan), err)
	}
	filtered, err := c.Agent().MembersOpts(consulapi.MembersOpts{Filter: `Tags.role == "node"`})
	if err != nil || len(filtered) != 1 || filtered[0].Name != "client" {
		t.Errorf("Members(filter role == node) = %v, %v; want [client]", memberList(filtered), err)
	}
}

func TestAgentJoin(t *testing.T) {
	t.Parallel()
	srv, client := startPair(t)
	// A second dev server joins the pool through the API. It is in
	// another datacenter, so neither server tries to add the other to its
	// Raft configuration; gossip membership is all this test is about.
	other := testutil.StartAgent(t, "", devConfig(func(c *config.Config) {
		c.NodeName, c.Datacenter = "other", "dc2"
	}))
	c := newConsulClient(t, other.HTTPAddr(), nil)
	if err := c.Agent().Join(client.SerfAddr(), false); err != nil {
		t.Fatalf("Join(%s): %v", client.SerfAddr(), err)
	}
	for _, name := range []string{"srv", "client"} {
		waitMember(t, other.HTTPAddr(), name, statusAlive)
	}
	waitMember(t, srv.HTTPAddr(), "other", statusAlive)

	r := doRaw(t, other.HTTPAddr(), "PUT", "/v1/agent/join/127.0.0.1:1", nil)
	wantStatus(t, "join to a closed port", r, http.StatusInternalServerError)

	// WAN: the servers of dc1 and dc2 join; a client agent cannot.
	wan, err := newConsulClient(t, srv.HTTPAddr(), nil).Agent().Members(true)
	if err != nil || len(wan) != 1 {
		t.Fatalf("srv's WAN members = %v, %v", memberList(wan), err)
	}
	srvWAN := net.JoinHostPort(wan[0].Addr, strconv.Itoa(int(wan[0].Port)))
	if err := c.Agent().Join(srvWAN, true); err != nil {
		t.Fatalf("Join(%s, wan): %v", srvWAN, err)
	}
	testutil.Run(t, gossipTimeout, func(r *testutil.R) {
		for _, a := range []*testutil.TestAgent{srv, other} {
			wan, err := newConsulClient(t, a.HTTPAddr(), nil).Agent().Members(true)
			if err != nil || memberList(wan) != "[other.dc2=alive srv.dc1=alive]" && memberList(wan) != "[srv.dc1=alive other.dc2=alive]" {
				r.Fatalf("%s: WAN members = %v, %v; want srv.dc1 and other.dc2", a.HTTPAddr(), memberList(wan), err)
			}
		}
	})
	r = doRaw(t, client.HTTPAddr(), "PUT", "/v1/agent/join/"+srvWAN+"?wan=1", nil)
	wantStatus(t, "WAN join from a client agent", r, http.StatusInternalServerError)
	if string(r.Body) != "Must be a server to join WAN cluster" {
		t.Errorf("WAN join from a client agent: body = %q, want Consul's %q", r.Body, "Must be a server to join WAN cluster")
	}
}

func TestForceLeaveOfStoppedClient(t *testing.T) {
	t.Parallel()
	srv, client := startPair(t)
	waitMember(t, srv.HTTPAddr(), "client", statusAlive)
	client.Stop(t) // no leave: gossip sees it fail
	waitMember(t, srv.HTTPAddr(), "client", statusFailed)

	c := newConsulClient(t, srv.HTTPAddr(), nil)
	if err := c.Agent().ForceLeave("client"); err != nil {
		t.Fatalf("ForceLeave(client): %v", err)
	}
	waitMember(t, srv.HTTPAddr(), "client", statusLeft)

	if err := c.Agent().ForceLeavePrune("client"); err != nil {
		t.Fatalf("ForceLeavePrune(client): %v", err)
	}
	testutil.Run(t, gossipTimeout, func(r *testutil.R) {
		members, err := c.Agent().Members(false)
		if err != nil || len(members) != 1 {
			r.Fatalf("Members after prune = %s, %v; want only srv", memberList(members), err)
		}
	})

	r := doRaw(t, srv.HTTPAddr(), "PUT", "/v1/agent/force-leave/nobody", nil)
	wantStatus(t, "force-leave of an unknown node", r, http.StatusNotFound)
	// WAN members are <node>.<dc>: the LAN name is unknown there.
	r = doRaw(t, srv.HTTPAddr(), "PUT", "/v1/agent/force-leave/srv?wan", nil)
	wantStatus(t, "WAN force-leave of a LAN name", r, http.StatusNotFound)
}

func TestLeaveClosesLeftChAndOthersSeeLeft(t *testing.T) {
	t.Parallel()
	srv, client := startPair(t)
	waitMember(t, srv.HTTPAddr(), "client", statusAlive)

	r := doRaw(t, client.HTTPAddr(), "PUT", "/v1/agent/leave", nil)
	wantStatus(t, "PUT /v1/agent/leave", r, http.StatusOK)
	select {
	case <-client.LeftCh():
	case <-time.After(10 * time.Second):
		t.Fatal("LeftCh not closed 10s after the leave answered")
	}
	waitMember(t, srv.HTTPAddr(), "client", statusLeft)
}
