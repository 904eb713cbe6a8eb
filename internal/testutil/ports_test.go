package testutil

import (
	"bufio"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// seq returns the ports given, one per call, then the last one forever.
func seq(ports ...int) func() int {
	return func() int {
		p := ports[0]
		if len(ports) > 1 {
			ports = ports[1:]
		}
		return p
	}
}

// Reservations made at once, as by parallel tests, are all distinct and
// below the ephemeral range.
func TestFreePortsAreDistinctAndBelowEphemeralRange(t *testing.T) {
	ephemeralMin := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if n, err := strconv.Atoi(strings.Fields(string(b))[0]); err == nil {
			ephemeralMin = min(ephemeralMin, n)
		}
	}
	const workers, each = 8, 25
	var mu sync.Mutex
	seen := map[int]bool{}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				p, err := reservePort(portLockDir, randomPort)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if seen[p] {
					t.Errorf("port %d handed out twice", p)
				}
				seen[p] = true
				mu.Unlock()
				if p < portMin || p >= ephemeralMin {
					t.Errorf("port %d, want in [%d, %d)", p, portMin, ephemeralMin)
				}
			}
		})
	}
	wg.Wait()
}

// A reserved port is not handed out again, neither here nor by another
// process while the one holding it runs, and is free again once it exits.
func TestReservedPortIsNotHandedOutAgain(t *testing.T) {
	if dir := os.Getenv("CONCORD_TEST_HOLD_PORT_DIR"); dir != "" { // the holding process, started below
		p, _ := strconv.Atoi(os.Getenv("CONCORD_TEST_HOLD_PORT"))
		if _, err := reservePort(dir, seq(p)); err != nil {
			t.Fatal(err)
		}
		os.Stdout.WriteString("held\n")
		io.Copy(io.Discard, os.Stdin) // until the parent closes stdin
		return
	}
	dir, p := t.TempDir(), FreePort(t)
	if got, err := reservePort(dir, seq(p)); got != p || err != nil {
		t.Fatalf("reservePort(%d) = %d, %v; want %d", p, got, err, p)
	}
	if got, err := reservePort(dir, seq(p)); err == nil {
		t.Fatalf("reservePort(%d) again = %d, want an error", p, got)
	}

	dir = t.TempDir()
	holder := exec.Command(os.Args[0], "-test.run=^TestReservedPortIsNotHandedOutAgain$")
	holder.Env = append(os.Environ(), "CONCORD_TEST_HOLD_PORT_DIR="+dir, "CONCORD_TEST_HOLD_PORT="+strconv.Itoa(p))
	stdin, _ := holder.StdinPipe()
	stdout, _ := holder.StdoutPipe()
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(stdout).ReadString('\n'); line != "held\n" {
		t.Fatalf("holding process said %q, %v; want held", line, err)
	}
	if got, err := reservePort(dir, seq(p)); err == nil {
		t.Errorf("reservePort(%d) while another process holds it = %d, want an error", p, got)
	}
	stdin.Close()
	if err := holder.Wait(); err != nil {
		t.Fatalf("holding process: %v", err)
	}
	if got, err := reservePort(dir, seq(p)); got != p || err != nil {
		t.Errorf("reservePort(%d) after the holder exited = %d, %v; want %d", p, got, err, p)
	}
}

// A port that something else has bound, by TCP or UDP, on any address, is
// skipped.
func TestBusyPortIsSkipped(t *testing.T) {
	for _, tc := range []struct{ network, host string }{
		{"tcp", "127.0.0.1"}, {"udp", "127.0.0.1"}, {"tcp", "127.0.0.2"}, {"udp", "127.0.0.2"},
	} {
		t.Run(tc.network+"/"+tc.host, func(t *testing.T) {
			busy, free := FreePort(t), FreePort(t)
			addr := net.JoinHostPort(tc.host, strconv.Itoa(busy))
			var c io.Closer
			var err error
			if tc.network == "tcp" {
				c, err = net.Listen("tcp", addr)
			} else {
				c, err = net.ListenPacket("udp", addr)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if got, err := reservePort(t.TempDir(), seq(busy, free)); got != free || err != nil {
				t.Errorf("reservePort(%d busy, then %d) = %d, %v; want %d", busy, free, got, err, free)
			}
		})
	}
}
