package cli_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/concordhq/concord/internal/testutil"
)

// TestExecWithACLs: with ACLs on, concord exec runs with the token it is
// given (the job's keys, session and event are written with it) and the
// agent runs the job with its own agent token; without a token the job is
// refused with the 403 and nothing is left behind.
func TestExecWithACLs(t *testing.T) {
	const root = "6f1c9b1e-0e4a-4c44-9a3c-2d4b1f0e5a77"
	conf := writeFile(t, t.TempDir(), "acl.hcl", `disable_remote_exec = false
acl {
  enabled        = true
  default_policy = "deny"
  tokens {
    initial_management = "`+root+`"
    agent              = "`+root+`"
  }
}`)
	httpPort := testutil.FreePort(t)
	a := startAgent(t, httpPort, "-dev", "-node=cli", "-log-level=error", "-config-file="+conf,
		"-http-port="+strconv.Itoa(httpPort), "-server-port="+strconv.Itoa(testutil.FreePort(t)))

	withToken := run{env: []string{"CONSUL_HTTP_TOKEN=" + root}}
	withToken.concord(t, "exec", "-http-addr="+a.Addr, "-wait=1s", "echo hi").want(t, "exec with the management token", 0,
		"cli: hi\ncli: finished with exit code 0\n1 / 1 node(s) completed / acknowledged\n", "")

	res := concord(t, "exec", "-http-addr="+a.Addr, "-wait=1s", "echo hi")
	if res.code == 0 || !strings.Contains(res.stderr, "403") {
		t.Errorf("exec without a token = exit %d, stdout %q, stderr %q; want refused with 403", res.code, res.stdout, res.stderr)
	}
	if out := withToken.concord(t, "kv", "get", "-http-addr="+a.Addr, "-recurse", "_rexec/"); out.stdout != "" {
		t.Errorf("keys left under _rexec/: %q", out.stdout)
	}
}
