package checks

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"

	"github.com/concordhq/concord/api"
)

// newTCPProbe checks the address of def and returns its probe: passing
// when a TCP connection (and, with TCPUseTLS, a TLS handshake) succeeds
// within the timeout, else critical. Dialing a name tries its IPv4 and
// IPv6 addresses.
func newTCPProbe(def *api.AgentServiceCheck) (probe, error) {
	addr := def.TCP
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, fmt.Errorf("%w: TCP %q: %v", ErrInvalidCheck, addr, err)
	}
	var tlsConf *tls.Config // nil without TCPUseTLS
	if def.TCPUseTLS {
		tlsConf = &tls.Config{InsecureSkipVerify: def.TLSSkipVerify, ServerName: def.TLSServerName}
	}
	return func(ctx context.Context) (string, string) {
		var conn net.Conn
		var err error
		if tlsConf != nil {
			d := tls.Dialer{Config: tlsConf}
			conn, err = d.DialContext(ctx, "tcp", addr)
		} else {
			var d net.Dialer
			conn, err = d.DialContext(ctx, "tcp", addr)
		}
		if err != nil {
			return api.HealthCritical, fmt.Sprintf("TCP connect %s: %v", addr, err)
		}
		conn.Close()
		return api.HealthPassing, fmt.Sprintf("TCP connect %s: Success", addr)
	}, nil
}
