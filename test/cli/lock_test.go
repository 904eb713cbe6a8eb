package cli_test

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/testutil"
)

// TestLockRunsChild runs commands under `concord lock` and checks what
// they see and how concord exits.
func TestLockRunsChild(t *testing.T) {
	t.Parallel()
	a := startDevAgent(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	addr := "-http-addr=" + a.Addr

	concord(t, "lock", addr, "app", "echo $CONCORD_LOCK_INDEX $CONSUL_LOCK_HELD >", out).
		want(t, "lock app 'echo ... > out'", 0, "", "")
	index, held, _ := strings.Cut(strings.TrimSpace(readFile(t, out)), " ")
	if n, err := strconv.ParseUint(index, 10, 64); err != nil || n == 0 || held != "true" {
		t.Errorf("the command saw CONCORD_LOCK_INDEX=%q CONSUL_LOCK_HELD=%q, want a positive integer and true", index, held)
	}
	if p := getPair(t, a.Addr, "app/.lock"); p != nil {
		t.Errorf("after the command, app/.lock = %+v, want it cleaned up", p)
	}
	wantNoSessions(t, a.Addr)

	// -shell=false runs the words as they are; the output passes through.
	concord(t, "lock", addr, "-shell=false", "app", "printf", "%s-%s", "a b", "c").
		want(t, "lock -shell=false app printf ...", 0, "a b-c", "")

	// The semaphore's index is its contender key's.
	concord(t, "lock", addr, "-n=3", "pool", "echo $CONCORD_LOCK_INDEX >", out).
		want(t, "lock -n=3 pool 'echo ... > out'", 0, "", "")
	if n, err := strconv.ParseUint(strings.TrimSpace(readFile(t, out)), 10, 64); err != nil || n == 0 {
		t.Errorf("under -n=3 the command saw CONCORD_LOCK_INDEX=%q, want a positive integer", readFile(t, out))
	}
	if pairs := listPairs(t, a.Addr, "pool/"); len(pairs) != 0 {
		t.Errorf("after the command, keys under pool/ = %+v, want none", pairs)
	}

	// A failing command fails concord only with -child-exit-code, as consul.
	concord(t, "lock", addr, "app", "exit 3").want(t, "lock app 'exit 3'", 0, "", "")
	concord(t, "lock", addr, "-child-exit-code", "app", "exit 3").
		want(t, "lock -child-exit-code app 'exit 3'", 2, "", "")
	concord(t, "lock", addr, "-child-exit-code", "app", "true").
		want(t, "lock -child-exit-code app true", 0, "", "")
	wantNoSessions(t, a.Addr)
}

// TestLockMutualExclusion runs two `concord lock` on one prefix at once:
// their commands must not overlap.
func TestLockMutualExclusion(t *testing.T) {
	t.Parallel()
	a := startDevAgent(t)
	log := filepath.Join(t.TempDir(), "log")
	var procs []*lockProc
	for range 2 {
		procs = append(procs, startLock(t, a.Addr, "excl", markerScript(log, "0.7")))
	}
	for _, p := range procs {
		if code := p.wait(t, 15*time.Second); code != 0 {
			t.Fatalf("concord lock = exit %d, want 0; output:\n%s", code, p.Out.String())
		}
	}
	if got := maxOverlap(t, log); got != 1 {
		t.Errorf("%d commands ran at once under one lock, want 1; log:\n%s", got, readFile(t, log))
	}
}

// TestLockSemaphore runs three `concord lock -n 2` on one prefix at once:
// two commands overlap, never three.
func TestLockSemaphore(t *testing.T) {
	t.Parallel()
	a := startDevAgent(t)
	log := filepath.Join(t.TempDir(), "log")
	var procs []*lockProc
	for range 3 {
		procs = append(procs, startLock(t, a.Addr, "-n=2", "sem", markerScript(log, "1.5")))
	}
	for _, p := range procs {
		if code := p.wait(t, 15*time.Second); code != 0 {
			t.Fatalf("concord lock -n=2 = exit %d, want 0; output:\n%s", code, p.Out.String())
		}
	}
	if got := maxOverlap(t, log); got != 2 {
		t.Errorf("at most %d commands ran at once under -n=2, want 2; log:\n%s", got, readFile(t, log))
	}
	if pairs := listPairs(t, a.Addr, "sem/"); len(pairs) != 0 {
		t.Errorf("after the commands, keys under sem/ = %+v, want none", pairs)
	}
	wantNoSessions(t, a.Addr)
}

// TestLockLost destroys the session of a running `concord lock`: it must
// stop the command and exit 1.
func TestLockLost(t *testing.T) {
	t.Parallel()
	a := startDevAgent(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	p := startLock(t, a.Addr, "lost", "echo $$ >", pidFile, "; exec sleep 30")
	pid := waitPID(t, pidFile)

	var sessions []api.SessionEntry
	getJSON(t, a.Addr, "/v1/session/list", &sessions)
	if len(sessions) != 1 || !strings.HasPrefix(sessions[0].Name, "concord lock on lost") {
		t.Fatalf("sessions while `concord lock lost` runs = %+v, want one named for it", sessions)
	}
	put(t, a.Addr, "/v1/session/destroy/"+sessions[0].ID)

	if code := p.wait(t, 10*time.Second); code != 1 {
		t.Errorf("concord lock after its session was destroyed = exit %d, want 1; output:\n%s", code, p.Out.String())
	}
	if !strings.Contains(p.Out.String(), "Lock lost") {
		t.Errorf("concord lock output = %q, want it to say the lock was lost", p.Out.String())
	}
	wantGone(t, pid)
}

// TestLockInterruptAndTimeout holds a lock with one `concord lock`, checks
// that others give up after -timeout and refuse a different -n, then
// interrupts the holder: it stops its command, releases and exits 1.
func TestLockInterruptAndTimeout(t *testing.T) {
	t.Parallel()
	a := startDevAgent(t)
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	never := filepath.Join(dir, "never")
	holder := startLock(t, a.Addr, "busy", "echo $$ >", pidFile, "; exec sleep 30")
	pid := waitPID(t, pidFile)

	for _, flag := range []string{"-timeout=500ms", "-try=500ms"} {
		start := time.Now()
		res := concord(t, "lock", "-http-addr="+a.Addr, flag, "busy", "touch", never)
		if took := time.Since(start); res.code != 1 || took > 5*time.Second || !strings.Contains(res.stderr, "500ms") {
			t.Errorf("concord lock %s on a held lock = exit %d after %v, stderr %q; want exit 1 soon, saying it gave up after 500ms",
				flag, res.code, took, res.stderr)
		}
	}
	if res := concord(t, "lock", "-http-addr="+a.Addr, "-n=2", "busy", "touch", never); res.code != 1 ||
		!strings.Contains(res.stderr, "does not match") {
		t.Errorf("concord lock -n=2 on a held lock = exit %d, stderr %q; want exit 1 and a conflict", res.code, res.stderr)
	}
	if _, err := os.Stat(never); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a command ran without the lock (stat %s: %v)", never, err)
	}

	if err := holder.Cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatalf("cannot interrupt concord lock: %v", err)
	}
	if code := holder.wait(t, 10*time.Second); code != 1 {
		t.Errorf("interrupted concord lock = exit %d, want 1; output:\n%s", code, holder.Out.String())
	}
	wantGone(t, pid)
	if p := getPair(t, a.Addr, "busy/.lock"); p != nil {
		t.Errorf("after the interrupted holder, busy/.lock = %+v, want it released and cleaned up", p)
	}
	wantNoSessions(t, a.Addr)
}

