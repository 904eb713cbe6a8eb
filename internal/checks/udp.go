package checks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/concordhq/concord/api"
)

// udpPayload is the datagram a UDP check sends.
var udpPayload = []byte("concord health check")

// newUDPProbe checks the address of def and returns its probe. UDP has no
// handshake, so the probe sends one datagram and waits for the timeout:
// a reply, or no reply at all, is passing; an error sending or reading
// (such as ECONNREFUSED, from an ICMP port unreachable) is critical.
func newUDPProbe(def *api.AgentServiceCheck) (probe, error) {
	addr := def.UDP
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, fmt.Errorf("%w: UDP %q: %v", ErrInvalidCheck, addr, err)
	}
	return func(ctx context.Context) (string, string) {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "udp", addr)
		if err != nil {
			return api.HealthCritical, fmt.Sprintf("UDP dial %s: %v", addr, err)
		}
		defer conn.Close()
		if deadline, ok := ctx.Deadline(); ok {
			conn.SetDeadline(deadline)
		}
		// Unblock the read at once if the check is removed.
		defer context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })()

		if _, err := conn.Write(udpPayload); err != nil {
			return api.HealthCritical, fmt.Sprintf("UDP send %s: %v", addr, err)
		}
		buf := make([]byte, 512)
		_, err = conn.Read(buf)
		var nerr net.Error
		switch {
		case err == nil:
			return api.HealthPassing, fmt.Sprintf("UDP %s: reply received", addr)
		case errors.As(err, &nerr) && nerr.Timeout():
			return api.HealthPassing, fmt.Sprintf("UDP %s: no error and no reply within the timeout", addr)
		default:
			return api.HealthCritical, fmt.Sprintf("UDP read %s: %v", addr, err)
		}
	}, nil
}
