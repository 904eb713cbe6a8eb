package rpc

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/tlsutil"
)

// testPKI writes a CA and a certificate of each kind (server, client,
// and a server certificate of another CA) to a temp dir and returns a
// configurator per certificate, all with verify_incoming, verify_outgoing
// and verify_server_hostname on.
func testPKI(t testing.TB) map[string]*tlsutil.Configurator {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	out := map[string]*tlsutil.Configurator{}
	for _, ca := range []string{"ours", "theirs"} {
		caPEM, caKey, err := tlsutil.GenerateCA(tlsutil.CAOptions{Days: 1})
		if err != nil {
			t.Fatal(err)
		}
		caFile := write(ca+"-ca.pem", caPEM)
		for _, kind := range []string{tlsutil.KindServer, tlsutil.KindClient} {
			cert, key, err := tlsutil.GenerateCert(tlsutil.CertOptions{CACert: caPEM, CAKey: caKey, Kind: kind,
				Datacenter: "dc1", Domain: "consul", Days: 1})
			if err != nil {
				t.Fatal(err)
			}
			c, err := tlsutil.New(tlsutil.Config{Datacenter: "dc1", Domain: "consul", InternalRPC: tlsutil.Settings{
				CAFile: caFile, CertFile: write(ca+kind+".pem", cert), KeyFile: write(ca+kind+"-key.pem", key),
				VerifyIncoming: true, VerifyOutgoing: true, VerifyServerHostname: true}})
			if err != nil {
				t.Fatal(err)
			}
			name := kind
			if ca == "theirs" {
				name = "foreign " + kind
			}
			out[name] = c
		}
	}
	return out
}

// serverMux is a Mux on a loopback port with the server's TLS.
func serverMux(t *testing.T, server TLS) (*Mux, net.Listener) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := NewMuxTLS(ln, ln.Addr(), nil, DefaultMaxConnsPerClient, server)
	t.Cleanup(func() { m.Close() })
	return m, ln
}

// acceptAll feeds what ln accepts into a channel until ln closes.
func acceptAll(ln net.Listener) <-chan net.Conn {
	ch := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			ch <- c
		}
	}()
	return ch
}

// TestMuxTLS: with verify_incoming and verify_server_hostname, the
// server port takes RPC from holders of any certificate of its CA, Raft
// and probes only from holders of a server certificate, and nothing
// plain or from another CA.
func TestMuxTLS(t *testing.T) {
	certs := testPKI(t)
	m, ln := serverMux(t, certs["server"])
	accepted := map[byte]<-chan net.Conn{
		'P': acceptAll(m.RPCListener()), probeByte: acceptAll(m.ProbeListener()), 0: acceptAll(m.raft),
	}
	for _, tc := range []struct {
		name  string
		as    TLS // nil: plain
		first byte
		ok    bool
	}{
		{"client certificate, RPC", certs["client"], 'P', true},
		{"server certificate, RPC", certs["server"], 'P', true},
		{"server certificate, Raft", certs["server"], 0, true},
		{"server certificate, probe", certs["server"], probeByte, true},
		{"client certificate, Raft", certs["client"], 0, false},
		{"client certificate, probe", certs["client"], probeByte, false},
		{"plain RPC", nil, 'P', false},
		{"plain Raft", nil, 0, false},
		{"another CA's server certificate, RPC", certs["foreign server"], 'P', false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			conn, err := dial(ctx, ln.Addr().String(), nil, tc.as)
			if err != nil {
				if tc.ok {
					t.Fatalf("dial: %v", err)
				}
				return // refused in the handshake: the server's certificate is of another CA
			}
			defer conn.Close()
			if _, err := conn.Write([]byte{tc.first, 42}); err != nil && tc.ok {
				t.Fatalf("write: %v", err)
			}
			if !tc.ok {
				// A refused connection is closed at once, never delivered.
				conn.SetReadDeadline(time.Now().Add(5 * time.Second))
				if _, err := conn.Read(make([]byte, 1)); err == nil {
					t.Fatalf("refused connection still open")
				}
				select {
				case c := <-accepted[tc.first]:
					c.Close()
					t.Fatalf("accepted; want refused")
				default:
				}
				return
			}
			select {
			case c := <-accepted[tc.first]:
				defer c.Close()
				buf := make([]byte, 2)
				if _, err := io.ReadFull(c, buf); err != nil || buf[0] != tc.first || buf[1] != 42 {
					t.Fatalf("server read %v, %v; want the bytes sent", buf, err)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("not accepted")
			}
		})
	}
}

// TestPoolOverTLS: a client agent's calls reach a server over mutual TLS,
// and a pool without a certificate cannot call.
func TestPoolOverTLS(t *testing.T) {
	certs := testPKI(t)
	m, ln := serverMux(t, certs["server"])
	srv := NewServer(func(_ context.Context, method string, args json.RawMessage) (any, error) {
		return method + string(args), nil
	})
	go srv.Serve(m.RPCListener())
	t.Cleanup(srv.Stop)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p := NewPool()
	p.SetTLS(certs["client"])
	t.Cleanup(func() { p.Close() })
	var out string
	if err := p.Call(ctx, ln.Addr().String(), "Echo", 7, &out); err != nil || out != "Echo7" {
		t.Fatalf("Call over TLS = %q, %v; want Echo7", out, err)
	}

	plain := NewPool()
	t.Cleanup(func() { plain.Close() })
	short, cancel2 := context.WithTimeout(ctx, time.Second)
	defer cancel2()
	if err := plain.Call(short, ln.Addr().String(), "Echo", 7, &out); err == nil {
		t.Fatalf("plain Call to a server requiring TLS succeeded")
	}
}

// BenchmarkPoolCall is one small call from a client agent's pool to a
// server through the Mux, plain and over mutual TLS (both ends verified,
// server name checked): the per-call cost of TLS once connected.
func BenchmarkPoolCall(b *testing.B) {
	certs := testPKI(b)
	for _, tc := range []struct {
		name           string
		server, client TLS
	}{
		{"plain", nil, nil},
		{"tls", certs["server"], certs["client"]},
	} {
		b.Run(tc.name, func(b *testing.B) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			m := NewMuxTLS(ln, ln.Addr(), nil, 0, tc.server)
			defer m.Close()
			srv := NewServer(func(_ context.Context, _ string, args json.RawMessage) (any, error) { return args, nil })
			go srv.Serve(m.RPCListener())
			defer srv.Stop()
			p := NewPool()
			p.SetTLS(tc.client)
			defer p.Close()
			ctx := context.Background()
			var out json.RawMessage
			if err := p.Call(ctx, ln.Addr().String(), "Echo", "warm", &out); err != nil {
				b.Fatal(err)
			}
			b.SetParallelism(16) // 16 × GOMAXPROCS callers, like put@64 on a few cores
			cpu0 := cpuTime()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				var out json.RawMessage
				for pb.Next() {
					if err := p.Call(ctx, ln.Addr().String(), "Echo", "key/value-of-a-typical-size", &out); err != nil {
						b.Error(err)
						return
					}
				}
			})
			// CPU time (both ends: one process) tells the cost apart from
			// waiting, which on a busy machine swamps ns/op.
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the CPU time this process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