// lockProc is a `concord lock` running in the background.
type lockProc struct {
	Cmd  *exec.Cmd
	Out  *testutil.SyncBuffer // stdout and stderr
	Done chan struct{}        // closed once the process has exited
}

// startLock starts `concord lock -http-addr=addr args...`; it is killed at
// cleanup if still running.
func startLock(t *testing.T, addr string, args ...string) *lockProc {
	t.Helper()
	p := &lockProc{Out: &testutil.SyncBuffer{}, Done: make(chan struct{})}
	p.Cmd = exec.Command(binary, append([]string{"lock", "-http-addr=" + addr}, args...)...)
	p.Cmd.Env = cleanEnv()
	p.Cmd.Stdout, p.Cmd.Stderr = p.Out, p.Out
	if err := p.Cmd.Start(); err != nil {
		t.Fatalf("cannot start concord lock: %v", err)
	}
	go func() {
		p.Cmd.Wait()
		close(p.Done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.Done:
		default:
			p.Cmd.Process.Kill()
			<-p.Done
		}
	})
	return p
}

// wait waits up to d for the process to exit and returns its exit code.
func (p *lockProc) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-p.Done:
		return p.Cmd.ProcessState.ExitCode()
	case <-time.After(d):
		t.Fatalf("concord lock still running after %v; output:\n%s", d, p.Out.String())
		return -1
	}
}

