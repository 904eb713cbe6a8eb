package agent_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
)

// rawConn is a minimal HTTP/1.1 keep-alive client for benchmarks: one
// connection, one request at a time, no pooling, no per-request goroutines.
// Go's net/http client costs about as much CPU as the server it measures;
// on a 2-core machine that halves what the server can show.
type rawConn struct {
	conn net.Conn
	r    *bufio.Reader
	w    *bufio.Writer
	host string
}

func dialRaw(addr string) (*rawConn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &rawConn{conn: c, r: bufio.NewReader(c), w: bufio.NewWriter(c), host: addr}, nil
}

func (c *rawConn) Close() error { return c.conn.Close() }

// do sends one request and reads the whole reply; it returns the status
// code and body.
func (c *rawConn) do(method, path string, body []byte) (int, []byte, error) {
	fmt.Fprintf(c.w, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n", method, path, c.host, len(body))
	c.w.Write(body)
	if err := c.w.Flush(); err != nil {
		return 0, nil, err
	}
	status, err := c.r.ReadSlice('\n')
	if err != nil {
		return 0, nil, err
	}
	fields := bytes.Fields(status)
	if len(fields) < 2 {
		return 0, nil, fmt.Errorf("bad status line %q", status)
	}
	code, _ := strconv.Atoi(string(fields[1]))
	length := -1
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return 0, nil, err
		}
		if len(line) <= 2 {
			break
		}
		if k, v, ok := strings.Cut(string(line), ":"); ok && strings.EqualFold(k, "Content-Length") {
			length, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	if length < 0 {
		return 0, nil, fmt.Errorf("reply without Content-Length")
	}
	out := make([]byte, length)
	_, err = io.ReadFull(c.r, out)
	return code, out, err
}
