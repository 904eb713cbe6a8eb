package testutil

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Cluster is a set of `concord agent` processes on loopback: servers that
// bootstrap together and client agents, all joined through the first
// server's gossip port. Each node keeps its ports and data directory across
// restarts.
type Cluster struct {
	t      testing.TB
	binary string
	extra  []string
	Nodes  []*Node
}

// Node is one agent of a Cluster.
type Node struct {
	Name     string
	Server   bool
	HTTPAddr string // host:port of its HTTP API
	RaftAddr string // host:port of its server port (servers)
	SerfAddr string // host:port of its gossip port
	DataDir  string
	Proc     *AgentProc // the current process

	args []string
	c    *Cluster
}

// StartCluster starts servers servers (bootstrap_expect = servers) and
// clients client agents, with extra added to every agent's flags, and
// waits until every node sees a leader.
func StartCluster(t testing.TB, binary string, servers, clients int, extra ...string) *Cluster {
	t.Helper()
	return StartClusterWith(t, binary, servers, clients, nil, extra...)
}

// StartClusterWith is StartCluster with flags of each node's own, from
// own (nil for none), added after extra: a server's and a client's
// certificates, their HTTPS ports.
func StartClusterWith(t testing.TB, binary string, servers, clients int, own func(*Node) []string, extra ...string) *Cluster {
	t.Helper()
	c := &Cluster{t: t, binary: binary, extra: extra}
	var firstSerf string
	for i := 0; i < servers+clients; i++ {
		n := &Node{c: c, Server: i < servers, DataDir: t.TempDir()}
		if n.Server {
			n.Name = fmt.Sprintf("s%d", i+1)
		} else {
			n.Name = fmt.Sprintf("c%d", i-servers+1)
		}
		httpPort, serverPort, serfPort := FreePort(t), FreePort(t), FreePort(t)
		n.HTTPAddr = "127.0.0.1:" + strconv.Itoa(httpPort)
		n.RaftAddr = "127.0.0.1:" + strconv.Itoa(serverPort)
		n.SerfAddr = "127.0.0.1:" + strconv.Itoa(serfPort)
		if firstSerf == "" {
			firstSerf = n.SerfAddr
		}
		n.args = nodeArgs(n, "127.0.0.1", httpPort, serverPort, serfPort, firstSerf)
		if n.Server {
			n.args = append(n.args, "-server", "-bootstrap-expect="+strconv.Itoa(servers))
		}
		n.args = append(n.args, extra...)
		if own != nil {
			n.args = append(n.args, own(n)...)
		}
		c.Nodes = append(c.Nodes, n)
	}
	c.start(t)
	return c
}

// nodeArgs are the agent flags of n, bound to ip (gossip and server port;
// HTTP on 127.0.0.1), joining the gossip address join.
func nodeArgs(n *Node, ip string, httpPort, serverPort, serfPort int, join string) []string {
	return []string{"-node=" + n.Name, "-data-dir=" + n.DataDir, "-bind=" + ip, "-client=127.0.0.1",
		"-http-port=" + strconv.Itoa(httpPort), "-server-port=" + strconv.Itoa(serverPort),
		"-serf-lan-port=" + strconv.Itoa(serfPort), "-serf-wan-port=0", "-dns-port=-1",
		"-retry-join=" + join, "-retry-interval=200ms", "-log-level=info"}
}

// start spawns every node, then waits until each sees a leader.
func (c *Cluster) start(t testing.TB) {
	t.Helper()
	for _, n := range c.Nodes {
		n.Proc = SpawnAgentProcess(t, c.binary, nil, mustPort(n.HTTPAddr), n.args...)
	}
	for _, n := range c.Nodes {
		WaitForLeader(t, n.HTTPAddr)
	}
}

func mustPort(addr string) int {
	_, port, _ := strings.Cut(addr, ":")
	p, _ := strconv.Atoi(port)
	return p
}

// Servers and Clients list the nodes of each kind.
func (c *Cluster) Servers() []*Node { return c.filter(true) }
func (c *Cluster) Clients() []*Node { return c.filter(false) }

func (c *Cluster) filter(server bool) []*Node {
	var out []*Node
	for _, n := range c.Nodes {
		if n.Server == server {
			out = append(out, n)
		}
	}
	return out
}

// Leader waits until a running server reports a leader that is one of
// the cluster's running servers, and returns it.
func (c *Cluster) Leader(t testing.TB) *Node {
	t.Helper()
	var leader *Node
	Run(t, 20*time.Second, func(r *R) {
		leader = nil
		for _, n := range c.Servers() {
			if n.Proc.Exited() {
				continue
			}
			var addr string
			if err := getJSON(n.HTTPAddr, "/v1/status/leader", &addr); err != nil {
				r.Fatalf("%s: %v", n.Name, err)
			}
			for _, s := range c.Servers() {
				if s.RaftAddr == addr && !s.Proc.Exited() {
					leader = s
				}
			}
			if leader == nil {
				r.Fatalf("%s sees no live leader (%q)", n.Name, addr)
			}
			return
		}
		r.Fatalf("no server is running")
	})
	return leader
}

// Followers returns the running servers other than the leader.
func (c *Cluster) Followers(t testing.TB) []*Node {
	leader := c.Leader(t)
	var out []*Node
	for _, n := range c.Servers() {
		if n != leader && !n.Proc.Exited() {
			out = append(out, n)
		}
	}
	return out
}

// Kill sends SIGKILL and waits for the process to be gone.
func (n *Node) Kill() {
	n.Proc.Cmd.Process.Kill()
	<-n.Proc.Done
}

// Stop sends SIGTERM (a graceful stop) and waits for the exit.
func (n *Node) Stop() {
	n.Proc.Cmd.Process.Signal(syscall.SIGTERM)
	<-n.Proc.Done
}

// Pause and Resume stop and continue the process (SIGSTOP / SIGCONT).
func (n *Node) Pause()  { n.Proc.Cmd.Process.Signal(syscall.SIGSTOP) }
func (n *Node) Resume() { n.Proc.Cmd.Process.Signal(syscall.SIGCONT) }

// Restart starts the node again on the same ports and data directory; it
// does not wait for a leader.
func (n *Node) Restart(t testing.TB) {
	t.Helper()
	if !n.Proc.Exited() {
		n.Kill()
	}
	n.Proc = SpawnAgentProcess(t, n.c.binary, nil, mustPort(n.HTTPAddr), n.args...)
}

// getJSON GETs path from the agent at addr into out.
func getJSON(addr, path string, out any) error {
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + addr + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", path, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
