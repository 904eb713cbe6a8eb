package cli_test

// The cluster commands against real processes: a dev server and two
// client agents in one gossip pool. members, info, join, force-leave,
// leave, operator raft and monitor are each run as `concord` would be.

import (
	"bufio"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/testutil"
)

// clusterTimeout bounds waits for gossip to converge or notice a failure.
const clusterTimeout = 20 * time.Second

// gossipAgent is an agent process with the gossip port it listens on.
type gossipAgent struct {
	*agentProc
	serf string // 127.0.0.1:port of its serf LAN listener
}

// startGossipAgent starts `concord agent -node=name args...` with its
// serf LAN port chosen here, so others can join it.
func startGossipAgent(t *testing.T, name string, args ...string) gossipAgent {
	t.Helper()
	httpPort, serfPort := testutil.FreePort(t), testutil.FreePort(t)
	args = append([]string{"-node=" + name, "-log-level=warn", "-http-port=" + strconv.Itoa(httpPort),
		"-serf-lan-port=" + strconv.Itoa(serfPort), "-retry-interval=200ms"}, args...)
	p := startAgent(t, httpPort, args...)
	return gossipAgent{agentProc: p, serf: "127.0.0.1:" + strconv.Itoa(serfPort)}
}

// startClusterAgents starts a dev server "srv" and client agents with the
// given names, each joined to srv.
func startClusterAgents(t *testing.T, clients ...string) (srv gossipAgent, out []gossipAgent) {
	t.Helper()
	srv = startGossipAgent(t, "srv", "-dev", "-server-port="+strconv.Itoa(testutil.FreePort(t)))
	for _, name := range clients {
		out = append(out, startGossipAgent(t, name, "-data-dir="+t.TempDir(), "-retry-join="+srv.serf))
	}
	return srv, out
}

// memberStatuses runs `concord members` against addr and returns each
// node's status column.
func memberStatuses(t *testing.T, addr string) map[string]string {
	t.Helper()
	res := concord(t, "members", "-http-addr="+addr)
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(res.stdout), "\n")[1:] {
		if f := strings.Fields(line); len(f) > 2 {
			out[f[0]] = f[2]
		}
	}
	return out
}

// waitStatus waits until `concord members` at addr shows node as status.
func waitStatus(t *testing.T, addr, node, status string) {
	t.Helper()
	testutil.Run(t, clusterTimeout, func(r *testutil.R) {
		if got := memberStatuses(t, addr); got[node] != status {
			r.Fatalf("concord members: %s is %q (all: %v), want %s", node, got[node], got, status)
		}
	})
}

func TestClusterMembersInfoOperator(t *testing.T) {
	t.Parallel()
	srv, clients := startClusterAgents(t, "c1")
	c1 := clients[0]
	waitStatus(t, srv.Addr, "c1", "alive")

	res := concord(t, "members", "-http-addr="+srv.Addr)
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	wantRows := [][]string{
		{"Node", "Address", "Status", "Type", "Build", "Protocol", "DC", "Partition", "Segment"},
		{"srv", srv.serf, "alive", "server", "*", "2", "dc1", "default", "<all>"},
		{"c1", c1.serf, "alive", "client", "*", "2", "dc1", "default", "<default>"},
	}
	if res.code != 0 || len(lines) != len(wantRows) {
		t.Fatalf("concord members = exit %d, %q; want 3 lines", res.code, res.stdout)
	}
	for i, want := range wantRows {
		got := strings.Fields(lines[i])
		ok := len(got) == len(want)
		for j := 0; ok && j < len(want); j++ {
			ok = want[j] == "*" || got[j] == want[j]
		}
		if !ok {
			t.Errorf("concord members line %d = %q, want fields %q", i, lines[i], want)
		}
	}
	res = concord(t, "members", "-detailed", "-http-addr="+c1.Addr)
	if res.code != 0 || !strings.HasPrefix(res.stdout, "Node") || !strings.Contains(res.stdout, "role=consul") ||
		!strings.Contains(res.stdout, "role=node") || !strings.Contains(strings.Split(res.stdout, "\n")[0], "Tags") {
		t.Errorf("concord members -detailed = exit %d, %q; want a Tags column with both roles", res.code, res.stdout)
	}
	concord(t, "members", "-status=fail", "-http-addr="+srv.Addr).want(t, "members -status=fail", 2, "", "")
	res = concord(t, "members", "-status=(", "-http-addr="+srv.Addr)
	if res.code != 1 || !strings.Contains(res.stderr, "Failed to compile status regexp") {
		t.Errorf("concord members -status=( = exit %d, stderr %q; want 1 and a regexp error", res.code, res.stderr)
	}

	res = concord(t, "info", "-http-addr="+srv.Addr)
	for _, want := range []string{"agent:\n\tchecks = ", "build:\n", "consul:\n", "\tleader = true\n", "\tserver = true\n",
		"raft:\n", "\tstate = Leader\n", "runtime:\n", "serf_lan:\n", "\tmembers = 2\n"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("concord info output lacks %q:\n%s", want, res.stdout)
		}
	}
	res = concord(t, "info", "-http-addr="+c1.Addr)
	if res.code != 0 || strings.Contains(res.stdout, "raft:") || !strings.Contains(res.stdout, "\tserver = false\n") {
		t.Errorf("concord info on a client agent = exit %d, %q; want no raft group and server = false", res.code, res.stdout)
	}

	// A client agent answers list-peers from the servers, over RPC.
	for _, addr := range []string{srv.Addr, c1.Addr} {
		res = concord(t, "operator", "raft", "list-peers", "-http-addr="+addr)
		lines = strings.Split(strings.TrimSpace(res.stdout), "\n")
		if res.code != 0 || len(lines) != 2 || strings.Join(strings.Fields(lines[0]), " ") != "Node ID Address State Voter RaftProtocol" {
			t.Fatalf("concord operator raft list-peers = exit %d, %q, stderr %q; want a header and one server", res.code, res.stdout, res.stderr)
		}
		if f := strings.Fields(lines[1]); len(f) != 6 || f[0] != "srv" || f[3] != "leader" || f[4] != "true" || f[5] != "3" {
			t.Errorf("concord operator raft list-peers row = %q, want srv ... leader true 3", lines[1])
		}
	}
	concord(t, "operator", "raft", "remove-peer", "-http-addr="+srv.Addr).
		want(t, "operator raft remove-peer", 1, "", "Error! One of -id or -address is required\n")
	concord(t, "operator", "raft", "remove-peer", "-id=a", "-address=b", "-http-addr="+srv.Addr).
		want(t, "operator raft remove-peer -id -address", 1, "", "Error! Only one of -id or -address may be given\n")
}

