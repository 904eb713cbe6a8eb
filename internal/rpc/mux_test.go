package rpc_test

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/rpc"
)

// TestMuxConnsPerClient checks that the server port takes at most
// DefaultMaxConnsPerClient connections from one client IP, closing the next one
// at once, and takes one again once one of them is closed.
func TestMuxConnsPerClient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := rpc.NewMux(ln, ln.Addr(), nil, rpc.DefaultMaxConnsPerClient)
	t.Cleanup(func() { m.Close() })

	// dial opens an RPC connection (HTTP/2's preface starts with 'P')
	// from 127.0.0.2, so the test's connections are the only ones from it.
	dial := func() net.Conn {
		t.Helper()
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}, Timeout: 10 * time.Second}
		c, err := d.Dial("tcp", ln.Addr().String())
		if errors.Is(err, syscall.EADDRNOTAVAIL) {
			t.Skipf("cannot dial from 127.0.0.2: %v", err)
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if _, err := c.Write([]byte("P")); err != nil {
			t.Fatal(err)
		}
		return c
	}
	accepted := make(chan net.Conn, rpc.DefaultMaxConnsPerClient+1)
	go func() {
		for {
			c, err := m.RPCListener().Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	wantAccepted := func(what string) net.Conn {
		t.Helper()
		select {
		case c := <-accepted:
			return c
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: not accepted", what)
			return nil
		}
	}

	var first net.Conn
	for i := range rpc.DefaultMaxConnsPerClient {
		dial()
		c := wantAccepted("connection within the limit")
		if i == 0 {
			first = c
		}
	}
	extra := dial()
	extra.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := extra.Read(make([]byte, 1)); n != 0 || !(errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)) {
		t.Fatalf("connection %d: read = %d, %v; want it closed", rpc.DefaultMaxConnsPerClient+1, n, err)
	}
	select {
	case <-accepted:
		t.Fatalf("connection %d was accepted", rpc.DefaultMaxConnsPerClient+1)
	default:
	}

	first.Close() // as the RPC server does when its client goes; frees its place at once
	dial()
	wantAccepted("a connection after one closed")
}

// TestMuxClosesSilentConnections: a connection that sends nothing is
// closed after the handshake timeout; one that says what it is in time
// is kept.
func TestMuxClosesSilentConnections(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := rpc.NewMux(ln, ln.Addr(), nil, 0)
	defer m.Close()
	m.SetHandshakeTimeout(200 * time.Millisecond)

	silent, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	silent.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	if _, err := silent.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("silent connection: read = %v after %v, want it closed by the server", err, time.Since(start))
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("silent connection closed after %v, want about 200ms", took)
	}
}
