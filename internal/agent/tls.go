package agent

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strconv"

	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/httpapi"
	"github.com/concordhq/concord/internal/rpc"
	"github.com/concordhq/concord/internal/tlsutil"
)

// tlsSettings is what the tls block resolves to for this agent.
func tlsSettings(cfg config.Config) tlsutil.Config {
	rpc, https := cfg.TLS.Resolve()
	return tlsutil.Config{InternalRPC: rpc, HTTPS: https, GRPC: cfg.TLS.ResolveGRPC(),
		Datacenter: cfg.Datacenter, Domain: cfg.DNS.Domain}
}

// newTLS loads the certificates of cfg's tls settings, or returns nil
// when neither the server port, HTTPS, checks nor tls.grpc (checked only)
// use TLS, so that the plain path stays as it is.
func newTLS(cfg config.Config) (*tlsutil.Configurator, error) {
	if !cfg.TLS.Configured() && cfg.Ports.HTTPS < 0 && !cfg.TLS.EnableAgentTLSForChecks &&
		cfg.TLS.GRPC == (config.TLSSection{}) {
		return nil, nil
	}
	return tlsutil.New(tlsSettings(cfg))
}

// serverPortTLS is the server port's TLS for the server and the RPC
// pool: nil (plain, at no cost) unless the tls block sets something for
// internal RPC. Turning TLS on or off there needs a restart; a reload
// changes certificates and CAs.
func (a *Agent) serverPortTLS() rpc.TLS {
	if a.tls == nil || !a.cfg.TLS.Configured() {
		return nil
	}
	return a.tls
}

// startHTTPS serves the HTTP API over TLS on ports.https (off when -1,
// or without a certificate), with client certificates required when
// tls.https.verify_incoming is set. It shares the HTTP listener's handler
// and connection limits; a handshake must finish within
// limits.https_handshake_timeout.
func (a *Agent) startHTTPS(handler http.Handler) error {
	if a.cfg.Ports.HTTPS < 0 {
		return nil
	}
	conf := a.tls.HTTPSConfig()
	if conf == nil {
		// Consul's test harness sets ports.https on every agent, with or
		// without certificates: say it, and go on without HTTPS.
		a.logger.Warn("ports.https is set but the tls settings for https have no cert_file and key_file: HTTPS is off")
		return nil
	}
	host := a.cfg.TLS.HTTPSAddr
	if host == "" {
		host = a.cfg.ClientAddr
	}
	addr := net.JoinHostPort(host, strconv.Itoa(a.cfg.Ports.HTTPS))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("cannot listen for HTTPS on %s: %w", addr, err)
	}
	a.httpsLn = ln
	lim := a.cfg.Limits
	limited := httpapi.LimitListener(ln, httpapi.ConnLimits{PerClient: lim.HTTPMaxConnsPerClient, Total: lim.HTTPMaxConns})
	a.httpsSrv = a.newHTTPServer(handler)
	go func() { a.httpsErr <- a.httpsSrv.Serve(httpapi.TLSListener(limited, conf, lim.HTTPSHandshakeTimeout)) }()
	return nil
}

// HTTPSAddr is the address the HTTPS API listens on, "" when off.
func (a *Agent) HTTPSAddr() string {
	if a.httpsLn == nil {
		return ""
	}
	return a.httpsLn.Addr().String()
}

// reloadTLS loads the certificates and CAs again (SIGHUP, `concord
// reload`): new connections use them, established ones keep going. On
// error the old ones stay.
func (a *Agent) reloadTLS(cfg config.Config) error {
	if a.tls == nil {
		return nil
	}
	if err := a.tls.Reload(tlsSettings(cfg)); err != nil {
		return fmt.Errorf("cannot reload TLS certificates: %w", err)
	}
	a.logger.Info("TLS certificates reloaded")
	return nil
}

// stopHTTPS stops the HTTPS server like the HTTP one (see Shutdown).
func (a *Agent) stopHTTPS(ctx context.Context) error {
	if a.httpsSrv == nil {
		return nil
	}
	return stopHTTPServer(ctx, a.httpsSrv, a.httpsErr)
}

// checkTLS is the TLS configuration HTTP and gRPC checks start from:
// the agent's certificate and CA with enable_agent_tls_for_checks, else
// nil (Go's defaults).
func (a *Agent) checkTLS() *tls.Config {
	if !a.cfg.TLS.EnableAgentTLSForChecks || a.tls == nil {
		return nil
	}
	return a.tls.CheckConfig()
}
