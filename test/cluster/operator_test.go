package cluster_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/testutil"
	consul "github.com/hashicorp/consul/api"
)

// Gossip keys for the rotation test (16 bytes each, base64).
const (
	oldKey = "d8wu8CSUrqgtjVsvcBPmhQ=="
	newKey = "qxycTi/SsePj/TZzCBmNXw=="
)

// TestOperatorOnRunningCluster shares one encrypted cluster of 3 servers
// and a client agent, driven through the official client: autopilot
// health seen through the client agent, a leadership transfer to a chosen
// server, a key rotation without a restart (install, use, remove), a
// restarted agent that keeps the rotated key although its -encrypt still
// names the old one, an agent with the old key refused, and a fourth
// server that votes only after the stabilization time.
func TestOperatorOnRunningCluster(t *testing.T) {
	c := testutil.StartCluster(t, binary, 3, 1, "-encrypt="+oldKey,
		`-hcl=autopilot { server_stabilization_time = "2s" }`)
	cl := c.Clients()[0]
	viaClient := client(t, cl)
	op := viaClient.Operator()

	t.Run("health", func(t *testing.T) {
		waitFor(t, 15*time.Second, func(r *testutil.R) {
			h, err := op.AutopilotServerHealth(nil)
			if err != nil {
				r.Fatalf("AutopilotServerHealth: %v", err)
			}
			leaders, voters := 0, 0
			for _, s := range h.Servers {
				if !s.Healthy || s.SerfStatus != "alive" || s.LastIndex == 0 {
					r.Fatalf("server %s: %+v", s.Name, s)
				}
				if s.Leader {
					leaders++
				}
				if s.Voter {
					voters++
				}
			}
			if !h.Healthy || h.FailureTolerance != 1 || len(h.Servers) != 3 || leaders != 1 || voters != 3 {
				r.Fatalf("health = %+v; want 3 healthy voters, one leader, failure tolerance 1", h)
			}
		})
		st, err := op.AutopilotState(nil)
		if err != nil || len(st.Voters) != 3 || st.OptimisticFailureTolerance != 1 || st.Servers[st.Leader].Status != consul.AutopilotServerLeader {
			t.Fatalf("AutopilotState() = %+v, %v", st, err)
		}
	})

	t.Run("transfer-leader to a chosen server", func(t *testing.T) {
		target := c.Followers(t)[0]
		id := raftID(t, viaClient, target.RaftAddr)
		resp, err := op.RaftLeaderTransfer(id, nil)
		if err != nil || !resp.Success {
			t.Fatalf("RaftLeaderTransfer(%s) = %+v, %v", target.Name, resp, err)
		}
		waitFor(t, 10*time.Second, func(r *testutil.R) {
			if leader := c.Leader(t); leader != target {
				r.Fatalf("leader is %s, want %s", leader.Name, target.Name)
			}
		})
	})

	t.Run("key rotation", func(t *testing.T) {
		nodes := len(c.Nodes)
		// Changes through a server, reads through the client agent: either
		// asks a server, which runs the change on the WAN and LAN pools.
		viaServer := client(t, c.Servers()[1]).Operator()
		if err := viaServer.KeyringInstall(newKey, nil); err != nil {
			t.Fatalf("KeyringInstall: %v", err)
		}
		if l := lanKeyring(t, op); l.Keys[oldKey] != nodes || l.Keys[newKey] != nodes || l.NumNodes != nodes {
			t.Fatalf("after install: %+v; want both keys on all %d agents", l, nodes)
		}
		if err := viaServer.KeyringUse(newKey, nil); err != nil {
			t.Fatalf("KeyringUse: %v", err)
		}
		if err := viaServer.KeyringRemove(oldKey, nil); err != nil {
			t.Fatalf("KeyringRemove(old): %v", err)
		}
		l := lanKeyring(t, op)
		if len(l.Keys) != 1 || l.Keys[newKey] != nodes || l.PrimaryKeys[newKey] != nodes {
			t.Fatalf("after rotation: %+v; want the new key alone, primary on all %d agents", l, nodes)
		}
		// The cluster still gossips: a write reaches every agent's view.
		waitFor(t, 10*time.Second, func(r *testutil.R) {
			if st := memberStatus(t, viaClient, c.Servers()[2].Name); st != statusAlive {
				r.Fatalf("%s status %d after rotation", c.Servers()[2].Name, st)
			}
		})
	})

	top := t // the restarted process must outlive its subtest
	t.Run("a restarted agent keeps the rotated key", func(t *testing.T) {
		cl.Restart(top) // its flags still say -encrypt=<old key>
		testutil.WaitForLeader(t, cl.HTTPAddr)
		viaServer := client(t, c.Servers()[0])
		waitFor(t, 20*time.Second, func(r *testutil.R) {
			if st := memberStatus(t, viaServer, cl.Name); st != statusAlive {
				r.Fatalf("restarted %s has status %d", cl.Name, st)
			}
		})
		l := lanKeyring(t, client(t, cl).Operator())
		if len(l.Keys) != 1 || l.Keys[newKey] != len(c.Nodes) {
			t.Fatalf("keyring after restart: %+v; want the new key alone", l)
		}
	})

	t.Run("an agent with only the old key cannot join", func(t *testing.T) {
		httpPort := testutil.FreePort(t)
		intruder := testutil.SpawnAgentProcess(t, binary, nil, httpPort, "-node=intruder", "-data-dir="+t.TempDir(),
			"-bind=127.0.0.1", "-client=127.0.0.1", fmt.Sprintf("-http-port=%d", httpPort),
			"-encrypt="+oldKey, "-join="+c.Servers()[0].SerfAddr)
		if !intruder.WaitExit(20 * time.Second) {
			t.Fatalf("an agent with the removed key joined (or hung)")
		}
		if st := memberStatus(t, viaClient, "intruder"); st != -1 {
			t.Fatalf("the intruder is a member (status %d)", st)
		}
	})

	t.Run("a new server votes once stable", func(t *testing.T) {
		httpPort, serverPort := testutil.FreePort(t), testutil.FreePort(t)
		s4 := testutil.SpawnAgentProcess(t, binary, nil, httpPort, "-node=s4", "-data-dir="+t.TempDir(),
			"-server", "-bind=127.0.0.1", "-client=127.0.0.1", fmt.Sprintf("-http-port=%d", httpPort),
			fmt.Sprintf("-server-port=%d", serverPort), "-encrypt="+newKey,
			"-retry-join="+c.Servers()[0].SerfAddr, "-retry-interval=200ms")
		addr := fmt.Sprintf("127.0.0.1:%d", serverPort)
		var seen []bool // s4's vote, each time it was seen in the configuration
		waitFor(t, 30*time.Second, func(r *testutil.R) {
			conf, err := viaClient.Operator().RaftGetConfiguration(nil)
			if err != nil {
				r.Fatalf("RaftGetConfiguration: %v", err)
			}
			for _, s := range conf.Servers {
				if s.Address == addr {
					seen = append(seen, s.Voter)
					if s.Voter {
						return
					}
				}
			}
			r.Fatalf("s4 is not a voter yet (seen %v)", seen)
		})
		if len(seen) == 0 || seen[0] {
			t.Fatalf("s4 voted as soon as it was seen (%v); want a non-voter until stable", seen)
		}
		h, err := op.AutopilotServerHealth(nil)
		if err != nil || len(h.Servers) != 4 || h.FailureTolerance != 1 {
			t.Fatalf("health with 4 servers = %+v, %v; want 4 servers, failure tolerance 1", h, err)
		}
		// It leaves again, so the cluster's other subtests stay as they were.
		if err := client(t, &testutil.Node{HTTPAddr: s4.Addr}).Agent().Leave(); err != nil {
			t.Fatalf("s4 leave: %v", err)
		}
		s4.WaitExit(20 * time.Second)
	})
}

// raftID is the Raft ID of the server at raftAddr.
func raftID(t *testing.T, c *consul.Client, raftAddr string) string {
	t.Helper()
	conf, err := c.Operator().RaftGetConfiguration(nil)
	if err != nil {
		t.Fatalf("RaftGetConfiguration: %v", err)
	}
	for _, s := range conf.Servers {
		if s.Address == raftAddr {
			return s.ID
		}
	}
	t.Fatalf("no server at %s in %+v", raftAddr, conf.Servers)
	return ""
}

// lanKeyring lists the keyring and returns the LAN pool's response.
func lanKeyring(t *testing.T, op *consul.Operator) *consul.KeyringResponse {
	t.Helper()
	list, err := op.KeyringList(nil)
	if err != nil {
		t.Fatalf("KeyringList: %v", err)
	}
	for _, l := range list {
		if !l.WAN {
			return l
		}
	}
	t.Fatalf("KeyringList() = %v: no LAN pool", list)
	return nil
}
