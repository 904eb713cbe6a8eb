package cli_test

import (
	"errors"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/concordhq/concord/internal/testutil"
)

// startExecAgent starts a dev agent named cli, with remote exec allowed or
// not (the default).
func startExecAgent(t *testing.T, allow bool) *agentProc {
	t.Helper()
	httpPort := testutil.FreePort(t)
	args := []string{"-dev", "-node=cli", "-log-level=warn",
		"-http-port=" + strconv.Itoa(httpPort), "-server-port=" + strconv.Itoa(testutil.FreePort(t))}
	if allow {
		args = append(args, "-hcl=disable_remote_exec = false")
	}
	return startAgent(t, httpPort, args...)
}

// noRexecKeys fails the test if exec left keys or sessions behind.
func noRexecKeys(t *testing.T, addr string) {
	t.Helper()
	if pairs := listPairs(t, addr, "_rexec/"); len(pairs) != 0 {
		t.Errorf("keys left under _rexec/: %d, first %s", len(pairs), pairs[0].Key)
	}
	wantNoSessions(t, addr)
}

func TestExec(t *testing.T) {
	a := startExecAgent(t, true)
	exec := func(args ...string) result {
		t.Helper()
		return concord(t, append([]string{"exec", "-http-addr=" + a.Addr, "-wait=1s"}, args...)...)
	}

	res := exec("echo", "hello;", "echo oops >&2;", "printf 'no newline';", "exit 3")
	res.want(t, "exec ... exit 3", 2,
		"cli: hello\ncli: oops\ncli: no newline\ncli: finished with exit code 3\n1 / 1 node(s) completed / acknowledged\n", "")
	noRexecKeys(t, a.Addr)

	// A command that outlasts -wait: heartbeats keep exec waiting for it.
	res = exec("sleep 3; echo done")
	res.want(t, "exec sleep 3", 0, "cli: done\ncli: finished with exit code 0\n1 / 1 node(s) completed / acknowledged\n", "")

	// Output bigger than a chunk arrives whole and in order.
	res = exec("seq 1 3000")
	lines := strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n")
	if res.code != 0 || len(lines) != 3002 || lines[0] != "cli: 1" || lines[2999] != "cli: 3000" {
		t.Errorf("exec seq 1 3000 = exit %d, %d lines (first %q), want 3000 numbered lines and 2 more", res.code, len(lines), lines[0])
	}

	// Filters pick the agents: none here.
	exec("-node=^other$", "true").want(t, "exec -node=^other$", 0, "0 / 0 node(s) completed / acknowledged\n", "")

	// With "-" the script comes from stdin.
	res = run{stdin: "x=41\necho $((x+1))\n"}.concord(t, "exec", "-http-addr="+a.Addr, "-wait=1s", "-")
	res.want(t, "exec -", 0, "cli: 42\ncli: finished with exit code 0\n1 / 1 node(s) completed / acknowledged\n", "")
	noRexecKeys(t, a.Addr)
}

// TestExecDisabled: remote exec is off by default, and the agent says so.
func TestExecDisabled(t *testing.T) {
	a := startExecAgent(t, false)
	mark := filepath.Join(t.TempDir(), "ran")
	res := concord(t, "exec", "-http-addr="+a.Addr, "-wait=1s", "touch "+mark)
	res.want(t, "exec on a default agent", 2,
		"cli: remote execution is disabled on this agent\ncli: finished with exit code 1\n1 / 1 node(s) completed / acknowledged\n", "")
	if _, err := os.Stat(mark); err == nil {
		t.Errorf("the refused command ran: %s exists", mark)
	}
	noRexecKeys(t, a.Addr)

	res = concord(t, "exec", "-http-addr="+a.Addr)
	res.want(t, "exec without a command", 1, "", "Error! Must specify a command to execute\n")
}

// TestExecInterrupted: an interrupted exec cleans up its session and keys,
// and the agent, whose output writes then fail, stops the command.
func TestExecInterrupted(t *testing.T) {
	a := startExecAgent(t, true)
	pidFile := filepath.Join(t.TempDir(), "pid")
	cmd := osexec.Command(binary, "exec", "-http-addr="+a.Addr, "-wait=1s", "echo $$ > "+pidFile+"; sleep 60")
	cmd.Env = cleanEnv()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	testutil.Run(t, watchWait, func(r *testutil.R) {
		b, _ := os.ReadFile(pidFile)
		var err error
		if pid, err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil {
			r.Fatalf("no pid yet: %v", err)
		}
	})
	cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); cmd.ProcessState.ExitCode() != 1 {
		t.Errorf("interrupted exec: %v, want exit code 1", err)
	}
	noRexecKeys(t, a.Addr)
	testutil.Run(t, watchWait, func(r *testutil.R) {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			r.Fatalf("remote command (pid %d) still running after its caller left (kill -0: %v)", pid, err)
		}
	})
}
