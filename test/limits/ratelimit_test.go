// Package limits tests the agent's limits as a user meets them, on real
// `concord agent` processes: a server's request rate limits
// (limits.request_limits) through the official Go client, at the server
// and through a client agent, changed by `concord reload`; and the HTTPS
// handshake timeout (limits.https_handshake_timeout).
package limits

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/concordhq/concord/internal/testutil"
	consul "github.com/hashicorp/consul/api"
)

// binary is the concord binary TestMain builds once for the package.
var binary string

func TestMain(m *testing.M) { os.Exit(testutil.RunWithConcord(m, &binary)) }

// writeLimits writes the request_limits config of mode: writes at one per
// ten seconds, so a bucket holds one write (Consul's burst of ten
// seconds, at least one call) and a second write within seconds is past
// the rate whatever the machine's speed; reads unlimited.
func writeLimits(t *testing.T, path, mode string) {
	t.Helper()
	hcl := fmt.Sprintf("limits {\n  request_limits {\n    mode = %q\n    write_rate = 0.1\n  }\n}\n", mode)
	if err := os.WriteFile(path, []byte(hcl), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestRequestLimits runs one server and one client agent through the
// three modes, switching with `concord reload` (the agent API's reload,
// as the CLI sends it):
//   - disabled: every write is answered and nothing is counted;
//   - enforcing: past the write rate, writes get 429 with Retry-After and
//     Consul's text, at the server and through the client agent (the
//     server's refusal crosses RPC), while reads are all answered; the
//     server counts them in rpc.rate_limit.exceeded;
//   - permissive: writes past the rate are answered, and counted.
func TestRequestLimits(t *testing.T) {
	file := filepath.Join(t.TempDir(), "limits.hcl")
	writeLimits(t, file, "disabled")
	c := testutil.StartCluster(t, binary, 1, 1, "-config-file="+file)
	server, client := c.Servers()[0], c.Clients()[0]
	agents := []*testutil.Node{server, client}

	reload := func(mode string) {
		t.Helper()
		writeLimits(t, file, mode)
		for _, n := range agents {
			if err := newClient(t, n.HTTPAddr).Agent().Reload(); err != nil {
				t.Fatalf("reload %s to %s: %v", n.Name, mode, err)
			}
		}
	}

	t.Run("disabled", func(t *testing.T) {
		for _, n := range agents {
			if refused := putKeys(t, n, 5); refused != 0 {
				t.Errorf("%s: %d of 5 writes refused with request limits disabled", n.Name, refused)
			}
		}
		if got := exceeded(t, server, "global/write", ""); got != 0 {
			t.Errorf("rpc.rate_limit.exceeded = %v with limits disabled, want nothing counted", got)
		}
	})

	t.Run("enforcing", func(t *testing.T) {
		reload("enforcing")
		for _, n := range agents {
			// One token at most is left: of five writes, four at least
			// are past the rate.
			if refused := putKeys(t, n, 5); refused < 4 {
				t.Errorf("%s: %d of 5 writes refused, want at least 4 past write_rate 0.1", n.Name, refused)
			}
			wantRetryAfter(t, n)
			kv := newClient(t, n.HTTPAddr).KV()
			for i := range 20 {
				if _, _, err := kv.Get("limits/k0", nil); err != nil {
					t.Fatalf("%s: read %d = %v, want reads unlimited", n.Name, i, err)
				}
			}
		}
		if got := exceeded(t, server, "global/write", "enforcing"); got < 8 {
			t.Errorf("rpc.rate_limit.exceeded{mode=enforcing} = %v, want the 8+ refused writes counted", got)
		}
		if got := exceeded(t, server, "global/read", ""); got != 0 {
			t.Errorf("rpc.rate_limit.exceeded{limit_type=global/read} = %v, want no read counted", got)
		}
	})

	t.Run("permissive", func(t *testing.T) {
		reload("permissive")
		before := exceeded(t, server, "global/write", "permissive")
		for _, n := range agents {
			if refused := putKeys(t, n, 5); refused != 0 {
				t.Errorf("%s: %d of 5 writes refused in permissive mode, want all answered", n.Name, refused)
			}
		}
		// The bucket was left empty by the enforcing phase (a reload with
		// the same rate keeps it): most of the ten writes are past it.
		if got := exceeded(t, server, "global/write", "permissive") - before; got < 8 {
			t.Errorf("rpc.rate_limit.exceeded{mode=permissive} grew by %v, want the 8+ writes past the rate counted", got)
		}
	})
}

func newClient(t *testing.T, addr string) *consul.Client {
	t.Helper()
	c, err := consul.NewClient(&consul.Config{Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// putKeys makes n KV writes through node's HTTP API with the official
// client and returns how many were refused with 429. Any other error
// fails the test.
func putKeys(t *testing.T, node *testutil.Node, n int) (refused int) {
	t.Helper()
	kv := newClient(t, node.HTTPAddr).KV()
	for i := range n {
		_, err := kv.Put(&consul.KVPair{Key: "limits/k" + strconv.Itoa(i), Value: []byte("v")}, nil)
		var se consul.StatusError
		switch {
		case err == nil:
		case errors.As(err, &se) && se.Code == http.StatusTooManyRequests:
			if !strings.Contains(se.Body, "rate limit exceeded") {
				t.Errorf("%s: 429 body = %q, want Consul's rate limit text", node.Name, se.Body)
			}
			refused++
		default:
			t.Fatalf("%s: Put = %v, want success or 429", node.Name, err)
		}
	}
	return refused
}

// wantRetryAfter makes one more write, past the rate, and checks the
// 429's Retry-After: whole seconds, at most the ten a token takes.
func wantRetryAfter(t *testing.T, node *testutil.Node) {
	t.Helper()
	req, _ := http.NewRequest("PUT", "http://"+node.HTTPAddr+"/v1/kv/limits/raw", strings.NewReader("v"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if resp.StatusCode != http.StatusTooManyRequests || err != nil || secs < 1 || secs > 10 {
		t.Errorf("%s: PUT past the rate = %d, Retry-After %q; want 429 with 1-10 seconds",
			node.Name, resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

// exceeded sums node's consul_rpc_rate_limit_exceeded series of
// limitType, and of mode unless "".
func exceeded(t *testing.T, node *testutil.Node, limitType, mode string) float64 {
	t.Helper()
	return testutil.MetricsSum(t, node.HTTPAddr, func(name, labels string) bool {
		return name == "consul_rpc_rate_limit_exceeded" && strings.Contains(labels, `limit_type="`+limitType+`"`) &&
			(mode == "" || strings.Contains(labels, `mode="`+mode+`"`))
	})
}
