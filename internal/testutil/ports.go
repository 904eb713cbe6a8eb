package testutil

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
)

// Ports are reserved in [portMin, portMax), below Linux's ephemeral range
// (32768-60999), through lock files in portLockDir; see FreePort.
const (
	portMin = 10000
	portMax = 32000
	// portLockDir is shared by every test run on the machine, whatever its
	// TMPDIR.
	portLockDir = "/tmp/concord-test-ports"
	portTries   = 1000
)

var (
	portsMu   sync.Mutex
	portLocks []*os.File // guarded by portsMu; open until the process exits: closing one releases its port
)

// FreePort returns a port for an agent that the test starts. It is below
// the kernel's ephemeral range, TCP and UDP (DNS serves both on one port)
// could bind it on every address a moment ago, and no Concord test process,
// this one included, will hand it out again while this process runs.
//
// Why: binding port 0 and closing it yields an ephemeral port, which an
// outgoing connection may take before the agent binds it ("address already
// in use"), and which the kernel may hand to the next caller, here or in
// another test process (`go test ./...` runs one per package, in
// parallel). So, like scripts/bench.sh, FreePort picks below that range,
// and it reserves each port with an flock on portLockDir/<port>.lock held
// for the life of the process; the kernel drops the lock when the process
// exits, even when killed, so no stale reservation outlives it (the empty
// files stay; only their locks count).
func FreePort(t testing.TB) int {
	t.Helper()
	port, err := reservePort(portLockDir, randomPort)
	if err != nil {
		t.Fatalf("cannot reserve a port: %v", err)
	}
	return port
}

// randomPort is a port of [portMin, portMax).
func randomPort() int { return portMin + rand.IntN(portMax-portMin) }

// reservePort tries the ports next returns until it locks one in dir that
// is also free to bind, and keeps its lock until the process exits.
func reservePort(dir string, next func() int) (int, error) {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return 0, fmt.Errorf("cannot make the port lock directory: %w", err)
	}
	os.Chmod(dir, 0o777|os.ModeSticky) // like /tmp, so other users' test runs share it (only its owner can chmod)
	var err error
	for range portTries {
		port := next()
		var f *os.File
		if f, err = lockPort(dir, port); err != nil {
			continue
		}
		if err = bindable(port); err != nil {
			f.Close()
			continue
		}
		portsMu.Lock()
		portLocks = append(portLocks, f)
		portsMu.Unlock()
		return port, nil
	}
	return 0, fmt.Errorf("no free port after %d tries, the last: %w", portTries, err)
}

// lockPort takes port's lock file in dir without waiting, and returns it
// open.
func lockPort(dir string, port int) (*os.File, error) {
	// Read-only is enough for flock, and lets another user lock a file this one made.
	f, err := os.OpenFile(filepath.Join(dir, strconv.Itoa(port)+".lock"), os.O_RDONLY|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("port %d is reserved by another test", port)
		}
		return nil, fmt.Errorf("cannot lock port %d: %w", port, err)
	}
	return f, nil
}

// bindable reports whether TCP and UDP can both bind port on every address
// (a wildcard bind fails if any one address has it).
func bindable(port int) error {
	addr := ":" + strconv.Itoa(port)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	ln.Close()
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return err
	}
	pc.Close()
	return nil
}
