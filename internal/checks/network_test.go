package checks_test

import (
	"net/http"
	"testing"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/testutil"
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

func TestUDP(t *testing.T) {
	t.Parallel()
	tests := []probeCase{
		{"reply", api.AgentServiceCheck{UDP: testutil.UDPServer(t, true)}, api.HealthPassing, "reply received"},
		{"no reply within timeout", api.AgentServiceCheck{UDP: testutil.UDPServer(t, false), Timeout: "200ms"}, api.HealthPassing, "no reply"},
		{"closed port", api.AgentServiceCheck{UDP: closedAddr(t), Status: api.HealthPassing}, api.HealthCritical, "refused"},
	}
	rec := newRecorder()
	r := newRunner(t, rec, nil)
	addCases(t, r, tests)
	checkCases(t, rec, tests)
}

func TestGRPC(t *testing.T) {
	t.Parallel()
	hs, addr := testutil.GRPCHealthServer(t, false)
	hs.SetServingStatus("up", healthpb.HealthCheckResponse_SERVING)
	hs.SetServingStatus("down", healthpb.HealthCheckResponse_NOT_SERVING)
	hs.SetServingStatus("flip", healthpb.HealthCheckResponse_SERVING)
	_, tlsAddr := testutil.GRPCHealthServer(t, true)

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
