package rpc

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Probes are a leader's lease checks: one tiny question to a follower
// ("do you follow leader L in term T, and since when?"), asked many times
// a second. They travel on connections of their own on the server port
// (first byte probeByte) in fixed binary frames, pipelined and matched by
// sequence number, so a question costs one small write and one small read
// rather than a gRPC call.
//
//	question: probeByte (once per connection), then per question
//	          seq u64 | term u64 | len u16 | leader ID (len bytes)
//	answer:   seq u64 | follows u8 | since-contact ns i64
const probeByte = 'L'

// maxProbeID bounds a leader ID in a question.
const maxProbeID = 1024

// ProbeHandler answers a question: whether this server follows leader in
// term, and how long ago it last heard from its leader.
type ProbeHandler func(term uint64, leader string) (follows bool, since time.Duration)

// ServeProbes answers questions on the connections ln yields until ln is
// closed.
func ServeProbes(ln net.Listener, h ProbeHandler) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		go serveProbeConn(conn, h)
	}
}

func serveProbeConn(conn net.Conn, h ProbeHandler) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	if b, err := r.ReadByte(); err != nil || b != probeByte {
		return
	}
	var head [18]byte
	id := make([]byte, maxProbeID)
	var out [17]byte
	for {
		if _, err := io.ReadFull(r, head[:]); err != nil {
			return
		}
		n := int(binary.BigEndian.Uint16(head[16:]))
		if n > maxProbeID {
			return
		}
		if _, err := io.ReadFull(r, id[:n]); err != nil {
			return
		}
		follows, since := h(binary.BigEndian.Uint64(head[8:]), string(id[:n]))
		copy(out[:8], head[:8])
		out[8] = 0
		if follows {
			out[8] = 1
		}
		binary.BigEndian.PutUint64(out[9:], uint64(since))
		if _, err := conn.Write(out[:]); err != nil {
			return
		}
	}
}

// probeAnswer is a follower's answer.
type probeAnswer struct {
	follows bool
	since   time.Duration
}

// Prober asks questions of other servers, one connection per server.
type Prober struct {
	source net.IP // dial from this address (see Pool.SetSourceIP)
	tls    TLS    // or nil for plain connections

	mu     sync.Mutex
	conns  map[string]*probeConn // by address; guarded by mu
	closed bool                  // guarded by mu
}

// NewProber returns a prober that dials from source.
func NewProber(source net.IP) *Prober {
	return &Prober{source: source, conns: map[string]*probeConn{}}
}

// SetTLS makes the prober dial with t's client configuration (see TLS).
// Call it before the first probe.
func (p *Prober) SetTLS(t TLS) { p.tls = t }

// errProberClosed is returned once the prober is closed.
var errProberClosed = errors.New("rpc: prober closed")

// Probe asks the server at addr whether it follows leader in term.
func (p *Prober) Probe(ctx context.Context, addr string, term uint64, leader string) (bool, time.Duration, error) {
	if len(leader) > maxProbeID {
		return false, 0, fmt.Errorf("rpc: leader ID of %d bytes is too long to probe", len(leader))
	}
	c, err := p.conn(ctx, addr)
	if err != nil {
		return false, 0, err
	}
	a, err := c.ask(ctx, term, leader)
	if err != nil {
		p.drop(addr, c)
	}
	return a.follows, a.since, err
}

func (p *Prober) conn(ctx context.Context, addr string) (*probeConn, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errProberClosed
	}
	if c, ok := p.conns[addr]; ok {
		p.mu.Unlock()
		return c, nil
	}
	p.mu.Unlock()
	nc, err := dial(ctx, addr, p.source, p.tls)
	if err != nil {
		return nil, err
	}
	if _, err := nc.Write([]byte{probeByte}); err != nil {
		nc.Close()
		return nil, err
	}
	c := &probeConn{conn: nc, pending: map[uint64]chan probeAnswer{}}
	p.mu.Lock()
	defer p.mu.Unlock()
	if old, ok := p.conns[addr]; ok || p.closed { // another call dialed first, or closed meanwhile
		nc.Close()
		if p.closed {
			return nil, errProberClosed
		}
		return old, nil
	}
	p.conns[addr] = c
	go c.read()
	return c, nil
}

// drop forgets c, broken, so the next probe of addr dials again.
func (p *Prober) drop(addr string, c *probeConn) {
	p.mu.Lock()
	if p.conns[addr] == c {
		delete(p.conns, addr)
	}
	p.mu.Unlock()
	c.conn.Close()
}

// Close closes every connection.
func (p *Prober) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for addr, c := range p.conns {
		c.conn.Close()
		delete(p.conns, addr)
	}
}

// probeConn is one connection to a server, with the questions in flight.
type probeConn struct {
	conn net.Conn
	wmu  sync.Mutex // serializes writes

	mu      sync.Mutex
	seq     uint64                      // guarded by mu
	pending map[uint64]chan probeAnswer // by seq; guarded by mu
	err     error                       // set once the connection broke; guarded by mu
}

func (c *probeConn) ask(ctx context.Context, term uint64, leader string) (probeAnswer, error) {
	ch := make(chan probeAnswer, 1)
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return probeAnswer{}, c.err
	}
	c.seq++
	seq := c.seq
	c.pending[seq] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, seq)
		c.mu.Unlock()
	}()

	frame := make([]byte, 18+len(leader))
	binary.BigEndian.PutUint64(frame, seq)
	binary.BigEndian.PutUint64(frame[8:], term)
	binary.BigEndian.PutUint16(frame[16:], uint16(len(leader)))
	copy(frame[18:], leader)
	c.wmu.Lock()
	if dl, ok := ctx.Deadline(); ok {
		c.conn.SetWriteDeadline(dl)
	}
	_, err := c.conn.Write(frame)
	c.wmu.Unlock()
	if err != nil {
		return probeAnswer{}, err
	}
	select {
	case a, ok := <-ch:
		if !ok {
			c.mu.Lock()
			defer c.mu.Unlock()
			return probeAnswer{}, c.err
		}
		return a, nil
	case <-ctx.Done():
		return probeAnswer{}, ctx.Err()
	}
}

// read delivers answers to their questions until the connection breaks,
// then fails every question still in flight.
func (c *probeConn) read() {
	r := bufio.NewReader(c.conn)
	var in [17]byte
	var err error
	for {
		if _, err = io.ReadFull(r, in[:]); err != nil {
			break
		}
		a := probeAnswer{follows: in[8] == 1, since: time.Duration(binary.BigEndian.Uint64(in[9:]))}
		c.mu.Lock()
		if ch, ok := c.pending[binary.BigEndian.Uint64(in[:8])]; ok {
			ch <- a // buffered; each seq is answered once
		}
		c.mu.Unlock()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.err = fmt.Errorf("rpc: probe connection to %s broke: %w", c.conn.RemoteAddr(), err)
	for seq, ch := range c.pending {
		close(ch)
		delete(c.pending, seq)
	}
	c.conn.Close()
}
