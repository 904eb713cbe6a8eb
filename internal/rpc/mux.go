package rpc

import (
	"bufio"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
)

// DefaultHandshakeTimeout bounds how long a new connection may take to
// send its first byte, so idle connections cannot pile up unclassified
// (Consul's rpc_handshake_timeout default); see SetHandshakeTimeout.
const DefaultHandshakeTimeout = 5 * time.Second

// DefaultMaxConnsPerClient is how many connections one client IP may
// hold to the server port, Raft, RPC and probes together, unless told
// otherwise (Consul's rpc_max_conns_per_client default). Past it a new
// connection is closed at once. Each peer server holds a few Raft
// connections, each client agent one RPC connection.
const DefaultMaxConnsPerClient = 100

// Mux splits one listener into Raft, RPC and probe connections. An RPC
// connection is HTTP/2, whose preface starts with 'P'; a probe connection
// starts with probeByte ('L'); Raft's network transport starts every
// connection with a message type byte (0–4). With TLS (NewMuxTLS), a
// connection may start with tlsByte ('T'): the handshake follows, then
// one of the bytes above inside TLS.
type Mux struct {
	ln        net.Listener
	advertise net.Addr
	source    net.IP // outgoing Raft connections come from this address
	raft      *muxListener
	rpc       *muxListener
	probe     *muxListener

	perClient int // connections one client IP may hold; 0 for no limit
	tls       TLS // nil: every connection is plain

	handshake atomic.Int64 // a time.Duration; 0: DefaultHandshakeTimeout, negative: none

	mu    sync.Mutex
	conns map[string]int // open connections by client IP; guarded by mu
}

// NewMux starts sorting ln's connections; advertise is the address the
// listeners report, which peers dial. Outgoing Raft connections are made
// from source (the bind address), so a peer, or a proxy in a fault test,
// can tell who is calling. One client IP may hold perClient connections
// (0: no limit).
func NewMux(ln net.Listener, advertise net.Addr, source net.IP, perClient int) *Mux {
	return NewMuxTLS(ln, advertise, source, perClient, nil)
}

// NewMuxTLS is NewMux with TLS on the server port (see TLS): connections
// may announce TLS with tlsByte, plain ones are refused if t requires
// TLS, and Raft and probe connections must pass t.AuthorizeServer. The
// Raft layer dials with t's client configuration.
func NewMuxTLS(ln net.Listener, advertise net.Addr, source net.IP, perClient int, t TLS) *Mux {
	m := &Mux{ln: ln, advertise: advertise, source: source, perClient: perClient, tls: t,
		raft: newMuxListener(advertise), rpc: newMuxListener(advertise), probe: newMuxListener(advertise),
		conns: make(map[string]int)}
	go m.serve()
	return m
}

// RPCListener yields the RPC connections.
func (m *Mux) RPCListener() net.Listener { return m.rpc }

// ProbeListener yields the probe connections (see ServeProbes).
func (m *Mux) ProbeListener() net.Listener { return m.probe }

// RaftLayer is a raft.StreamLayer over the Raft connections.
func (m *Mux) RaftLayer() raft.StreamLayer { return raftLayer{m.raft, m.source, m.tls} }

// Close stops accepting; both listeners then return errors.
func (m *Mux) Close() error {
	err := m.ln.Close()
	m.raft.close()
	m.rpc.close()
	m.probe.close()
	return err
}

func (m *Mux) serve() {
	for {
		conn, err := m.ln.Accept()
		if err != nil {
			m.raft.close()
			m.rpc.close()
			m.probe.close()
			return
		}
		ip, _, _ := net.SplitHostPort(conn.RemoteAddr().String())
		if !m.admit(ip) {
			conn.Close()
			continue
		}
		go m.sort(conn, ip)
	}
}

// admit counts a new connection from ip, unless ip holds
// its limit already.
func (m *Mux) admit(ip string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.perClient > 0 && m.conns[ip] >= m.perClient {
		return false
	}
	m.conns[ip]++
	return true
}

// leave uncounts a closed connection from ip.
func (m *Mux) leave(ip string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.conns[ip]--; m.conns[ip] <= 0 {
		delete(m.conns, ip)
	}
}

// SetHandshakeTimeout sets how long a new connection may take to send its
// first byte before it is closed: 0 for DefaultHandshakeTimeout, a
// negative duration for no limit. It applies to connections accepted
// after it.
func (m *Mux) SetHandshakeTimeout(d time.Duration) { m.handshake.Store(int64(d)) }

