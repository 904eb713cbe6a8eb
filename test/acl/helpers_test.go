package acl_test

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/testutil"
	consul "github.com/hashicorp/consul/api"
)

// binary is the concord binary TestMain builds once for the package.
var binary string

func TestMain(m *testing.M) { os.Exit(testutil.RunWithConcord(m, &binary)) }

// rootSecret is the cluster's initial management token, also the agents'
// own token.
const rootSecret = "3f1c2a3e-0000-4000-8000-00000000root"

// aclHCL turns ACLs on with default deny.
const aclHCL = `acl { enabled = true default_policy = "deny" token_ttl = "1s"
  tokens { initial_management = "` + rootSecret + `" agent = "` + rootSecret + `" } }`

// aclCluster is one server and one client agent with ACLs on.
type aclCluster struct {
	server, client string // HTTP addresses
	rpc            string // the server's server port
	dns            string // the server's DNS address
	serverNode     string
}

// startACLCluster starts the cluster and waits until both agents are in
// the catalog.
func startACLCluster(t *testing.T) *aclCluster {
	t.Helper()
	port := func() int { return testutil.FreePort(t) }
	sHTTP, sRPC, sSerf, sDNS := port(), port(), port(), port()
	cHTTP, cSerf := port(), port()
	addr := func(p int) string { return "127.0.0.1:" + strconv.Itoa(p) }
	common := func(name string, http, serf int) []string {
		return []string{"-node=" + name, "-data-dir=" + t.TempDir(), "-bind=127.0.0.1", "-client=127.0.0.1",
			"-http-port=" + strconv.Itoa(http), "-serf-lan-port=" + strconv.Itoa(serf), "-hcl=" + aclHCL,
			"-log-level=info"}
	}
	testutil.SpawnAgentProcess(t, binary, nil, sHTTP, append(common("s1", sHTTP, sSerf),
		"-server", "-bootstrap-expect=1", "-server-port="+strconv.Itoa(sRPC), "-dns-port="+strconv.Itoa(sDNS))...)
	testutil.SpawnAgentProcess(t, binary, nil, cHTTP, append(common("c1", cHTTP, cSerf),
		"-retry-join="+addr(sSerf), "-retry-interval=200ms")...)
	c := &aclCluster{server: addr(sHTTP), client: addr(cHTTP), rpc: addr(sRPC), dns: addr(sDNS), serverNode: "s1"}
	root := c.api(t, c.server, rootSecret)
	testutil.Run(t, 20*time.Second, func(r *testutil.R) {
		nodes, _, err := root.Catalog().Nodes(nil)
		if err != nil || len(nodes) < 2 {
			r.Fatalf("catalog nodes = %d, %v; want s1 and c1", len(nodes), err)
		}
	})
	return c
}

// api returns an official client for the agent at addr with token ("" for
// none).
func (c *aclCluster) api(t testing.TB, addr, token string) *consul.Client {
	t.Helper()
	cl, err := consul.NewClient(&consul.Config{Address: addr, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// outcome names what a request got: "ok", "denied" (403 Permission
// denied), "acl-not-found" (403 ACL not found), or the error's text.
func outcome(err error) string {
	if err == nil {
		return "ok"
	}
	var se consul.StatusError
	msg := err.Error()
	if errors.As(err, &se) {
		msg = se.Body
	}
	switch {
	case strings.Contains(msg, "ACL not found"):
		return "acl-not-found"
	case strings.Contains(msg, "Permission denied"):
		return "denied"
	}
	return msg
}
