package tlsutil

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"sync/atomic"
)

// Configurator hands out TLS configurations built from the current
// certificates; Reload swaps them for new connections. Safe for
// concurrent use.
type Configurator struct {
	cur atomic.Pointer[current] // non-nil after New
}

// current is one generation of loaded settings and the configurations
// built from them. Built once per New or Reload, never changed.
type current struct {
	cfg        Config
	serverName string // server.<dc>.<domain>

	rpcServer   *tls.Config // nil: no certificate, TLS not offered on the server port
	rpcClient   *tls.Config // nil: dial servers in plain text
	rpcRequire  bool        // refuse plain incoming connections
	rpcAuthz    bool        // Raft and probes need a server certificate
	httpsServer *tls.Config // nil: no certificate for HTTPS
	checkClient *tls.Config // for health checks: the internal RPC certificate and CA
}

// New loads cfg's files. An error names what is wrong (a missing key, a
// verify flag without a CA...).
func New(cfg Config) (*Configurator, error) {
	c := &Configurator{}
	if err := c.Reload(cfg); err != nil {
		return nil, err
	}
	return c, nil
}

// Reload loads cfg's files again and, if they are good, makes new
// connections use them; on error nothing changes.
func (c *Configurator) Reload(cfg Config) error {
	rpc, err := load(cfg.InternalRPC)
	if err != nil {
		return fmt.Errorf("tls (internal_rpc): %w", err)
	}
	https, err := load(cfg.HTTPS)
	if err != nil {
		return fmt.Errorf("tls (https): %w", err)
	}
	if _, err := load(cfg.GRPC); err != nil {
		return fmt.Errorf("tls (grpc): %w", err)
	}
	cur := &current{cfg: cfg, serverName: ServerName(cfg.Datacenter, cfg.Domain)}
	if rpc.cert != nil {
		cur.rpcServer = serverConfig(rpc)
	}
	if rpc.s.VerifyOutgoing {
		cur.rpcClient = clientConfig(rpc, cur.serverName)
	}
	cur.rpcRequire = rpc.s.VerifyIncoming
	cur.rpcAuthz = rpc.s.VerifyIncoming && rpc.s.VerifyServerHostname
	if https.cert != nil {
		cur.httpsServer = serverConfig(https)
	}
	cur.checkClient = &tls.Config{RootCAs: rpc.roots, MinVersion: rpc.min, CipherSuites: rpc.ciphers}
	if rpc.cert != nil {
		cur.checkClient.Certificates = []tls.Certificate{*rpc.cert}
	}
	c.cur.Store(cur)
	return nil
}

// serverConfig is the configuration of a listener: m's certificate, and
// client certificates required (verify_incoming) or checked when given.
func serverConfig(m *material) *tls.Config {
	conf := &tls.Config{
		Certificates: []tls.Certificate{*m.cert},
		ClientCAs:    m.roots,
		MinVersion:   m.min,
		CipherSuites: m.ciphers,
	}
	switch {
	case m.s.VerifyIncoming:
		conf.ClientAuth = tls.RequireAndVerifyClientCert
	case m.roots != nil:
		conf.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return conf
}

// clientConfig is the configuration of a connection to a server: the CA
// checks the server's certificate, and with verify_server_hostname its
// name too; m's certificate, if any, is offered for verify_incoming.
func clientConfig(m *material, serverName string) *tls.Config {
	conf := &tls.Config{RootCAs: m.roots, MinVersion: m.min, CipherSuites: m.ciphers}
	if m.cert != nil {
		conf.Certificates = []tls.Certificate{*m.cert}
	}
	if m.s.VerifyServerHostname {
		conf.ServerName = serverName
		return conf
	}
	// Servers are dialed by IP and their certificates need not name it:
	// check the chain only, as Consul does without verify_server_hostname.
	roots := m.roots
	conf.InsecureSkipVerify = true
	conf.VerifyConnection = func(cs tls.ConnectionState) error { return verifyChain(cs, roots) }
	return conf
}

// verifyChain checks the peer's certificate against roots, whatever name
// it carries.
func verifyChain(cs tls.ConnectionState, roots *x509.CertPool) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("tls: the server offered no certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
	return err
}

// ServerConfig is for an incoming TLS connection on the server port; nil
// when this agent has no certificate. The configuration returned reads
// the current certificates at each handshake.
func (c *Configurator) ServerConfig() *tls.Config {
	if c.cur.Load().rpcServer == nil {
		return nil
	}
	return &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
		return c.cur.Load().rpcServer, nil
	}}
}

// RequireTLS reports whether the server port refuses plain connections
// (internal_rpc verify_incoming).
func (c *Configurator) RequireTLS() bool { return c.cur.Load().rpcRequire }

// ClientConfig is for one outgoing connection to a server; nil to dial
// in plain text (verify_outgoing off).
func (c *Configurator) ClientConfig() *tls.Config { return c.cur.Load().rpcClient }

// AuthorizeServer checks that the peer of an incoming server-port
// connection may act as a server (open Raft or probe connections). With
// verify_incoming and verify_server_hostname it must hold a certificate
// (already checked against the CA by the handshake) naming
// server.<datacenter>.<domain>; cs is nil for a plain connection.
func (c *Configurator) AuthorizeServer(cs *tls.ConnectionState) error {
	cur := c.cur.Load()
	if !cur.rpcAuthz {
		return nil
	}
	if cs == nil || len(cs.PeerCertificates) == 0 {
		return errors.New("tls: a server connection needs a server certificate")
	}
	if err := cs.PeerCertificates[0].VerifyHostname(cur.serverName); err != nil {
		return fmt.Errorf("tls: peer is not a server of %s: %w", cur.cfg.Datacenter, err)
	}
	return nil
}

// HTTPSConfig is the HTTPS listener's configuration, nil when the https
// settings have no certificate. It reads the current certificates at each
// handshake.
func (c *Configurator) HTTPSConfig() *tls.Config {
	if c.cur.Load().httpsServer == nil {
		return nil
	}
	return &tls.Config{
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			conf := c.cur.Load().httpsServer
			if conf == nil {
				return nil, errors.New("tls: HTTPS has no certificate since the last reload")
			}
			return conf, nil
		},
	}
}

// CheckConfig is for health checks with enable_agent_tls_for_checks: the
// internal RPC settings' certificate (offered to servers that ask for
// one) and CA (trusted instead of the system's; the system's when there
// is none). Callers clone it before changing it.
func (c *Configurator) CheckConfig() *tls.Config { return c.cur.Load().checkClient }