// markerScript is a command that appends "start <ns> <pid>" to log, sleeps
// for secs, then appends "end <ns> <pid>".
func markerScript(log, secs string) string {
	return fmt.Sprintf(`echo start $(date +%%s%%N) $$ >> %[1]s; sleep %[2]s; echo end $(date +%%s%%N) $$ >> %[1]s`, log, secs)
}

// maxOverlap reads a log of markerScript lines and returns the most
// commands that ran at once, checking each command started and ended once.
func maxOverlap(t *testing.T, log string) int {
	t.Helper()
	type event struct {
		ns    int64
		delta int
	}
	var events []event
	seen := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(readFile(t, log)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			t.Fatalf("bad log line %q", line)
		}
		ns, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			t.Fatalf("bad timestamp in %q: %v", line, err)
		}
		switch f[0] {
		case "start":
			events = append(events, event{ns, +1})
			seen[f[2]]++
		case "end":
			events = append(events, event{ns, -1})
			seen[f[2]]--
		}
	}
	for pid, n := range seen {
		if n != 0 {
			t.Errorf("command %s has %d more starts than ends", pid, n)
		}
	}
	// In time order, with an end before a start at the same instant.
	slices.SortFunc(events, func(a, b event) int {
		if a.ns != b.ns {
			return cmp.Compare(a.ns, b.ns)
		}
		return cmp.Compare(a.delta, b.delta)
	})
	running, most := 0, 0
	for _, e := range events {
		running += e.delta
		most = max(most, running)
	}
	return most
}

// waitPID waits for a command to write its pid to file and returns it.
func waitPID(t *testing.T, file string) int {
	t.Helper()
	var pid int
	testutil.Run(t, 10*time.Second, func(r *testutil.R) {
		b, err := os.ReadFile(file)
		if err != nil {
			r.Fatalf("no pid yet: %v", err)
		}
		if pid, err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil {
			r.Fatalf("pid file %q: %v", b, err)
		}
	})
	return pid
}

// wantGone checks that process pid no longer exists.
func wantGone(t *testing.T, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("command (pid %d) still exists after concord lock exited (kill -0: %v)", pid, err)
	}
}

// wantNoSessions checks that the agent has no sessions left.
func wantNoSessions(t *testing.T, addr string) {
	t.Helper()
	var sessions []api.SessionEntry
	getJSON(t, addr, "/v1/session/list", &sessions)
	if len(sessions) != 0 {
		t.Errorf("sessions left behind: %+v", sessions)
	}
}

// put sends PUT path to the agent at addr and fails the test unless 200.
func put(t *testing.T, addr, path string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, "http://"+addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("PUT %s: %v", path, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT %s = %d", path, resp.StatusCode)
	}
}

// readFile returns the contents of path or fails the test.
func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
