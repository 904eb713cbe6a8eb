// Package scale is the short version of the scale harness (make scale,
// scripts/scale.sh): 3 servers and 20 client agents as processes, each
// agent with 5 services and their checks. It asserts what must hold at any
// size (convergence, fan-out to every watcher, a killed agent failed and no
// other), not timings; the figures come from make scale.
package scale

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	consul "github.com/hashicorp/consul/api"

	"github.com/concordhq/concord/internal/testutil"
)

var binary string

func TestMain(m *testing.M) { os.Exit(testutil.RunWithConcord(m, &binary)) }

const (
	servers  = 3
	clients  = 20
	services = 5 // per client agent

	// Serf member statuses, as /v1/agent/members gives them.
	statusAlive  = 1
	statusFailed = 4
)

// servicesHCL defines the services every client agent registers, each
// with a TTL check that starts passing.
func servicesHCL() string {
	var b strings.Builder
	for k := 1; k <= services; k++ {
		fmt.Fprintf(&b, "service { name = \"svc-%d\" port = %d check { ttl = \"1h\" status = \"passing\" } }\n", k, 9000+k)
	}
	return b.String()
}

func client(t *testing.T, n *testutil.Node) *consul.Client {
	t.Helper()
	c, err := consul.NewClient(&consul.Config{Address: n.HTTPAddr})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// gossipSent is the bytes node's gossip has sent (UDP and TCP, LAN and
// WAN), from memberlist's counters in its Prometheus metrics.
func gossipSent(t *testing.T, n *testutil.Node) float64 {
	return testutil.MetricsSum(t, n.HTTPAddr, func(name, _ string) bool {
		return name == "consul_memberlist_udp_sent" || name == "consul_memberlist_tcp_sent"
	})
}

// TestClusterOfTwentyAgents forms the cluster and checks, in order: every
// member alive and every instance passing in the catalog; every agent's
// gossip traffic counted under Consul's metric names (the log gives the
// bytes/s per agent from the convergence to the end); one change of a
// service wakes a blocking health query on each of the 20 agents; an agent
// killed with -9 is marked failed while every other member stays alive.
func TestClusterOfTwentyAgents(t *testing.T) {
	svcs := servicesHCL()
	c := testutil.StartClusterWith(t, binary, servers, clients, func(n *testutil.Node) []string {
		if n.Server {
			return nil
		}
		return []string{"-hcl", svcs}
	}, "-log-level=warn")
	leader := client(t, c.Leader(t))
	agents := c.Clients()

	// Convergence: 23 members alive, 100 instances passing.
	testutil.Run(t, 60*time.Second, func(r *testutil.R) {
		members, err := leader.Agent().Members(false)
		if err != nil {
			r.Fatalf("members: %v", err)
		}
		alive := 0
		for _, m := range members {
			if m.Status == statusAlive {
				alive++
			}
		}
		if alive != servers+clients {
			r.Fatalf("%d members alive, want %d", alive, servers+clients)
		}
		for k := 1; k <= services; k++ {
			entries, _, err := leader.Health().Service(fmt.Sprintf("svc-%d", k), "", true, nil)
			if err != nil || len(entries) != clients {
				r.Fatalf("svc-%d: %d passing instances (%v), want %d", k, len(entries), err, clients)
			}
		}
	})

	// Gossip traffic: every agent has sent some, counted in its metrics.
	sent0, t0 := make([]float64, len(agents)), time.Now()
	for i, a := range agents {
		if sent0[i] = gossipSent(t, a); sent0[i] == 0 {
			t.Errorf("%s: consul_memberlist_udp_sent + tcp_sent = 0 after joining, want the bytes its gossip sent", a.Name)
		}
	}

	// Fan-out: a blocking query per agent on one service; one registration
	// through a server wakes each with the new instance.
	_, meta, err := leader.Health().Service("fan", "", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	var armed, woke sync.WaitGroup
	errs := make([]error, len(agents))
	for i, a := range agents {
		armed.Add(1)
		woke.Add(1)
		go func() {
			defer woke.Done()
			ac := client(t, a)
			opts := &consul.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: 30 * time.Second}
			armed.Done()
			deadline := time.Now().Add(30 * time.Second)
			for time.Now().Before(deadline) {
				entries, m, err := ac.Health().Service("fan", "", false, opts)
				switch {
				case err != nil:
					errs[i] = fmt.Errorf("%s: %v", a.Name, err)
					return
				case len(entries) == 1:
					return
				}
				opts.WaitIndex = m.LastIndex
			}
			errs[i] = fmt.Errorf("%s: no instance of fan after 30 s", a.Name)
		}()
	}
	armed.Wait()
	reg := &consul.CatalogRegistration{Node: "fan-node", Address: "127.0.0.1",
		Service: &consul.AgentService{Service: "fan", Port: 80}}
	if _, err := leader.Catalog().Register(reg, nil); err != nil {
		t.Fatal(err)
	}
	woke.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}

	// A killed agent is failed; nobody else is.
	victim := agents[0]
	victim.Kill()
	testutil.Run(t, 30*time.Second, func(r *testutil.R) {
		members, err := leader.Agent().Members(false)
		if err != nil {
			r.Fatalf("members: %v", err)
		}
		for _, m := range members {
			if m.Name == victim.Name && m.Status != statusFailed {
				r.Fatalf("killed %s has status %d, want failed", m.Name, m.Status)
			}
		}
	})
	members, err := leader.Agent().Members(false)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		if m.Name != victim.Name && m.Status != statusAlive {
			t.Errorf("member %s has status %d after %s was killed, want alive", m.Name, m.Status, victim.Name)
		}
	}

	var sent float64
	for i, a := range agents[1:] {
		sent += gossipSent(t, a) - sent0[i+1]
	}
	secs := time.Since(t0).Seconds()
	t.Logf("gossip sent per agent: %.0f bytes/s (mean over the %d live agents, %.1f s from convergence to the kill's detection)",
		sent/float64(len(agents)-1)/secs, len(agents)-1, secs)
}
