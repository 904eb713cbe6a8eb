package agent_test

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/testutil"
	consul "github.com/hashicorp/consul/api"
)

// TestHTTPSHandshakeTimeout: a connection to the HTTPS port that does not
// finish its TLS handshake within limits.https_handshake_timeout — it
// sends nothing, or half a ClientHello — is closed then, well before the
// read-header timeout; meanwhile, and after, the official Go client's
// HTTPS requests are answered.
func TestHTTPSHandshakeTimeout(t *testing.T) {
	t.Parallel()
	certFile, keyFile, caPEM := serverCert(t)
	const timeout = 300 * time.Millisecond
	a := testutil.StartAgent(t, "", func(c *config.Config) {
		c.Ports.HTTPS = testutil.FreePort(t)
		c.TLS.HTTPS.CertFile, c.TLS.HTTPS.KeyFile = &certFile, &keyFile
		c.Limits.HTTPSHandshakeTimeout = timeout
		c.Limits.HTTPReadHeaderTimeout = time.Minute
	})
	client, err := consul.NewClient(&consul.Config{Address: a.HTTPSAddr(), Scheme: "https",
		TLSConfig: consul.TLSConfig{CAPem: caPEM}})
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		send []byte
	}{
		{"nothing sent", nil},
		{"half a ClientHello", halfClientHello(t)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", a.HTTPSAddr())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			start := time.Now()
			if _, err := conn.Write(tc.send); err != nil {
				t.Fatal(err)
			}
			// The stalled handshake holds up no one else.
			if _, err := client.Status().Leader(); err != nil {
				t.Errorf("Status().Leader() over HTTPS during a stalled handshake: %v", err)
			}
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			n, err := io.Copy(io.Discard, conn)
			var ne net.Error
			switch elapsed := time.Since(start); {
			case errors.As(err, &ne) && ne.Timeout():
				t.Fatalf("connection still open after %v, want closed after %v", elapsed, timeout)
			case elapsed < timeout:
				t.Errorf("connection closed after %v, before the %v handshake timeout", elapsed, timeout)
			case n > 0:
				t.Errorf("server sent %d bytes to an unfinished ClientHello, want none", n)
			}
		})
	}
	if _, err := client.Agent().Self(); err != nil {
		t.Errorf("Agent().Self() over HTTPS after the stalled handshakes: %v", err)
	}
}

// halfClientHello returns the first half of the record a TLS client
// opens its handshake with.
func halfClientHello(t *testing.T) []byte {
	t.Helper()
	c, s := net.Pipe()
	defer s.Close()
	go tls.Client(c, &tls.Config{ServerName: "localhost"}).Handshake()
	buf := make([]byte, 4096)
	n, err := s.Read(buf)
	if err != nil || n < 10 {
		t.Fatalf("reading a ClientHello: %d bytes, %v", n, err)
	}
	c.Close()
	return buf[:n/2]
}
