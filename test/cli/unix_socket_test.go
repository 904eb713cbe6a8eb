package cli_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/testutil"
	consulapi "github.com/hashicorp/consul/api"
)

// TestHTTPOnUnixSocket: addresses.http = "unix:///path" serves the HTTP API
// on a unix socket, which the official client and the CLI reach with a
// unix:// address; a socket file left by an earlier run does not stop it.
func TestHTTPOnUnixSocket(t *testing.T) {
	dir, err := os.MkdirTemp("", "concord-sock") // short: socket paths are limited to ~100 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "http.sock")
	if err := os.WriteFile(sock, nil, 0o600); err != nil { // stale, as after a crash
		t.Fatal(err)
	}
	testutil.SpawnAgentProcess(t, binary, nil, 0, "-dev", "-node=sock", "-log-level=warn",
		"-hcl=addresses { http = \"unix://"+sock+"\" }", "-server-port="+strconv.Itoa(testutil.FreePort(t)))

	c, err := consulapi.NewClient(&consulapi.Config{Address: "unix://" + sock})
	if err != nil {
		t.Fatal(err)
	}
	testutil.Run(t, 20*time.Second, func(r *testutil.R) {
		if leader, err := c.Status().Leader(); err != nil || leader == "" {
			r.Fatalf("leader over the socket: %q, %v", leader, err)
		}
	})
	self, err := c.Agent().Self()
	if err != nil || self["Config"]["NodeName"] != "sock" {
		t.Fatalf("agent self over the socket: %v, %v", self["Config"], err)
	}
	concord(t, "kv", "put", "-http-addr=unix://"+sock, "sock/k", "v").want(t, "kv put over the socket", 0,
		"Success! Data written to: sock/k\n", "")
	if res := concord(t, "kv", "get", "-http-addr=unix://"+sock, "sock/k"); strings.TrimSpace(res.stdout) != "v" {
		t.Errorf("kv get over the socket = %+v, want v", res)
	}
}
