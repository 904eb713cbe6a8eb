package testutil

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// BuildConcord runs `go build ./cmd/concord` from the module root into dir
// and returns the binary's path. Tests that run concord as a subprocess call
// it once, from TestMain.
func BuildConcord(dir string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "concord")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/concord")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("cannot build concord in %s: %v\n%s", root, err, out)
	}
	return bin, nil
}

// moduleRoot is the directory holding go.mod: from `go env GOMOD`, else
// found by walking up from the working directory.
func moduleRoot() (string, error) {
	if out, err := exec.Command("go", "env", "GOMOD").Output(); err == nil {
		if gomod := strings.TrimSpace(string(out)); gomod != "" && gomod != os.DevNull {
			return filepath.Dir(gomod), nil
		}
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cannot find go.mod above the test directory")
		}
		dir = parent
	}
}

// AgentProc is one `concord agent` subprocess on loopback.
type AgentProc struct {
	Cmd  *exec.Cmd
	Addr string        // host:port of the HTTP API
	Out  *SyncBuffer   // stdout and stderr, interleaved
	Done chan struct{} // closed once the process has exited and been reaped
}

// StartAgentProcess starts `binary agent args...`, whose HTTP API is on
// httpPort, with env as its environment (nil: the test's), and waits for
// its leader. The process is killed at cleanup if it still runs; its output
// is logged if the test failed.
func StartAgentProcess(t testing.TB, binary string, env []string, httpPort int, args ...string) *AgentProc {
	t.Helper()
	p := SpawnAgentProcess(t, binary, env, httpPort, args...)
	WaitForLeader(t, p.Addr)
	return p
}

// SpawnAgentProcess is StartAgentProcess without waiting for a leader (a
// cluster member has none until enough servers are up).
func SpawnAgentProcess(t testing.TB, binary string, env []string, httpPort int, args ...string) *AgentProc {
	t.Helper()
	p := &AgentProc{
		Addr: fmt.Sprintf("127.0.0.1:%d", httpPort),
		Out:  &SyncBuffer{},
		Done: make(chan struct{}),
	}
	if !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "-dns-port") }) {
		args = append(args, "-dns-port=0") // parallel agents must not fight over 8600
	}
	if !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "-serf-lan-port") }) {
		args = append(args, "-serf-lan-port=0") // nor over 8301
	}
	if !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "-serf-wan-port") }) {
		args = append(args, "-serf-wan-port=0") // nor a server over 8302
	}
	p.Cmd = exec.Command(binary, append([]string{"agent"}, args...)...)
	p.Cmd.Env = env
	p.Cmd.Stdout, p.Cmd.Stderr = p.Out, p.Out
	if err := p.Cmd.Start(); err != nil {
		t.Fatalf("cannot start concord agent: %v", err)
	}
	go func() {
		p.Cmd.Wait()
		close(p.Done)
	}()
	t.Cleanup(func() {
		if !p.Exited() {
			p.Cmd.Process.Kill()
			<-p.Done
		}
		if t.Failed() {
			t.Logf("output of concord agent %s:\n%s", strings.Join(args, " "), p.Out.String())
		}
	})
	return p
}

// Exited reports whether the process has already exited.
func (p *AgentProc) Exited() bool {
	select {
	case <-p.Done:
		return true
	default:
		return false
	}
}

// WaitExit waits up to timeout for the process to exit and reports whether
// it did.
func (p *AgentProc) WaitExit(timeout time.Duration) bool {
	select {
	case <-p.Done:
		return true
	case <-time.After(timeout):
		return false
	}
}

// SyncBuffer is a bytes.Buffer safe for the two output copiers of a
// process.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer // guarded by mu
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// RunWithConcord is a TestMain body for packages that run concord as a
// subprocess: it builds the binary into a temporary directory, sets *bin
// to its path, runs the tests and removes the directory. It returns the
// exit code for os.Exit.
func RunWithConcord(m *testing.M, bin *string) int {
	dir, err := os.MkdirTemp("", "concord-bin-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "cannot make a directory for the concord binary: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if *bin, err = BuildConcord(dir); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		return 1
	}
	return m.Run()
}
