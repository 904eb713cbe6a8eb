package rpc

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"time"
)

// tlsByte announces a TLS connection on the server port: the TLS
// handshake follows it, and inside TLS the connection starts again with
// its own first byte (RPC, probe or Raft), which the Mux sorts as it sorts
// plain connections. Raft uses 0–4, RPC 'P' and probes 'L'.
const tlsByte = 'T'

// TLS is how the server port's connections are secured; a nil TLS keeps
// every connection plain, at no cost. tlsutil.Configurator implements it.
// Each method is called once per connection (never per call), from the
// Mux's and the dialers' goroutines concurrently; the answers may change
// between connections (a reload).
type TLS interface {
	// ServerConfig configures an incoming TLS connection; nil when this
	// server offers no TLS (such connections are then closed).
	ServerConfig() *tls.Config
	// RequireTLS reports whether plain incoming connections are refused.
	RequireTLS() bool
	// ClientConfig configures one outgoing connection to a server; nil to
	// dial in plain text.
	ClientConfig() *tls.Config
	// AuthorizeServer accepts or refuses the peer of an incoming Raft or
	// probe connection (server-to-server traffic); cs is nil when the
	// connection is plain.
	AuthorizeServer(cs *tls.ConnectionState) error
}

// handshakeTimeout bounds a TLS handshake on the server port, either side.
const handshakeTimeout = 10 * time.Second

// dial connects to the server at addr from source, over TLS when t says
// so: tlsByte, then the handshake.
func dial(ctx context.Context, addr string, source net.IP, t TLS) (net.Conn, error) {
	d := net.Dialer{LocalAddr: sourceAddr(source)}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil || t == nil {
		return conn, err
	}
	conf := t.ClientConfig()
	if conf == nil {
		return conn, nil
	}
	if _, err := conn.Write([]byte{tlsByte}); err != nil {
		conn.Close()
		return nil, err
	}
	tc := tls.Client(conn, conf)
	hctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("rpc: TLS handshake with %s failed: %w", addr, err)
	}
	return tc, nil
}

// dialTimeout is dial bounded by timeout, for Raft's stream layer.
func dialTimeout(addr string, timeout time.Duration, source net.IP, t TLS) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return dial(ctx, addr, source, t)
}

// acceptTLS runs the server side of the handshake on conn, whose tlsByte
// br has already consumed, and returns the TLS connection with a reader
// over it, ready to sniff the inner first byte.
func (m *Mux) acceptTLS(conn net.Conn, br *bufio.Reader) (*tls.Conn, *bufio.Reader, error) {
	conf := m.tls.ServerConfig()
	if conf == nil {
		return nil, nil, fmt.Errorf("rpc: TLS connection from %s, but this server has no certificate", conn.RemoteAddr())
	}
	// The handshake reads through br, which may hold the ClientHello's
	// first bytes already.
	tc := tls.Server(&peekedConn{Conn: conn, r: br, leave: func() {}}, conf)
	ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, nil, fmt.Errorf("rpc: TLS handshake with %s failed: %w", conn.RemoteAddr(), err)
	}
	return tc, bufio.NewReader(tc), nil
}
