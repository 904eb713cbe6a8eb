package crash_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/testutil"
)

// binary is the concord binary TestMain builds once for the package.
var binary string

func TestMain(m *testing.M) { os.Exit(testutil.RunWithConcord(m, &binary)) }

// agentProc is one `concord agent` subprocess on loopback.
type agentProc = testutil.AgentProc

// startDurable starts a single durable server over dataDir on fresh loopback
// ports and waits until it has a leader. The process is killed at cleanup
// if it is still running.
func startDurable(t *testing.T, dataDir string) *agentProc {
	t.Helper()
	p := spawnDurable(t, dataDir)
	testutil.WaitForLeader(t, p.Addr)
	return p
}

// spawnDurable is startDurable without waiting: the agent may yet fail.
func spawnDurable(t *testing.T, dataDir string) *agentProc {
	t.Helper()
	httpPort, serverPort := testutil.FreePort(t), testutil.FreePort(t)
	return testutil.SpawnAgentProcess(t, binary, nil, httpPort, "-server", "-bootstrap-expect=1",
		"-data-dir="+dataDir, "-node=n1", "-bind=127.0.0.1", "-client=127.0.0.1",
		"-http-port="+strconv.Itoa(httpPort), "-server-port="+strconv.Itoa(serverPort),
		"-log-level=warn")
}

// kill sends SIGKILL and waits for the process to be reaped.
func kill(t *testing.T, p *agentProc) {
	t.Helper()
	if err := p.Cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("cannot SIGKILL the agent: %v", err)
	}
	if !p.WaitExit(10 * time.Second) {
		t.Fatalf("agent still running 10s after SIGKILL")
	}
	ws, ok := p.Cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("agent exited with %v, want death by SIGKILL", p.Cmd.ProcessState)
	}
}

// listTree returns every pair under prefix, as GET ?recurse answers, keyed by
// key, and the X-Consul-Index of the answer. A 404 is an empty tree. mode is
// "" for a default read, or "consistent" or "stale".
func listTree(t *testing.T, addr, prefix, mode string) (map[string]api.KVPair, uint64) {
	t.Helper()
	return listKV(t, addr, prefix, "recurse", mode)
}

// listKeys is listTree for ?keys: the pairs it returns hold only keys.
func listKeys(t *testing.T, addr, prefix, mode string) map[string]api.KVPair {
	t.Helper()
	tree, _ := listKV(t, addr, prefix, "keys", mode)
	return tree
}

// listKV is listTree ("recurse") and listKeys ("keys").
func listKV(t *testing.T, addr, prefix, what, mode string) (map[string]api.KVPair, uint64) {
	t.Helper()
	query := what
	if mode != "" {
		query += "&" + mode
	}
	resp, err := http.Get("http://" + addr + "/v1/kv/" + prefix + "?" + query)
	if err != nil {
		t.Fatalf("GET /v1/kv/%s?%s: %v", prefix, query, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET /v1/kv/%s?%s: reading body: %v", prefix, query, err)
	}
	index, _ := strconv.ParseUint(resp.Header.Get("X-Consul-Index"), 10, 64)
	tree := make(map[string]api.KVPair)
	switch resp.StatusCode {
	case http.StatusNotFound:
		return tree, index
	case http.StatusOK:
	default:
		t.Fatalf("GET /v1/kv/%s?%s = %d %s, want 200", prefix, query, resp.StatusCode, body)
	}
	var pairs []api.KVPair
	if what == "keys" {
		var keys []string
		err = json.Unmarshal(body, &keys)
		for _, k := range keys {
			pairs = append(pairs, api.KVPair{Key: k})
		}
	} else {
		err = json.Unmarshal(body, &pairs)
	}
	if err != nil {
		t.Fatalf("GET /v1/kv/%s?%s: cannot decode %d bytes: %v", prefix, query, len(body), err)
	}
	for _, p := range pairs {
		tree[p.Key] = p
	}
	return tree, index
}

// put writes value at key over c and reports whether the agent acknowledged
// it: HTTP 200 with the body true.
func put(c *http.Client, addr, key, value string) (bool, error) {
	req, err := http.NewRequest(http.MethodPut, "http://"+addr+"/v1/kv/"+key, strings.NewReader(value))
	if err != nil {
		return false, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return false, err
	}
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("PUT %s = %d %s", key, resp.StatusCode, bytes.TrimSpace(body))
	}
	return strings.TrimSpace(string(body)) == "true", nil
}
