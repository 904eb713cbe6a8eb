package checks

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/concordhq/concord/api"
)

// newGRPCProbe checks the target of def ("host:port" or
// "host:port/service") and returns its probe: a grpc.health.v1 Check call
// for the service (the server as a whole when empty), passing when the
// answer is SERVING, else critical. Each probe opens and closes its own
// connection, so nothing runs between probes.
func newGRPCProbe(def *api.AgentServiceCheck, tlsConf *tls.Config) (probe, error) {
	addr, service, _ := strings.Cut(def.GRPC, "/")
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, fmt.Errorf("%w: GRPC %q: %v", ErrInvalidCheck, def.GRPC, err)
	}
	creds := insecure.NewCredentials()
	if def.GRPCUseTLS {
		creds = credentials.NewTLS(tlsConf)
	}
	target := def.GRPC
	return func(ctx context.Context) (string, string) {
		// passthrough: the dialer resolves addr, as net.Dial would.
		conn, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(creds))
		if err != nil {
			return api.HealthCritical, fmt.Sprintf("gRPC check %s: %v", target, err)
		}
		defer conn.Close()
		resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: service})
		if err != nil {
			return api.HealthCritical, fmt.Sprintf("gRPC check %s: %v", target, err)
		}
		if st := resp.GetStatus(); st != healthpb.HealthCheckResponse_SERVING {
			return api.HealthCritical, fmt.Sprintf("gRPC check %s: %s", target, st)
		}
		return api.HealthPassing, fmt.Sprintf("gRPC check %s: SERVING", target)
	}, nil
}