func TestClusterJoinForceLeaveLeave(t *testing.T) {
	t.Parallel()
	srv, clients := startClusterAgents(t, "c1", "c2")
	c1, c2 := clients[0], clients[1]
	waitStatus(t, srv.Addr, "c2", "alive")

	concord(t, "join", "-http-addr="+c1.Addr, c2.serf).
		want(t, "join", 0, "Successfully joined cluster by contacting 1 nodes.\n", "")
	res := concord(t, "join", "-http-addr="+c1.Addr, "127.0.0.1:1")
	if res.code != 1 || !strings.HasSuffix(res.stderr, "Failed to join any nodes.\n") {
		t.Errorf("concord join 127.0.0.1:1 = exit %d, stderr %q; want 1, Failed to join any nodes.", res.code, res.stderr)
	}
	concord(t, "join", "-http-addr="+c1.Addr).
		want(t, "join with no address", 1, "", "At least one address to join must be specified.\n")

	// c2 dies without leaving: gossip marks it failed; force-leave makes it left.
	c2.Cmd.Process.Kill()
	<-c2.Done
	waitStatus(t, srv.Addr, "c2", "failed")
	concord(t, "force-leave", "-http-addr="+srv.Addr, "c2").want(t, "force-leave c2", 0, "", "")
	waitStatus(t, srv.Addr, "c2", "left")
	res = concord(t, "force-leave", "-http-addr="+srv.Addr, "nobody")
	if res.code != 1 || !strings.Contains(res.stderr, "No node found with name 'nobody'") {
		t.Errorf("concord force-leave nobody = exit %d, stderr %q; want 1, no node found", res.code, res.stderr)
	}
	concord(t, "force-leave", "-http-addr="+srv.Addr).
		want(t, "force-leave with no node", 1, "", "A node name must be specified to force leave.\n")

	// c1 leaves gracefully: the command returns once it has, then the
	// process exits by itself and the others see it left.
	concord(t, "leave", "-http-addr="+c1.Addr).want(t, "leave", 0, "Graceful leave complete\n", "")
	if !c1.WaitExit(10 * time.Second) {
		t.Fatal("c1 still running 10s after concord leave")
	}
	if code := c1.Cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("c1 exit code after leave = %d, want 0", code)
	}
	waitStatus(t, srv.Addr, "c1", "left")
}

func TestClusterMonitor(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := startGossipAgent(t, "srv", "-dev", "-server-port="+strconv.Itoa(testutil.FreePort(t)), "-config-dir="+dir)

	cmd := exec.Command(binary, "monitor", "-log-level=info", "-http-addr="+srv.Addr)
	cmd.Env = cleanEnv()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("cannot start concord monitor: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()

	// The agent logs at warn; a reload logs at info, which the monitor
	// asked for. Reload until the line shows, as the monitor may not have
	// subscribed yet.
	deadline := time.After(clusterTimeout)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for seen := false; !seen; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("concord monitor ended early; stderr %q", stderr.String())
			}
			seen = strings.Contains(l, "configuration reloaded") && strings.Contains(l, "[INFO]")
		case <-tick.C:
			concord(t, "reload", "-http-addr="+srv.Addr)
		case <-deadline:
			t.Fatalf("concord monitor showed no reload line after %v", clusterTimeout)
		}
	}
	if strings.Contains(srv.Out.String(), "configuration reloaded") {
		t.Errorf("the agent's own log (at warn) has the info line; want it only in the monitor")
	}

	cmd.Process.Signal(syscall.SIGINT)
	for range lines { // until the monitor closes its output
	}
	err = cmd.Wait()
	if err != nil {
		t.Errorf("concord monitor after SIGINT: %v (stderr %q), want exit 0", err, stderr.String())
	}

	concord(t, "monitor", "-log-level=loud", "-http-addr="+srv.Addr).want(t, "monitor -log-level=loud", 1, "",
		"Error starting monitor: Unexpected response code: 400 (Unknown log level: loud)\n")
}
