package cluster_test

import (
	"os"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/testutil"
	consul "github.com/hashicorp/consul/api"
)

// binary is the concord binary TestMain builds once for the package.
var binary string

func TestMain(m *testing.M) { os.Exit(testutil.RunWithConcord(m, &binary)) }

// client returns a Consul API client for node n.
func client(t testing.TB, n *testutil.Node) *consul.Client {
	t.Helper()
	c, err := consul.NewClient(&consul.Config{Address: n.HTTPAddr})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// serfStatus returns node's serfHealth status in the catalog ("" when the
// node is not registered), read from via.
func serfStatus(t testing.TB, via *consul.Client, node string) string {
	t.Helper()
	checks, _, err := via.Health().Node(node, nil)
	if err != nil {
		return "error: " + err.Error()
	}
	for _, c := range checks {
		if c.CheckID == "serfHealth" {
			return c.Status
		}
	}
	return ""
}

// memberStatus returns how node appears in via's member list (serf's
// numeric status; -1 when absent).
func memberStatus(t testing.TB, via *consul.Client, node string) int {
	t.Helper()
	members, err := via.Agent().Members(false)
	if err != nil {
		return -2
	}
	for _, m := range members {
		if m.Name == node {
			return m.Status
		}
	}
	return -1
}

// Serf member statuses.
const (
	statusAlive  = 1
	statusLeft   = 3
	statusFailed = 4
)

// waitFor retries fn for up to d.
func waitFor(t testing.TB, d time.Duration, fn func(r *testutil.R)) {
	t.Helper()
	testutil.Run(t, d, fn)
}
