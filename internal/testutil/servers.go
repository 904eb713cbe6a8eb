package testutil

import (
	"crypto/tls"
	"net"
	"net/http/httptest"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// UDPServer returns the address of a UDP socket on 127.0.0.1 that answers
// every datagram with its own bytes when echo is set, and reads nothing
// otherwise (so a sender waits in vain). It closes when the test ends.
func UDPServer(t testing.TB, echo bool) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	if echo {
		go func() {
			buf := make([]byte, 1500)
			for {
				n, from, err := pc.ReadFrom(buf)
				if err != nil {
					return
				}
				pc.WriteTo(buf[:n], from)
			}
		}()
	}
	return pc.LocalAddr().String()
}

// GRPCHealthServer serves the standard gRPC health service
// (grpc.health.v1) on 127.0.0.1, over TLS with a self-signed certificate
// when useTLS, until the test ends. The server as a whole is SERVING; the
// test sets its services' statuses on the returned health.Server.
func GRPCHealthServer(t testing.TB, useTLS bool) (*health.Server, string) {
	t.Helper()
	var opts []grpc.ServerOption
	if useTLS {
		certSrv := httptest.NewTLSServer(nil) // only for its certificate
		cert := certSrv.TLS.Certificates[0]
		certSrv.Close()
		opts = append(opts, grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}})))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(opts...)
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	go srv.Serve(ln)
	t.Cleanup(srv.Stop)
	return hs, ln.Addr().String()
}
