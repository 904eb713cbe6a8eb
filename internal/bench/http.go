package bench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// ioTimeout bounds one request and its reply, so a stalled server ends a
// run with errors instead of hanging it.
const ioTimeout = 10 * time.Second

// httpConn is a lean HTTP/1.1 keep-alive client: one connection, one
// request at a time, no pooling and no goroutines. net/http's client costs
// about as much CPU as the server it measures; on a small machine that
// would hide half of what the server can do. It is not safe for concurrent
// use; each worker owns one.
type httpConn struct {
	addr  string // host:port
	conn  net.Conn
	r     *bufio.Reader
	w     *bufio.Writer
	body  []byte // last reply body, reused by the next request
	index uint64 // X-Consul-Index of the last reply; 0 if it had none
}

func newHTTPConn(addr string) *httpConn { return &httpConn{addr: addr} }

// Close closes the connection, if any; the next request dials again.
func (c *httpConn) Close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

// errConnect is returned when the server cannot be reached at all.
var errConnect = errors.New("bench: cannot connect")

// do sends one request and reads the whole reply. It returns the status
// and the body, which is valid only until the next call. On an I/O error
// the connection is closed and the next call dials a new one.
func (c *httpConn) do(method, path string, body []byte) (int, []byte, error) {
	if err := c.send(method, path, body); err != nil {
		return 0, nil, err
	}
	return c.recv()
}

// send writes one request, dialling first if there is no connection.
// Every send must be followed by one recv.
func (c *httpConn) send(method, path string, body []byte) error {
	if c.conn == nil {
		conn, err := net.DialTimeout("tcp", c.addr, ioTimeout)
		if err != nil {
			return fmt.Errorf("%w: %w", errConnect, err)
		}
		c.conn = conn
		c.r = bufio.NewReaderSize(conn, 16<<10)
		c.w = bufio.NewWriterSize(conn, 16<<10)
	}
	c.conn.SetDeadline(time.Now().Add(ioTimeout))
	c.w.WriteString(method)
	c.w.WriteByte(' ')
	c.w.WriteString(path)
	c.w.WriteString(" HTTP/1.1\r\nHost: ")
	c.w.WriteString(c.addr)
	c.w.WriteString("\r\nContent-Length: ")
	c.w.WriteString(strconv.Itoa(len(body)))
	c.w.WriteString("\r\n\r\n")
	c.w.Write(body)
	if err := c.w.Flush(); err != nil {
		c.Close()
		return err
	}
	return nil
}

// recv reads the reply to the last send, like do.
func (c *httpConn) recv() (int, []byte, error) {
	code, keep, err := c.readReply()
	if err != nil || !keep {
		c.Close()
	}
	if err != nil {
		return 0, nil, err
	}
	return code, c.body, nil
}

// readReply reads a status line, headers and a body sized by
// Content-Length, by chunked encoding, or by the end of the connection.
func (c *httpConn) readReply() (code int, keepAlive bool, err error) {
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return 0, false, err
	}
	fields := bytes.Fields(line)
	if len(fields) < 2 || !bytes.HasPrefix(fields[0], []byte("HTTP/1.")) {
		return 0, false, fmt.Errorf("bad status line %q", line)
	}
	code, err = strconv.Atoi(string(fields[1]))
	if err != nil {
		return 0, false, fmt.Errorf("bad status line %q", line)
	}
	length, chunked, keepAlive := -1, false, true
	c.index = 0
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return 0, false, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(v)); err != nil || length < 0 {
				return 0, false, fmt.Errorf("bad Content-Length %q", v)
			}
		case bytes.EqualFold(k, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(v, []byte("chunked"))
		case bytes.EqualFold(k, []byte("Connection")):
			keepAlive = !bytes.EqualFold(v, []byte("close"))
		case bytes.EqualFold(k, []byte("X-Consul-Index")):
			c.index, _ = strconv.ParseUint(string(v), 10, 64)
		}
	}
	c.body = c.body[:0]
	switch {
	case informational(code) || code == 204 || code == 304:
	case chunked:
		err = c.readChunked()
	case length >= 0:
		err = c.readN(length)
	default:
		keepAlive = false
		var b bytes.Buffer
		_, err = b.ReadFrom(c.r)
		c.body = append(c.body, b.Bytes()...)
	}
	return code, keepAlive, err
}

// informational reports whether code is an informational reply, which has no body.
func informational(code int) bool { return code >= 100 && code < 200 }

// readN appends n bytes of body.
func (c *httpConn) readN(n int) error {
	start := len(c.body)
	c.body = append(c.body, make([]byte, n)...)
	_, err := io.ReadFull(c.r, c.body[start:])
	return err
}

// readChunked appends a chunked body and skips its trailers.
func (c *httpConn) readChunked() error {
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		line = bytes.TrimRight(line, "\r\n")
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		size, err := strconv.ParseUint(string(bytes.TrimSpace(line)), 16, 31)
		if err != nil {
			return fmt.Errorf("bad chunk size %q", line)
		}
		if size == 0 {
			break
		}
		if err := c.readN(int(size)); err != nil {
			return err
		}
		if _, err := c.r.Discard(2); err != nil { // CRLF after the chunk
			return err
		}
	}
	for { // trailers, up to the empty line
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			return nil
		}
	}
}

// errStatus is returned for a reply outside 2xx.
var errStatus = errors.New("bench: unexpected HTTP status")

// statusError wraps errStatus with the request, the code and the body.
func statusError(method, path string, code int, body []byte) error {
	if len(body) > 200 {
		body = body[:200]
	}
	return fmt.Errorf("%s %s: %w %d: %s", method, path, errStatus, code, bytes.TrimSpace(body))
}
