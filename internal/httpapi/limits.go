package httpapi

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// ConnLimits bounds the connections of the HTTP API's listener; 0 turns a
// limit off.
type ConnLimits struct {
	PerClient int // connections one client IP may hold (Consul's http_max_conns_per_client)
	Total     int // connections in all
}

// rejectLinger is how long a refused connection is kept, after its 429 is
// written, for the client to read it: closing with the client's request
// unread would reset the connection and could lose the reply.
const rejectLinger = 500 * time.Millisecond

// LimitListener returns ln with lim applied. A connection past a limit
// never reaches the HTTP server: it is answered 429 Too Many Requests and
// closed, as Consul does. A connection counts from Accept until it is
// closed.
func LimitListener(ln net.Listener, lim ConnLimits) net.Listener {
	return &limitListener{Listener: ln, lim: lim, perIP: make(map[string]int)}
}

type limitListener struct {
	net.Listener
	lim ConnLimits

	mu    sync.Mutex
	total int            // guarded by mu
	perIP map[string]int // open connections by client IP; guarded by mu
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := remoteIP(c)
		if why := l.acquire(ip); why != "" {
			go reject(c, why)
			continue
		}
		return &limitedConn{Conn: c, release: func() { l.release(ip) }}, nil
	}
}

// acquire counts a connection from ip, or returns why it may not open.
func (l *limitListener) acquire(ip string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.lim.Total > 0 && l.total >= l.lim.Total:
		return "Too many connections to this agent (limit " + strconv.Itoa(l.lim.Total) + ")"
	case l.lim.PerClient > 0 && l.perIP[ip] >= l.lim.PerClient:
		return "Too many connections from " + ip + " (limit " + strconv.Itoa(l.lim.PerClient) + " per client)"
	}
	l.total++
	l.perIP[ip]++
	return ""
}

func (l *limitListener) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.perIP[ip]--; l.perIP[ip] <= 0 {
		delete(l.perIP, ip)
	}
}

// remoteIP is the IP a connection comes from.
func remoteIP(c net.Conn) string {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	host, _, _ := net.SplitHostPort(c.RemoteAddr().String())
	return host
}

// reject answers c 429 with why, lets the client read it, and closes c.
// It waits for the request first (up to rejectLinger): a client that gets
// a response before it has sent a request takes the connection for broken
// (Go's transport fails the call) rather than reading the 429.
func reject(c net.Conn, why string) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(rejectLinger))
	_, _ = http.ReadRequest(bufio.NewReader(io.LimitReader(c, 64<<10)))
	c.SetDeadline(time.Now().Add(rejectLinger))
	body := why + "\n"
	if _, err := io.WriteString(c, "HTTP/1.1 429 Too Many Requests\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"+
		"Content-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body); err != nil {
		return
	}
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	io.Copy(io.Discard, io.LimitReader(c, 64<<10))
}

// limitedConn releases its place in the limits once, when closed.
type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}

// CloseWrite half-closes, as net/http does before closing a connection
// whose request it did not read whole.
func (c *limitedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// RefuseUnprintablePaths wraps next so that a request whose path, once
// unescaped, holds a character that is not printable (a control character
// such as %00 or %0a, or a Unicode space other than ' ') is answered 400
// with an empty body and goes no further, as Consul does unless
// disable_http_unprintable_char_filter is set. It guards every route: a
// KV key, a service ID or a node name can then never hold one.
func RefuseUnprintablePaths(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.IndexFunc(r.URL.Path, func(c rune) bool { return !unicode.IsPrint(c) }) >= 0 {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// TLSListener returns ln serving TLS with conf, where each connection's
// handshake runs in a goroutine of its own and must finish within timeout
// (0: no limit), else the connection is closed, as Consul does with
// limits.https_handshake_timeout. Accept returns only connections whose
// handshake is done, so a client that opens connections and sends
// nothing, or half a ClientHello, holds neither the HTTP server nor,
// past timeout, its connection.
func TLSListener(ln net.Listener, conf *tls.Config, timeout time.Duration) net.Listener {
	l := &tlsListener{Listener: ln, conf: conf, timeout: timeout,
		conns: make(chan net.Conn), errs: make(chan error), done: make(chan struct{})}
	go l.acceptLoop()
	return l
}

type tlsListener struct {
	net.Listener
	conf    *tls.Config
	timeout time.Duration

	conns     chan net.Conn // handshaken connections, for Accept
	errs      chan error    // the listener's Accept errors, for Accept
	done      chan struct{} // closed by Close
	closeOnce sync.Once
}

// acceptLoop accepts connections and hands each to a handshake. An
// Accept error (a closed listener, or EMFILE) goes to the next Accept
// call, which also paces the retries as net/http does.
func (l *tlsListener) acceptLoop() {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			select {
			case l.errs <- err:
			case <-l.done:
				return
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		go l.handshake(c)
	}
}

func (l *tlsListener) handshake(c net.Conn) {
	tc := tls.Server(c, l.conf)
	if l.timeout > 0 {
		c.SetDeadline(time.Now().Add(l.timeout))
	}
	if err := tc.Handshake(); err != nil {
		c.Close()
		return
	}
	c.SetDeadline(time.Time{})
	select {
	case l.conns <- tc:
	case <-l.done:
		tc.Close()
	}
}

func (l *tlsListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case err := <-l.errs:
		return nil, err
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *tlsListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}
