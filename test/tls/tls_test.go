// Package tls tests Concord's TLS as a user sets it up: a CA and
// certificates made by `concord tls`, a cluster of three servers and a
// client agent on mutual TLS with verify_server_hostname, the official Go
// client over HTTPS, and certificates reloaded on SIGHUP.
package tls

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/rpc"
	"github.com/concordhq/concord/internal/testutil"
	"github.com/concordhq/concord/internal/tlsutil"
	consul "github.com/hashicorp/consul/api"
	"github.com/hashicorp/raft"
)

// binary is the concord binary TestMain builds once for the package.
var binary string

func TestMain(m *testing.M) { os.Exit(testutil.RunWithConcord(m, &binary)) }

// concordTLS runs `concord tls args...` in dir and returns its output.
func concordTLS(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"tls"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("concord tls %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// pki is the files `concord tls` made in dir.
type pki struct{ dir string }

func (p pki) file(name string) string { return filepath.Join(p.dir, name) }

// agentConfig is an agent's tls block: mutual TLS everywhere, server
// names checked, with the certificate cert (a file prefix in p.dir).
func (p pki) agentConfig(t *testing.T, cert string) string {
	t.Helper()
	hcl := fmt.Sprintf(`tls {
  defaults {
    ca_file = %q
    cert_file = %q
    key_file = %q
    verify_incoming = true
    verify_outgoing = true
  }
  internal_rpc { verify_server_hostname = true }
}
`, p.file("consul-agent-ca.pem"), p.file(cert+".pem"), p.file(cert+"-key.pem"))
	path := p.file(cert + ".hcl")
	if err := os.WriteFile(path, []byte(hcl), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// peerCert opens a TLS connection to the server port at addr (first byte,
// then the handshake, as agents do) with the CLI certificate and returns
// the server's certificate.
func (p pki) peerCert(t *testing.T, addr string) *x509.Certificate {
	t.Helper()
	conf := p.clientTLS(t, "dc1-cli-consul-0")
	conf.ServerName = "server.dc1.consul"
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte{'T'}); err != nil {
		t.Fatal(err)
	}
	tc := tls.Client(conn, conf)
	if err := tc.Handshake(); err != nil {
		t.Fatalf("handshake with %s: %v", addr, err)
	}
	return tc.ConnectionState().PeerCertificates[0]
}

// clientTLS is a client configuration with cert and the CA.
func (p pki) clientTLS(t *testing.T, cert string) *tls.Config {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(p.file(cert+".pem"), p.file(cert+"-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(p.file("consul-agent-ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca)
	return &tls.Config{Certificates: []tls.Certificate{pair}, RootCAs: roots}
}

// configurator is the TLS of a process that holds cert, as the agent
// would load it.
func (p pki) configurator(t *testing.T, cert string) *tlsutil.Configurator {
	t.Helper()
	c, err := tlsutil.New(tlsutil.Config{Datacenter: "dc1", Domain: "consul", InternalRPC: tlsutil.Settings{
		CAFile: p.file("consul-agent-ca.pem"), CertFile: p.file(cert + ".pem"), KeyFile: p.file(cert + "-key.pem"),
		VerifyIncoming: true, VerifyOutgoing: true, VerifyServerHostname: true}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestMutualTLSCluster runs one cluster of three servers and a client
// agent on mutual TLS and checks, in order: reads and writes through the
// client agent with the official Go client over HTTPS; HTTPS refusing a
// client without a certificate; a client certificate kept out of Raft and
// of server-to-server calls; and a certificate reload on SIGHUP.
func TestMutualTLSCluster(t *testing.T) {
	p := pki{dir: t.TempDir()}
	out := concordTLS(t, p.dir, "ca", "create")
	if !strings.Contains(out, "==> Saved consul-agent-ca.pem") || !strings.Contains(out, "==> Saved consul-agent-ca-key.pem") {
		t.Fatalf("tls ca create said:\n%s", out)
	}
	for _, kind := range []string{"-server", "-client", "-cli"} {
		concordTLS(t, p.dir, "cert", "create", kind)
	}
	out = concordTLS(t, p.dir, "cert", "create", "-server") // the reload's new certificate
	if !strings.Contains(out, "==> Saved dc1-server-consul-1.pem") {
		t.Fatalf("second tls cert create -server said:\n%s", out)
	}
	serverConf, clientConf := p.agentConfig(t, "dc1-server-consul-0"), p.agentConfig(t, "dc1-client-consul-0")
	https := map[string]int{}
	c := testutil.StartClusterWith(t, binary, 3, 1, func(n *testutil.Node) []string {
		https[n.Name] = testutil.FreePort(t)
		conf := clientConf
		if n.Server {
			conf = serverConf
		}
		return []string{"-config-file=" + conf, "-https-port=" + strconv.Itoa(https[n.Name])}
	})
	agent := c.Clients()[0]
	httpsAddr := func(n *testutil.Node) string { return "127.0.0.1:" + strconv.Itoa(https[n.Name]) }
	newClient := func(t *testing.T, n *testutil.Node, tc consul.TLSConfig) *consul.Client {
		t.Helper()
		cl, err := consul.NewClient(&consul.Config{Address: httpsAddr(n), Scheme: "https", TLSConfig: tc})
		if err != nil {
			t.Fatal(err)
		}
		return cl
	}
	cliTLS := consul.TLSConfig{CAFile: p.file("consul-agent-ca.pem"),
		CertFile: p.file("dc1-cli-consul-0.pem"), KeyFile: p.file("dc1-cli-consul-0-key.pem")}

	t.Run("go client over HTTPS through the client agent", func(t *testing.T) {
		kv := newClient(t, agent, cliTLS).KV()
		if _, err := kv.Put(&consul.KVPair{Key: "tls/a", Value: []byte("1")}, nil); err != nil {
			t.Fatalf("Put through the client agent: %v", err)
		}
		pair, _, err := kv.Get("tls/a", nil)
		if err != nil || pair == nil || string(pair.Value) != "1" {
			t.Fatalf("Get through the client agent = %v, %v; want 1", pair, err)
		}
		leader := newClient(t, c.Leader(t), cliTLS)
		pair, _, err = leader.KV().Get("tls/a", nil)
		if err != nil || pair == nil || string(pair.Value) != "1" {
			t.Fatalf("Get from the leader = %v, %v; want 1", pair, err)
		}
	})

	t.Run("HTTPS refuses a client without a certificate", func(t *testing.T) {
		_, _, err := newClient(t, agent, consul.TLSConfig{CAFile: p.file("consul-agent-ca.pem")}).KV().Get("tls/a", nil)
		if err == nil {
			t.Fatalf("Get over HTTPS without a client certificate succeeded")
		}
		_, _, err = newClient(t, agent, consul.TLSConfig{InsecureSkipVerify: true}).KV().Get("tls/a", nil)
		if err == nil {
			t.Fatalf("Get over HTTPS without any certificate succeeded")
		}
	})

	t.Run("a client certificate cannot join Raft or act as a server", func(t *testing.T) {
		leader := c.Leader(t)
		// Raft: an AppendEntries of term 0 is harmless (refused, answered
		// with the current term) but only a server certificate gets it in.
		appendEntries := func(cert string) (*raft.AppendEntriesResponse, error) {
			layer := &dialOnly{tls: p.configurator(t, cert)}
			trans := raft.NewNetworkTransport(layer, 1, 5*time.Second, nil)
			defer trans.Close()
			var resp raft.AppendEntriesResponse
			err := trans.AppendEntries("x", raft.ServerAddress(leader.RaftAddr), &raft.AppendEntriesRequest{
				RPCHeader: raft.RPCHeader{ProtocolVersion: raft.ProtocolVersionMax, ID: []byte("intruder"), Addr: []byte("127.0.0.1:1")}}, &resp)
			return &resp, err
		}
		if resp, err := appendEntries("dc1-server-consul-0"); err != nil || resp.Term == 0 {
			t.Fatalf("Raft AppendEntries with a server certificate = %+v, %v; want an answer", resp, err)
		}
		if _, err := appendEntries("dc1-client-consul-0"); err == nil {
			t.Fatalf("Raft AppendEntries with a client certificate got an answer")
		}
		// Server-to-server calls (the leader's lease probes).
		probe := func(cert string) error {
			pr := rpc.NewProber(net.ParseIP("127.0.0.1"))
			pr.SetTLS(p.configurator(t, cert))
			defer pr.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, _, err := pr.Probe(ctx, leader.RaftAddr, 1, "x")
			return err
		}
		if err := probe("dc1-server-consul-0"); err != nil {
			t.Fatalf("probe with a server certificate: %v", err)
		}
		if err := probe("dc1-client-consul-0"); err == nil {
			t.Fatalf("probe with a client certificate was answered")
		}
		// And nobody gets in without TLS.
		pr := rpc.NewProber(net.ParseIP("127.0.0.1"))
		defer pr.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, _, err := pr.Probe(ctx, leader.RaftAddr, 1, "x"); err == nil {
			t.Fatalf("plain probe was answered")
		}
	})

	t.Run("SIGHUP reloads certificates without dropping the cluster", func(t *testing.T) {
		old := p.peerCert(t, c.Servers()[0].RaftAddr)
		for _, suffix := range []string{".pem", "-key.pem"} {
			data, err := os.ReadFile(p.file("dc1-server-consul-1" + suffix))
			if err != nil {
				t.Fatal(err)
			}
			tmp := p.file("next" + suffix)
			if err := os.WriteFile(tmp, data, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, p.file("dc1-server-consul-0"+suffix)); err != nil {
				t.Fatal(err)
			}
		}
		for i, n := range c.Servers() {
			if i == 0 { // one through the API, as `concord reload` does
				if err := newClient(t, n, cliTLS).Agent().Reload(); err != nil {
					t.Fatalf("reload %s: %v", n.Name, err)
				}
				continue
			}
			n.Proc.Cmd.Process.Signal(syscall.SIGHUP)
		}
		for _, n := range c.Servers() {
			testutil.Run(t, 10*time.Second, func(r *testutil.R) {
				if got := p.peerCert(t, n.RaftAddr); got.Equal(old) {
					r.Fatalf("%s still serves the old certificate", n.Name)
				}
			})
		}
		kv := newClient(t, agent, cliTLS).KV()
		if _, err := kv.Put(&consul.KVPair{Key: "tls/b", Value: []byte("2")}, nil); err != nil {
			t.Fatalf("Put after the reload: %v", err)
		}
		for _, n := range c.Servers() {
			if n.Proc.Exited() {
				t.Fatalf("%s exited", n.Name)
			}
			testutil.Run(t, 10*time.Second, func(r *testutil.R) {
				pair, _, err := newClient(t, n, cliTLS).KV().Get("tls/b", &consul.QueryOptions{AllowStale: true})
				if err != nil || pair == nil {
					r.Fatalf("Get from %s after the reload = %v, %v; want the write", n.Name, pair, err)
				}
			})
		}
		c.Leader(t)
	})
}

// dialOnly is a raft.StreamLayer that only dials, over TLS with a
// certificate, as a server would.
type dialOnly struct{ tls rpc.TLS }

func (d *dialOnly) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	conn, err := net.DialTimeout("tcp", string(addr), timeout)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(timeout))
	if _, err := conn.Write([]byte{'T'}); err != nil {
		conn.Close()
		return nil, err
	}
	tc := tls.Client(conn, d.tls.ClientConfig())
	if err := tc.Handshake(); err != nil {
		conn.Close()
		return nil, err
	}
	conn.SetDeadline(time.Time{})
	return tc, nil
}

func (d *dialOnly) Accept() (net.Conn, error) { select {} }
func (d *dialOnly) Close() error              { return nil }
func (d *dialOnly) Addr() net.Addr            { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} }