// sort hands conn, from ip, to the Raft, RPC or probe listener by its
// first byte; with TLS on, after the handshake, by the first byte inside.
func (m *Mux) sort(conn net.Conn, ip string) {
	switch d := time.Duration(m.handshake.Load()); {
	case d == 0:
		conn.SetReadDeadline(time.Now().Add(DefaultHandshakeTimeout))
	case d > 0:
		conn.SetReadDeadline(time.Now().Add(d))
	}
	br := bufio.NewReader(conn)
	first, err := br.Peek(1)
	if err != nil {
		conn.Close()
		m.leave(ip)
		return
	}
	if m.tls != nil {
		m.sortTLS(conn, ip, br, first[0])
		return
	}
	conn.SetReadDeadline(time.Time{})
	pc := &peekedConn{Conn: conn, r: br, leave: func() { m.leave(ip) }}
	switch first[0] {
	case 'P':
		m.rpc.deliver(pc)
	case probeByte:
		m.probe.deliver(pc)
	default:
		m.raft.deliver(pc)
	}
}

// sortTLS is sort when the server port has TLS settings: a connection
// announcing TLS is handshaken and sorted by its inner first byte; a
// plain one is refused when TLS is required. Raft and probe connections,
// which only servers open, must also pass AuthorizeServer.
func (m *Mux) sortTLS(conn net.Conn, ip string, br *bufio.Reader, first byte) {
	refuse := func() {
		conn.Close()
		m.leave(ip)
	}
	var inner net.Conn = conn
	var cs *tls.ConnectionState
	switch {
	case first == tlsByte:
		br.Discard(1)
		tc, tbr, err := m.acceptTLS(conn, br)
		if err != nil {
			refuse()
			return
		}
		b, err := tbr.Peek(1)
		if err != nil {
			refuse()
			return
		}
		state := tc.ConnectionState()
		inner, br, first, cs = tc, tbr, b[0], &state
	case m.tls.RequireTLS():
		refuse()
		return
	}
	conn.SetReadDeadline(time.Time{})
	pc := &peekedConn{Conn: inner, r: br, leave: func() { m.leave(ip) }}
	switch first {
	case 'P':
		m.rpc.deliver(pc)
		return
	case tlsByte: // TLS inside TLS
		pc.Close()
		return
	}
	if err := m.tls.AuthorizeServer(cs); err != nil {
		pc.Close()
		return
	}
	if first == probeByte {
		m.probe.deliver(pc)
	} else {
		m.raft.deliver(pc)
	}
}

// peekedConn is a connection whose first bytes were buffered while
// sniffing. Closing it frees its place among its client's connections.
type peekedConn struct {
	net.Conn
	r     *bufio.Reader
	once  sync.Once
	leave func() // called once, on the first Close
}

func (c *peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func (c *peekedConn) Close() error {
	c.once.Do(c.leave)
	return c.Conn.Close()
}

// muxListener is a net.Listener fed by the Mux.
type muxListener struct {
	addr   net.Addr
	connCh chan net.Conn
	once   sync.Once
	done   chan struct{}
}

func newMuxListener(addr net.Addr) *muxListener {
	return &muxListener{addr: addr, connCh: make(chan net.Conn), done: make(chan struct{})}
}

func (l *muxListener) deliver(c net.Conn) {
	select {
	case l.connCh <- c:
	case <-l.done:
		c.Close()
	}
}

func (l *muxListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.connCh:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *muxListener) close() { l.once.Do(func() { close(l.done) }) }

func (l *muxListener) Close() error   { l.close(); return nil }
func (l *muxListener) Addr() net.Addr { return l.addr }

// raftLayer dials peers directly (over TLS when tls says so) and accepts
// what the Mux sorted as Raft.
type raftLayer struct {
	*muxListener
	source net.IP
	tls    TLS // or nil
}

func (l raftLayer) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	if l.tls != nil {
		return dialTimeout(string(addr), timeout, l.source, l.tls)
	}
	d := net.Dialer{Timeout: timeout, LocalAddr: sourceAddr(l.source)}
	return d.Dial("tcp", string(addr))
}

// sourceAddr is the local address to dial from: the bind IP unless it is
// unspecified (then the kernel chooses).
func sourceAddr(ip net.IP) net.Addr {
	if ip == nil || ip.IsUnspecified() {
		return nil
	}
	return &net.TCPAddr{IP: ip}
}

var _ raft.StreamLayer = raftLayer{}

// errClosed is returned for calls on a closed pool.
var errClosed = errors.New("rpc: pool closed")
