package cli_test

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/testutil"
)

// agentServiceIDs returns the IDs of the services registered on the agent.
func agentServiceIDs(t *testing.T, addr string) []string {
	t.Helper()
	var services map[string]any
	if code := getJSON(t, addr, "/v1/agent/services", &services); code != 200 {
		t.Fatalf("GET /v1/agent/services = %d", code)
	}
	var ids []string
	for id := range services {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// TestReloadAppliesConfigServices: `concord reload` and SIGHUP load the
// config dir again; services added there appear and removed ones go.
func TestReloadAppliesConfigServices(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "one.hcl", "service {\n  name = \"one\"\n  port = 1\n}\n")
	httpPort := testutil.FreePort(t)
	p := startAgent(t, httpPort, "-dev", "-node=reload", "-log-level=warn", "-config-dir="+dir,
		"-http-port="+strconv.Itoa(httpPort), "-server-port="+strconv.Itoa(testutil.FreePort(t)))

	if got := agentServiceIDs(t, p.Addr); !slices.Equal(got, []string{"one"}) {
		t.Fatalf("services at start = %v, want [one]", got)
	}

	// `concord reload` after swapping the files.
	if err := os.Remove(filepath.Join(dir, "one.hcl")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "two.hcl", "service {\n  name = \"two\"\n  port = 2\n}\n")
	res := concord(t, "reload", "-http-addr="+p.Addr)
	res.want(t, "reload", 0, "Configuration reload triggered\n", "")
	if got := agentServiceIDs(t, p.Addr); !slices.Equal(got, []string{"two"}) {
		t.Fatalf("services after concord reload = %v, want [two]", got)
	}

	// SIGHUP does the same.
	writeFile(t, dir, "three.hcl", "services = [{ name = \"three\", port = 3 }]\n")
	if err := p.Cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	testutil.Run(t, 10*time.Second, func(r *testutil.R) {
		if got := agentServiceIDs(t, p.Addr); !slices.Equal(got, []string{"three", "two"}) {
			r.Fatalf("services after SIGHUP = %v, want [three two]", got)
		}
	})
}
