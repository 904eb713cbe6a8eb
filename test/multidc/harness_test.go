package multidc_test

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/testutil"
	consul "github.com/hashicorp/consul/api"
)

// binary is the concord binary TestMain builds once for the package.
var binary string

func TestMain(m *testing.M) { os.Exit(testutil.RunWithConcord(m, &binary)) }

// wanGossip makes the WAN failure detector as quick as the LAN one on
// loopback (memberlist's WAN defaults take half a minute to find a failed
// server), agents send their coordinates every second, not 15, and take
// remote exec jobs.
const wanGossip = `gossip_wan { probe_interval = "400ms" probe_timeout = "200ms" suspicion_mult = 2 gossip_interval = "100ms" }
sync_coordinate_interval_min = "1s"
disable_remote_exec = false`

// datacenter is one datacenter's cluster and its servers' WAN addresses.
type datacenter struct {
	name string
	*testutil.Cluster
	wan map[string]string // server node name → 127.0.0.1:port of its WAN gossip
	dns string            // 127.0.0.1:port of its client agent's DNS (answers from the agent cache)
}

// federation is datacenters whose servers are joined in one WAN pool.
type federation struct {
	dcs map[string]*datacenter
}

// startFederation starts one datacenter per entry of servers (dc1, dc2,
// ...; that many servers and one client agent each, the client agent
// serving DNS with dns_config.use_cache), every server joining the WAN
// pool through dc1's first server, and waits until every server sees
// every other in the WAN pool.
func startFederation(t testing.TB, servers ...int) *federation {
	t.Helper()
	return startFederationWith(t, "", nil, servers...)
}

// startFederationWith is startFederation giving every node of datacenter
// dc the arguments dcArgs(dc) (nil for none), and reading the WAN members
// with token (as ACLs need).
func startFederationWith(t testing.TB, token string, dcArgs func(dc string) []string, servers ...int) *federation {
	t.Helper()
	return startFederationOpts(t, fedOptions{token: token, dcArgs: dcArgs}, servers...)
}

// fedOptions are the choices of startFederationOpts.
type fedOptions struct {
	token      string                   // reads the WAN members (as ACLs need)
	dcArgs     func(dc string) []string // arguments of every node of datacenter dc; nil for none
	clientArgs func(dc string) []string // arguments of dc's client agent alone; nil for none
}

// startFederationOpts is startFederation with the options o.
func startFederationOpts(t testing.TB, o fedOptions, servers ...int) *federation {
	t.Helper()
	token, dcArgs := o.token, o.dcArgs
	f := &federation{dcs: map[string]*datacenter{}}
	var seed string // dc1's first server's WAN address
	total := 0
	for i, n := range servers {
		total += n
		dc := &datacenter{name: fmt.Sprintf("dc%d", i+1), wan: map[string]string{}}
		args := []string{"-datacenter=" + dc.name, "-hcl=" + wanGossip}
		if dcArgs != nil {
			args = append(args, dcArgs(dc.name)...)
		}
		dc.Cluster = testutil.StartClusterWith(t, binary, n, 1, func(node *testutil.Node) []string {
			if !node.Server {
				dc.dns = "127.0.0.1:" + strconv.Itoa(testutil.FreePort(t))
				_, port, _ := net.SplitHostPort(dc.dns)
				args := []string{"-dns-port=" + port, "-hcl=dns_config { use_cache = true }"}
				if o.clientArgs != nil {
					args = append(args, o.clientArgs(dc.name)...)
				}
				return args
			}
			addr := "127.0.0.1:" + strconv.Itoa(testutil.FreePort(t))
			dc.wan[node.Name] = addr
			if seed == "" {
				seed = addr
			}
			_, port, _ := net.SplitHostPort(addr)
			return []string{"-serf-wan-port=" + port, "-retry-join-wan=" + seed, "-retry-interval-wan=200ms"}
		}, args...)
		f.dcs[dc.name] = dc
	}
	for _, dc := range f.dcs {
		for _, s := range dc.Servers() {
			waitFor(t, 20*time.Second, func(r *testutil.R) {
				if alive := aliveWAN(r, clientWith(t, s, token)); len(alive) != total {
					r.Fatalf("%s.%s sees WAN members %v, want %d alive", s.Name, dc.name, alive, total)
				}
			})
		}
	}
	return f
}

// agent is a client for datacenter dc's client agent.
func (f *federation) agent(t testing.TB, dc string) *consul.Client {
	t.Helper()
	return client(t, f.dcs[dc].Clients()[0])
}

// client returns a Consul API client for node n.
func client(t testing.TB, n *testutil.Node) *consul.Client {
	t.Helper()
	return clientWith(t, n, "")
}

// clientWith returns a Consul API client for node n using token.
func clientWith(t testing.TB, n *testutil.Node, token string) *consul.Client {
	t.Helper()
	c, err := consul.NewClient(&consul.Config{Address: n.HTTPAddr, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// aliveWAN lists the alive members of the WAN pool as c's agent sees it.
func aliveWAN(r *testutil.R, c *consul.Client) []string {
	members, err := c.Agent().Members(true)
	if err != nil {
		r.Fatalf("WAN members: %v", err)
	}
	var alive []string
	for _, m := range members {
		if m.Status == 1 {
			alive = append(alive, m.Name)
		}
	}
	return alive
}

// waitFor retries fn until it passes or timeout ends.
func waitFor(t testing.TB, timeout time.Duration, fn func(r *testutil.R)) {
	t.Helper()
	testutil.Run(t, timeout, fn)
}

// in is the query options of a read in datacenter dc.
func in(dc string) *consul.QueryOptions { return &consul.QueryOptions{Datacenter: dc} }

// to is the write options of a write in datacenter dc.
func to(dc string) *consul.WriteOptions { return &consul.WriteOptions{Datacenter: dc} }
