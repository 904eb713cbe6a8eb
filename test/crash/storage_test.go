package crash_test

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/testutil"
	"golang.org/x/sys/unix"
)

// The tests here exhaust a resource the Raft log needs (descriptors, disk),
// give it back, and require the server to take writes again by itself,
// without a restart and without losing an acknowledged write. Segments of
// 1 MiB make writes cross segment boundaries (a new file) within seconds.

// startSmallSegments starts a durable server over dataDir with 1 MiB WAL
// segments.
func startSmallSegments(t *testing.T, dataDir string) *agentProc {
	t.Helper()
	httpPort, serverPort := testutil.FreePort(t), testutil.FreePort(t)
	return testutil.StartAgentProcess(t, binary, nil, httpPort, "-server", "-bootstrap-expect=1",
		"-data-dir="+dataDir, "-node=n1", "-bind=127.0.0.1", "-client=127.0.0.1",
		"-http-port="+strconv.Itoa(httpPort), "-server-port="+strconv.Itoa(serverPort),
		"-log-level=warn", "-hcl=raft_logstore { wal { segment_size_mb = 1 } }")
}

// writer puts keys of one size over one keep-alive connection (opened
// while descriptors are still there) and remembers what was acknowledged.
type writer struct {
	t      *testing.T
	addr   string
	client *http.Client
	value  string
	acked  []string // keys answered 200 "true"
	next   int
}

func newWriter(t *testing.T, addr string, size int) *writer {
	tr := &http.Transport{MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1, IdleConnTimeout: time.Minute}
	t.Cleanup(tr.CloseIdleConnections)
	return &writer{t: t, addr: addr, client: &http.Client{Transport: tr, Timeout: 10 * time.Second},
		value: strings.Repeat("v", size)}
}

// put writes the next key and reports whether it was acknowledged.
func (w *writer) put() bool {
	key := fmt.Sprintf("heal/%06d", w.next)
	w.next++
	req, _ := http.NewRequest(http.MethodPut, "http://"+w.addr+"/v1/kv/"+key, strings.NewReader(w.value))
	resp, err := w.client.Do(req)
	if err != nil {
		return false
	}
	var body [16]byte
	n, _ := resp.Body.Read(body[:])
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK && string(body[:n]) == "true" {
		w.acked = append(w.acked, key)
		return true
	}
	return false
}

// putUntilFailure writes until a write is refused, at most max writes.
func (w *writer) putUntilFailure(max int) {
	w.t.Helper()
	for range max {
		if !w.put() {
			return
		}
	}
	w.t.Fatalf("%d writes all succeeded: the resource was never exhausted", max)
}

// putUntilSuccess writes until one is acknowledged, within d, and reports
// how long that took.
func (w *writer) putUntilSuccess(d time.Duration) time.Duration {
	w.t.Helper()
	start := time.Now()
	for time.Since(start) < d {
		if w.put() {
			return time.Since(start)
		}
		time.Sleep(50 * time.Millisecond)
	}
	w.t.Fatalf("no write acknowledged within %v of the resource coming back", d)
	return 0
}

// checkAcked requires every acknowledged key to be readable.
func (w *writer) checkAcked() {
	w.t.Helper()
	tree := listKeys(w.t, w.addr, "heal/", "")
	for _, k := range w.acked {
		if _, ok := tree[k]; !ok {
			w.t.Errorf("acknowledged key %s is missing", k)
		}
	}
}

// openFDs counts the descriptors pid has open.
func openFDs(t *testing.T, pid int) int {
	t.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Skipf("cannot count descriptors: %v", err)
	}
	return len(ents)
}

// TestLogStoreHealsAfterDescriptorExhaustion: with every descriptor of the
// server taken by held connections, a write that needs a new log segment
// fails; once the connections close, writes are acknowledged again within
// 10 s, without a restart, and none acknowledged before is lost.
func TestLogStoreHealsAfterDescriptorExhaustion(t *testing.T) {
	p := startSmallSegments(t, t.TempDir())
	pid := p.Cmd.Process.Pid
	w := newWriter(t, p.Addr, 4<<10)
	for range 10 {
		if !w.put() {
			t.Fatal("a write failed before any resource was taken")
		}
	}

	base := openFDs(t, pid)
	limit := uint64(base + 48)
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, &unix.Rlimit{Cur: limit, Max: limit}, nil); err != nil {
		t.Skipf("cannot limit the server's descriptors: %v", err)
	}
	// Blocking queries hold their connections open; spread them over
	// source addresses so that no per-client cap closes them first.
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for i := 0; openFDs(t, pid) < int(limit) && i < 100; i++ {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 1, byte(2+i/20))}, Timeout: time.Second}
		c, err := d.Dial("tcp", p.Addr)
		if err != nil {
			t.Fatalf("cannot open connection %d: %v", i, err)
		}
		held = append(held, c)
		fmt.Fprintf(c, "GET /v1/kv/held-%d?index=1000000&wait=5m HTTP/1.1\r\nHost: concord\r\n\r\n", i)
		testutil.Run(t, 2*time.Second, func(r *testutil.R) {
			if n := openFDs(t, pid); n < min(base+len(held), int(limit)) {
				r.Fatalf("connection %d not yet accepted (%d descriptors open)", i, n)
			}
		})
	}
	if n := openFDs(t, pid); n < int(limit) {
		t.Fatalf("only %d of %d descriptors taken", n, limit)
	}
	w.putUntilFailure(2000) // 4 KiB values: a 1 MiB segment fills in ~250

	for _, c := range held {
		c.Close()
	}
	held = nil
	took := w.putUntilSuccess(10 * time.Second)
	t.Logf("writes resumed %v after the connections closed; %d acknowledged", took.Round(time.Millisecond), len(w.acked))
	for range 300 { // across another segment boundary
		if !w.put() {
			t.Fatal("a write failed after the store healed")
		}
	}
	w.checkAcked()
}

// TestLogStoreHealsAfterDiskFull: a data dir on a small tmpfs fills up
// until writes fail; once the file system is grown, writes are
// acknowledged again within 15 s without a restart, and every write
// acknowledged before is there.
func TestLogStoreHealsAfterDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root (CI runs as root)")
	}
	disk := t.TempDir()
	if err := syscall.Mount("tmpfs", disk, "tmpfs", 0, "size=6m"); err != nil {
		t.Skipf("cannot mount a tmpfs: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(disk, syscall.MNT_DETACH) })
	p := startSmallSegments(t, disk+"/data")
	t.Cleanup(func() { // before the unmount: the server holds files there
		p.Cmd.Process.Kill()
		<-p.Done
	})
	w := newWriter(t, p.Addr, 16<<10)
	w.putUntilFailure(2000) // 6 MiB hold at most ~380 values of 16 KiB
	if len(w.acked) == 0 {
		t.Fatal("no write was acknowledged before the disk filled")
	}

	if err := syscall.Mount("tmpfs", disk, "tmpfs", syscall.MS_REMOUNT, "size=64m"); err != nil {
		t.Fatalf("cannot grow the tmpfs: %v", err)
	}
	took := w.putUntilSuccess(15 * time.Second)
	t.Logf("writes resumed %v after the disk grew; %d acknowledged", took.Round(time.Millisecond), len(w.acked))
	for range 100 { // across another segment boundary
		if !w.put() {
			t.Fatal("a write failed after the store healed")
		}
	}
	w.checkAcked()
}
