package checks_test

import (
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/concordhq/concord/api"
)

func TestTCP(t *testing.T) {
	t.Parallel()
	open := listenTCP(t).Addr().String()
	tlsSrv := newTLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	tlsAddr := tlsSrv.Listener.Addr().String()

	tests := []probeCase{
		{"open port", api.AgentServiceCheck{TCP: open}, api.HealthPassing, "TCP connect " + open + ": Success"},
		{"closed port", api.AgentServiceCheck{TCP: closedAddr(t), Status: api.HealthPassing}, api.HealthCritical, "refused"},
		{"TLS handshake", api.AgentServiceCheck{TCP: tlsAddr, TCPUseTLS: true, TLSSkipVerify: true}, api.HealthPassing, "Success"},
		{"TLS unverified certificate", api.AgentServiceCheck{TCP: tlsAddr, TCPUseTLS: true, Status: api.HealthPassing}, api.HealthCritical, "certificate"},
		{"TLS to a plain port", api.AgentServiceCheck{TCP: open, TCPUseTLS: true, Status: api.HealthPassing}, api.HealthCritical, "TCP connect"},
	}
	rec := newRecorder()
	r := newRunner(t, rec, nil)
	addCases(t, r, tests)
	checkCases(t, rec, tests)
}

// listenUDP returns a UDP socket on 127.0.0.1 that answers each datagram
// with "pong" when echo is set, and reads nothing otherwise.
func listenUDP(t *testing.T, echo bool) net.PacketConn {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	if echo {
		go func() {
			buf := make([]byte, 1024)
			for {
				_, from, err := pc.ReadFrom(buf)
				if err != nil {
					return
				}
				pc.WriteTo([]byte("pong"), from)
			}
		}()
	}
	return pc
}

func TestUDP(t *testing.T) {
	t.Parallel()
	tests := []probeCase{
		{"reply", api.AgentServiceCheck{UDP: listenUDP(t, true).LocalAddr().String()}, api.HealthPassing, "reply received"},
		{"no reply within timeout", api.AgentServiceCheck{UDP: listenUDP(t, false).LocalAddr().String(), Timeout: "200ms"}, api.HealthPassing, "no reply"},
		{"closed port", api.AgentServiceCheck{UDP: closedAddr(t), Status: api.HealthPassing}, api.HealthCritical, "refused"},
	}
	rec := newRecorder()
	r := newRunner(t, rec, nil)
	addCases(t, r, tests)
	checkCases(t, rec, tests)
}

// startGRPCHealth serves grpc.health.v1 on 127.0.0.1 (over TLS, with a
// self-signed certificate, when useTLS) until the test ends.
func startGRPCHealth(t *testing.T, useTLS bool) (*health.Server, string) {
	t.Helper()
	var opts []grpc.ServerOption
	if useTLS {
		certSrv := httptest.NewTLSServer(nil) // only for its certificate
		cert := certSrv.TLS.Certificates[0]
		certSrv.Close()
		opts = append(opts, grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}})))
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer(opts...)
	hs := health.NewServer()
	healthpb.RegisterHealthServer(s, hs)
	go s.Serve(l)
	t.Cleanup(s.Stop)
	return hs, l.Addr().String()
}

func TestGRPC(t *testing.T) {
	t.Parallel()
	hs, addr := startGRPCHealth(t, false)
	hs.SetServingStatus("up", healthpb.HealthCheckResponse_SERVING)
	hs.SetServingStatus("down", healthpb.HealthCheckResponse_NOT_SERVING)
	hs.SetServingStatus("flip", healthpb.HealthCheckResponse_SERVING)
	_, tlsAddr := startGRPCHealth(t, true)

	tests := []probeCase{
		{"whole server", api.AgentServiceCheck{GRPC: addr}, api.HealthPassing, "SERVING"},
		{"serving service", api.AgentServiceCheck{GRPC: addr + "/up"}, api.HealthPassing, "SERVING"},
		{"not serving service", api.AgentServiceCheck{GRPC: addr + "/down", Status: api.HealthPassing}, api.HealthCritical, "NOT_SERVING"},
		{"unknown service", api.AgentServiceCheck{GRPC: addr + "/nope", Status: api.HealthPassing}, api.HealthCritical, "NotFound"},
		{"nothing listening", api.AgentServiceCheck{GRPC: closedAddr(t), Status: api.HealthPassing}, api.HealthCritical, "Unavailable"},
		{"TLS", api.AgentServiceCheck{GRPC: tlsAddr, GRPCUseTLS: true, TLSSkipVerify: true}, api.HealthPassing, "SERVING"},
		{"TLS unverified certificate", api.AgentServiceCheck{GRPC: tlsAddr, GRPCUseTLS: true, Status: api.HealthPassing}, api.HealthCritical, "certificate"},
	}
	rec := newRecorder()
	r := newRunner(t, rec, nil)
	addCases(t, r, tests)
	mustAdd(t, r, "flip", &api.AgentServiceCheck{GRPC: addr + "/flip", Interval: "1s"})
	checkCases(t, rec, tests)

	t.Run("status change", func(t *testing.T) {
		waitStatus(t, rec, "flip", api.HealthPassing)
		hs.SetServingStatus("flip", healthpb.HealthCheckResponse_NOT_SERVING)
		waitStatus(t, rec, "flip", api.HealthCritical)
	})
}
