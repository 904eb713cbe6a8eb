package rpc

import (
	"bufio"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// sniffTimeout bounds how long a new connection may take to send its first
// byte, so idle connections cannot pile up unclassified.
const sniffTimeout = 10 * time.Second

// Mux splits one listener into Raft connections and RPC connections. An
// RPC connection is HTTP/2, whose preface starts with 'P'; Raft's network
// transport starts every connection with a message type byte (0–4).
type Mux struct {
	ln        net.Listener
	advertise net.Addr
	source    net.IP // outgoing Raft connections come from this address
	raft      *muxListener
	rpc       *muxListener
}

// NewMux starts sorting ln's connections; advertise is the address the
// listeners report, which peers dial. Outgoing Raft connections are made
// from source (the bind address), so a peer, or a proxy in a fault test,
// can tell who is calling.
func NewMux(ln net.Listener, advertise net.Addr, source net.IP) *Mux {
	m := &Mux{ln: ln, advertise: advertise, source: source,
		raft: newMuxListener(advertise), rpc: newMuxListener(advertise)}
	go m.serve()
	return m
}

// RPCListener yields the RPC connections.
func (m *Mux) RPCListener() net.Listener { return m.rpc }

// RaftLayer is a raft.StreamLayer over the Raft connections.
func (m *Mux) RaftLayer() raft.StreamLayer { return raftLayer{m.raft, m.source} }

// Close stops accepting; both listeners then return errors.
func (m *Mux) Close() error {
	err := m.ln.Close()
	m.raft.close()
	m.rpc.close()
	return err
}

func (m *Mux) serve() {
	for {
		conn, err := m.ln.Accept()
		if err != nil {
			m.raft.close()
			m.rpc.close()
			return
		}
		go m.sort(conn)
	}
}

func (m *Mux) sort(conn net.Conn) {
	conn.SetReadDeadline(time.Now().Add(sniffTimeout))
	br := bufio.NewReader(conn)
	first, err := br.Peek(1)
	if err != nil {
		conn.Close()
		return
	}
	conn.SetReadDeadline(time.Time{})
	pc := &peekedConn{Conn: conn, r: br}
	if first[0] == 'P' {
		m.rpc.deliver(pc)
	} else {
		m.raft.deliver(pc)
	}
}

// peekedConn is a connection whose first bytes were buffered while sniffing.
type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

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

// raftLayer dials peers directly and accepts what the Mux sorted as Raft.
type raftLayer struct {
	*muxListener
	source net.IP
}

func (l raftLayer) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
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
