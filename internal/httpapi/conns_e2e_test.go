package httpapi_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	consulapi "github.com/hashicorp/consul/api"

	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/testutil"
)

// dialFrom opens a TCP connection to addr from the loopback address src,
// so that a test's connections are told apart from the agent's own and
// other tests'; it is closed when the test ends.
func dialFrom(t *testing.T, src, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 10 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRNOTAVAIL) {
			t.Skipf("cannot dial from %s (a loopback address other than 127.0.0.1): %v", src, err)
		}
		t.Fatalf("dial %s from %s: %v", addr, src, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// roundTrip sends GET path on c and reads the reply's status and body.
func roundTrip(t *testing.T, c net.Conn, br *bufio.Reader, path string) (int, string) {
	t.Helper()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	defer c.SetDeadline(time.Time{})
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: concord\r\n\r\n"); err != nil {
		t.Fatalf("GET %s: write: %v", path, err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("GET %s: read reply: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", path, err)
	}
	return resp.StatusCode, string(body)
}

// wantClosed fails unless the agent closes c, without a reply, well
// within the deadline.
func wantClosed(t *testing.T, c net.Conn, what string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	n, err := c.Read(make([]byte, 512))
	if n > 0 || !(errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)) {
		t.Fatalf("%s: read = %d bytes, %v; want the connection closed by the agent", what, n, err)
	}
}

// clientFrom returns a Consul client for addr whose connections come from
// the loopback address src.
func clientFrom(t *testing.T, src, addr string) *consulapi.Client {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 10 * time.Second}
	tr := &http.Transport{DialContext: d.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return newConsulClient(t, addr, &http.Client{Transport: tr, Timeout: 30 * time.Second})
}

// TestHTTPConnsPerClient checks Consul's http_max_conns_per_client at its
// default of 200: a client IP holding 200 connections gets 429 Too Many
// Requests on its 201st, and the connection is closed, while another IP is
// served; once one of the 200 closes, the client is served again.
func TestHTTPConnsPerClient(t *testing.T) {
	t.Parallel()
	ta := testutil.StartAgent(t, "", devConfig(nil))
	addr := ta.HTTPAddr()
	const src, limit = "127.0.0.2", 200
	if got := ta.Config.Limits.HTTPMaxConnsPerClient; got != limit {
		t.Fatalf("default http_max_conns_per_client = %d, want %d", got, limit)
	}

	conns := make([]net.Conn, limit)
	for i := range conns {
		conns[i] = dialFrom(t, src, addr)
		if code, body := roundTrip(t, conns[i], bufio.NewReader(conns[i]), "/v1/status/leader"); code != 200 {
			t.Fatalf("connection %d: GET /v1/status/leader = %d %q, want 200", i+1, code, body)
		}
	}

	extra := dialFrom(t, src, addr)
	br := bufio.NewReader(extra)
	code, body := roundTrip(t, extra, br, "/v1/status/leader")
	if code != http.StatusTooManyRequests || !strings.Contains(body, "Too many connections from 127.0.0.2") {
		t.Fatalf("connection %d: GET /v1/status/leader = %d %q, want 429 naming the client", limit+1, code, body)
	}
	wantClosed(t, extra, "connection past the limit, after its 429")

	_, _, err := clientFrom(t, src, addr).KV().Get("k", nil)
	if err == nil || !strings.Contains(err.Error(), "429") {
		t.Fatalf("Consul client from %s past the limit: KV Get error = %v, want a 429", src, err)
	}
	mustPut(t, newConsulClient(t, addr, nil), "k", "other clients are served")

	conns[0].Close()
	c := clientFrom(t, src, addr)
	testutil.Run(t, 10*time.Second, func(r *testutil.R) {
		if _, _, err := c.KV().Get("k", nil); err != nil {
			r.Fatalf("KV Get from %s after one of its connections closed: %v", src, err)
		}
	})
}

// TestHTTPMaxConns checks the overall cap (limits.http_max_conns): past
// it, any client gets 429.
func TestHTTPMaxConns(t *testing.T) {
	t.Parallel()
	const total = 4
	ta := testutil.StartAgent(t, "", devConfig(func(c *config.Config) {
		c.Limits.HTTPMaxConns = total
		c.Limits.HTTPMaxConnsPerClient = 0 // no limit per client
	}))
	addr := ta.HTTPAddr()
	// The agent's start left a connection or so open from 127.0.0.1, so
	// fill the cap from 127.0.0.2 until a connection is refused.
	refusedAt := 0
	for i := range total + 1 {
		c := dialFrom(t, "127.0.0.2", addr)
		if code, _ := roundTrip(t, c, bufio.NewReader(c), "/v1/status/leader"); code == http.StatusTooManyRequests {
			refusedAt = i + 1
			break
		}
	}
	if refusedAt == 0 {
		t.Fatalf("%d connections from one client: none refused, want a 429 by the %dth", total+1, total+1)
	}
	other := dialFrom(t, "127.0.0.3", addr)
	if code, body := roundTrip(t, other, bufio.NewReader(other), "/v1/status/leader"); code != http.StatusTooManyRequests ||
		!strings.Contains(body, "Too many connections to this agent") {
		t.Fatalf("a new client with the agent full: GET = %d %q, want 429", code, body)
	}
}

// TestHTTPTimeouts checks that a client slow to send its headers
// (limits.http_read_header_timeout) and an idle keep-alive connection
// (limits.http_idle_timeout) are closed by the agent.
func TestHTTPTimeouts(t *testing.T) {
	t.Parallel()
	const timeout = 300 * time.Millisecond
	ta := testutil.StartAgent(t, "", devConfig(func(c *config.Config) {
		c.Limits.HTTPReadHeaderTimeout = timeout
		c.Limits.HTTPIdleTimeout = timeout
	}))
	addr := ta.HTTPAddr()

	t.Run("slow headers", func(t *testing.T) {
		c := dialFrom(t, "127.0.0.1", addr)
		if _, err := io.WriteString(c, "GET /v1/status/leader HTTP/1.1\r\nHost: concord\r\n"); err != nil {
			t.Fatal(err)
		}
		wantClosed(t, c, "request whose headers never end")
	})
	t.Run("idle keep-alive", func(t *testing.T) {
		c := dialFrom(t, "127.0.0.1", addr)
		if code, body := roundTrip(t, c, bufio.NewReader(c), "/v1/status/leader"); code != 200 {
			t.Fatalf("GET /v1/status/leader = %d %q, want 200", code, body)
		}
		wantClosed(t, c, "keep-alive connection left idle")
	})
}

// TestRPCConnsPerClient checks limits.rpc_max_conns_per_client on the
// server port: with a limit of 3, a client IP's fourth connection is
// closed at once, while the agent goes on serving.
func TestRPCConnsPerClient(t *testing.T) {
	t.Parallel()
	const src, limit = "127.0.0.2", 3
	ta := testutil.StartAgent(t, "", devConfig(func(c *config.Config) { c.Limits.RPCMaxConnsPerClient = limit }))
	addr := net.JoinHostPort(ta.Config.BindAddr, strconv.Itoa(ta.Config.Ports.Server))
	for i := range limit {
		c := dialFrom(t, src, addr)
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("connection %d: read = %v, want it held open (a timeout)", i+1, err)
		}
	}
	wantClosed(t, dialFrom(t, src, addr), "server-port connection past the limit")
	mustPut(t, newConsulClient(t, ta.HTTPAddr(), nil), "rpc/k", "the agent still serves")
}
