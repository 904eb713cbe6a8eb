package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/testutil"
)

// binary is the concord binary TestMain builds once for the package.
var binary string

func TestMain(m *testing.M) { os.Exit(testutil.RunWithConcord(m, &binary)) }

// result is what one concord invocation did.
type result struct {
	code           int
	stdout, stderr string
}

// run is how to invoke concord: extra environment and stdin.
type run struct {
	env   []string // "NAME=value" added to a cleaned environment
	stdin string
	dir   string // working directory; "" is the test's
}

// commandTimeout bounds every concord invocation that should end by itself.
const commandTimeout = 20 * time.Second

// concord runs the binary with args and returns its exit code and output.
// The environment is the test's minus every CONCORD_HTTP_* and CONSUL_HTTP_*
// variable, plus r.env, so the caller decides which agent is reached.
func (r run) concord(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(cleanEnv(), r.env...)
	cmd.Stdin = strings.NewReader(r.stdin)
	cmd.Dir = r.dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("concord %s: still running after %v; killed", strings.Join(args, " "), commandTimeout)
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("concord %s: cannot run: %v", strings.Join(args, " "), err)
	}
	return result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
}

// concord runs the binary with no stdin and the cleaned environment.
func concord(t *testing.T, args ...string) result {
	t.Helper()
	return run{}.concord(t, args...)
}

// kv runs `concord kv sub -http-addr=addr args...`.
func kv(t *testing.T, addr, sub string, args ...string) result {
	t.Helper()
	return concord(t, append([]string{"kv", sub, "-http-addr=" + addr}, args...)...)
}

// cleanEnv is the environment without the variables that pick an agent.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "CONCORD_HTTP_") || strings.HasPrefix(kv, "CONSUL_HTTP_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// want checks an invocation's exit code and exact output.
func (res result) want(t *testing.T, cmd string, code int, stdout, stderr string) {
	t.Helper()
	if res.code != code || res.stdout != stdout || res.stderr != stderr {
		t.Errorf("concord %s = exit %d, stdout %q, stderr %q; want exit %d, stdout %q, stderr %q",
			cmd, res.code, res.stdout, res.stderr, code, stdout, stderr)
	}
}

// agentProc is one `concord agent` subprocess on loopback.
type agentProc = testutil.AgentProc

// startDevAgent starts `concord agent -dev` on fresh loopback ports and waits
// for its leader.
func startDevAgent(t *testing.T) *agentProc {
	t.Helper()
	httpPort := testutil.FreePort(t)
	return startAgent(t, httpPort, "-dev", "-node=cli", "-log-level=warn",
		"-http-port="+strconv.Itoa(httpPort), "-server-port="+strconv.Itoa(testutil.FreePort(t)))
}

// startAgent starts `concord agent args...`, whose HTTP API is on httpPort,
// and waits for its leader. The process is killed at cleanup.
func startAgent(t *testing.T, httpPort int, args ...string) *agentProc {
	t.Helper()
	return testutil.StartAgentProcess(t, binary, cleanEnv(), httpPort, args...)
}

// getJSON GETs path from the agent at addr and decodes the JSON answer into
// v. It returns the status; on 404 v is left alone.
func getJSON(t *testing.T, addr, path string, v any) int {
	t.Helper()
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", path, err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("GET %s: cannot decode %q: %v", path, body, err)
		}
	case http.StatusNotFound:
	default:
		t.Fatalf("GET %s = %d %s", path, resp.StatusCode, body)
	}
	return resp.StatusCode
}

// getPair returns the pair at key read over HTTP, or nil if there is none.
func getPair(t *testing.T, addr, key string) *api.KVPair {
	t.Helper()
	var pairs []api.KVPair
	if getJSON(t, addr, "/v1/kv/"+key, &pairs) != http.StatusOK || len(pairs) == 0 {
		return nil
	}
	return &pairs[0]
}

// listPairs returns every pair under prefix read over HTTP, sorted by key.
func listPairs(t *testing.T, addr, prefix string) []api.KVPair {
	t.Helper()
	var pairs []api.KVPair
	getJSON(t, addr, "/v1/kv/"+prefix+"?recurse", &pairs)
	return pairs
}

// mustPut writes key over the CLI and fails the test if that fails.
func mustPut(t *testing.T, addr string, args ...string) {
	t.Helper()
	if res := kv(t, addr, "put", args...); res.code != 0 {
		t.Fatalf("concord kv put %s = exit %d, stderr %q", strings.Join(args, " "), res.code, res.stderr)
	}
}

// writeFile writes content to name in dir and returns the path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
