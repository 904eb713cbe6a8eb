package tlsutil_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/concordhq/concord/internal/tlsutil"
)

// pki is a CA and certificates of each kind, written to a temp dir.
type pki struct {
	dir, ca, caKey string
	caPEM, keyPEM  []byte
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	certPEM, keyPEM, err := tlsutil.GenerateCA(tlsutil.CAOptions{Days: 1})
	if err != nil {
		t.Fatal(err)
	}
	p := &pki{dir: t.TempDir(), caPEM: certPEM, keyPEM: keyPEM}
	p.ca, p.caKey = p.write(t, "ca", certPEM, keyPEM)
	return p
}

func (p *pki) write(t *testing.T, name string, cert, key []byte) (string, string) {
	t.Helper()
	c, k := filepath.Join(p.dir, name+".pem"), filepath.Join(p.dir, name+"-key.pem")
	if err := os.WriteFile(c, cert, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(k, key, 0o600); err != nil {
		t.Fatal(err)
	}
	return c, k
}

// cert makes a certificate of kind for dc1 and returns its files.
func (p *pki) cert(t *testing.T, name, kind string) (string, string) {
	t.Helper()
	cert, key, err := tlsutil.GenerateCert(tlsutil.CertOptions{CACert: p.caPEM, CAKey: p.keyPEM, Kind: kind,
		Datacenter: "dc1", Domain: "consul", Days: 1, DNSNames: []string{"extra.example"}})
	if err != nil {
		t.Fatal(err)
	}
	return p.write(t, name, cert, key)
}

func parseCert(t *testing.T, file string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(data)
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestGenerateCertNamesAndUsages(t *testing.T) {
	p := newPKI(t)
	for _, tc := range []struct {
		kind  string
		name  string
		usage []x509.ExtKeyUsage
	}{
		{tlsutil.KindServer, "server.dc1.consul", []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}},
		{tlsutil.KindClient, "client.dc1.consul", []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}},
		{tlsutil.KindCLI, "cli.dc1.consul", []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
	} {
		file, _ := p.cert(t, tc.kind, tc.kind)
		c := parseCert(t, file)
		if c.Subject.CommonName != tc.name || !slices.Equal(c.DNSNames, []string{tc.name, "localhost", "extra.example"}) {
			t.Errorf("%s: CN %q, DNS names %q", tc.kind, c.Subject.CommonName, c.DNSNames)
		}
		if len(c.IPAddresses) != 1 || !c.IPAddresses[0].Equal(net.IPv4(127, 0, 0, 1)) {
			t.Errorf("%s: IPs %v, want 127.0.0.1", tc.kind, c.IPAddresses)
		}
		if !slices.Equal(c.ExtKeyUsage, tc.usage) {
			t.Errorf("%s: extended key usage %v, want %v", tc.kind, c.ExtKeyUsage, tc.usage)
		}
		roots := x509.NewCertPool()
		roots.AddCert(parseCert(t, p.ca))
		if _, err := c.Verify(x509.VerifyOptions{Roots: roots, DNSName: tc.name, KeyUsages: tc.usage}); err != nil {
			t.Errorf("%s: does not verify against the CA: %v", tc.kind, err)
		}
	}
	other, otherKey, _ := tlsutil.GenerateCA(tlsutil.CAOptions{Days: 1})
	_, wrongKey, _ := tlsutil.GenerateCA(tlsutil.CAOptions{Days: 1})
	if _, _, err := tlsutil.GenerateCert(tlsutil.CertOptions{CACert: other, CAKey: wrongKey, Kind: "server", Datacenter: "dc1", Domain: "consul", Days: 1}); err == nil {
		t.Errorf("GenerateCert with a key not of the CA succeeded")
	}
	if _, _, err := tlsutil.GenerateCert(tlsutil.CertOptions{CACert: other, CAKey: otherKey, Kind: "admin", Datacenter: "dc1", Domain: "consul", Days: 1}); err == nil {
		t.Errorf("GenerateCert of an unknown kind succeeded")
	}
}

func TestNameConstraint(t *testing.T) {
	caPEM, caKey, err := tlsutil.GenerateCA(tlsutil.CAOptions{Days: 1, NameConstraint: true, Domain: "consul"})
	if err != nil {
		t.Fatal(err)
	}
	certPEM, _, err := tlsutil.GenerateCert(tlsutil.CertOptions{CACert: caPEM, CAKey: caKey, Kind: "server",
		Datacenter: "dc1", Domain: "consul", Days: 1, DNSNames: []string{"evil.example"}})
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	b, _ := pem.Decode(certPEM)
	c, _ := x509.ParseCertificate(b.Bytes)
	if _, err := c.Verify(x509.VerifyOptions{Roots: roots}); err == nil {
		t.Errorf("a certificate naming evil.example verifies under a CA constrained to consul")
	}
}

func TestNewRefusesIncompleteSettings(t *testing.T) {
	p := newPKI(t)
	cert, key := p.cert(t, "s", tlsutil.KindServer)
	for _, tc := range []struct {
		name string
		s    tlsutil.Settings
		want string
	}{
		{"cert without key", tlsutil.Settings{CertFile: cert}, "without key_file"},
		{"verify_incoming without CA", tlsutil.Settings{CertFile: cert, KeyFile: key, VerifyIncoming: true}, "without a CA"},
		{"verify_incoming without cert", tlsutil.Settings{CAFile: p.ca, VerifyIncoming: true}, "without a certificate"},
		{"verify_outgoing without CA", tlsutil.Settings{VerifyOutgoing: true}, "without a CA"},
		{"missing file", tlsutil.Settings{CAFile: filepath.Join(p.dir, "nope.pem")}, "cannot read CA file"},
		{"key as CA", tlsutil.Settings{CAFile: key}, "holds no PEM certificate"},
		{"TLS 1.3 with suites", tlsutil.Settings{MinVersion: "TLSv1_3", CipherSuites: []string{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"}}, "TLSv1_3"},
	} {
		_, err := tlsutil.New(tlsutil.Config{InternalRPC: tc.s, Datacenter: "dc1", Domain: "consul"})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: New error = %v, want it to say %q", tc.name, err, tc.want)
		}
	}
	if _, err := tlsutil.New(tlsutil.Config{InternalRPC: tlsutil.Settings{CAPath: p.dir + "/none"}}); err == nil {
		t.Errorf("New with a missing ca_path succeeded")
	}
	// tls.grpc is checked as the others, though nothing serves with it.
	_, err := tlsutil.New(tlsutil.Config{GRPC: tlsutil.Settings{CertFile: cert}, Datacenter: "dc1", Domain: "consul"})
	if err == nil || !strings.Contains(err.Error(), "tls (grpc): cert_file is set without key_file") {
		t.Errorf("New with tls.grpc cert_file only: error = %v, want it refused", err)
	}
	if _, err := tlsutil.New(tlsutil.Config{GRPC: tlsutil.Settings{CertFile: cert, KeyFile: key, CAFile: p.ca}}); err != nil {
		t.Errorf("New with a complete tls.grpc: %v", err)
	}
}

// TestCheckConfig: the configuration for health checks offers the
// internal RPC certificate and trusts the CA.
func TestCheckConfig(t *testing.T) {
	p := newPKI(t)
	cert, key := p.cert(t, "s", tlsutil.KindServer)
	c, err := tlsutil.New(tlsutil.Config{InternalRPC: tlsutil.Settings{CAFile: p.ca, CertFile: cert, KeyFile: key},
		Datacenter: "dc1", Domain: "consul"})
	if err != nil {
		t.Fatal(err)
	}
	conf := c.CheckConfig()
	if len(conf.Certificates) != 1 || conf.RootCAs == nil || conf.InsecureSkipVerify {
		t.Errorf("CheckConfig = %d certificates, roots %v, skip verify %v; want the agent's certificate and CA, verifying",
			len(conf.Certificates), conf.RootCAs != nil, conf.InsecureSkipVerify)
	}
}

// handshake runs one TLS handshake between a client configuration and a
// server configuration over a pipe; it returns the client's view and the
// server's error.
func handshake(t *testing.T, client, server *tls.Config) (tls.ConnectionState, error, error) {
	t.Helper()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	srvErr := make(chan error, 1)
	go func() {
		s := tls.Server(b, server)
		srvErr <- s.Handshake()
		s.Close()
	}()
	c := tls.Client(a, client)
	cerr := c.Handshake()
	if cerr != nil {
		a.Close()
	}
	serr := <-srvErr
	return c.ConnectionState(), cerr, serr
}

func TestServerHostnameAndReload(t *testing.T) {
	p := newPKI(t)
	sCert, sKey := p.cert(t, "server", tlsutil.KindServer)
	cCert, cKey := p.cert(t, "client", tlsutil.KindClient)
	rpc := func(cert, key string) tlsutil.Settings {
		return tlsutil.Settings{CAFile: p.ca, CertFile: cert, KeyFile: key,
			VerifyIncoming: true, VerifyOutgoing: true, VerifyServerHostname: true}
	}
	server, err := tlsutil.New(tlsutil.Config{InternalRPC: rpc(sCert, sKey), Datacenter: "dc1", Domain: "consul."})
	if err != nil {
		t.Fatal(err)
	}
	client, err := tlsutil.New(tlsutil.Config{InternalRPC: rpc(cCert, cKey), Datacenter: "dc1", Domain: "consul"})
	if err != nil {
		t.Fatal(err)
	}
	if !server.RequireTLS() {
		t.Errorf("RequireTLS() = false with verify_incoming")
	}
	// A client agent reaches a server.
	if _, cerr, serr := handshake(t, client.ClientConfig(), server.ServerConfig()); cerr != nil || serr != nil {
		t.Fatalf("client → server handshake: %v / %v", cerr, serr)
	}
	// A server does not accept a client agent as a server...
	if _, cerr, _ := handshake(t, server.ClientConfig(), client.ServerConfig()); cerr == nil ||
		!strings.Contains(cerr.Error(), "server.dc1.consul") {
		t.Errorf("server → client-certificate handshake error = %v, want a name mismatch", cerr)
	}
	// ...nor lets it open server connections.
	if err := server.AuthorizeServer(&tls.ConnectionState{PeerCertificates: []*x509.Certificate{parseCert(t, cCert)}}); err == nil {
		t.Errorf("AuthorizeServer(client certificate) = nil")
	}
	if err := server.AuthorizeServer(&tls.ConnectionState{PeerCertificates: []*x509.Certificate{parseCert(t, sCert)}}); err != nil {
		t.Errorf("AuthorizeServer(server certificate) = %v", err)
	}
	if err := server.AuthorizeServer(nil); err == nil {
		t.Errorf("AuthorizeServer(plain) = nil")
	}

	// Reload: a new certificate is served on the next handshake; a bad
	// reload keeps the old one.
	sCert2, sKey2 := p.cert(t, "server2", tlsutil.KindServer)
	if err := server.Reload(tlsutil.Config{InternalRPC: rpc(sCert2, filepath.Join(p.dir, "missing.pem")), Datacenter: "dc1", Domain: "consul"}); err == nil {
		t.Fatalf("Reload with a missing key succeeded")
	}
	incoming := server.ServerConfig() // taken before the reload, as a listener keeps it
	st, cerr, _ := handshake(t, client.ClientConfig(), incoming)
	if cerr != nil || !st.PeerCertificates[0].Equal(parseCert(t, sCert)) {
		t.Fatalf("after a failed reload: %v, serial %v; want the first certificate", cerr, st.PeerCertificates[0].SerialNumber)
	}
	if err := server.Reload(tlsutil.Config{InternalRPC: rpc(sCert2, sKey2), Datacenter: "dc1", Domain: "consul"}); err != nil {
		t.Fatal(err)
	}
	st, cerr, _ = handshake(t, client.ClientConfig(), incoming)
	if cerr != nil || !st.PeerCertificates[0].Equal(parseCert(t, sCert2)) {
		t.Fatalf("after reload: %v; want the new certificate", cerr)
	}
}

func TestVerifyOutgoingWithoutHostname(t *testing.T) {
	p := newPKI(t)
	cCert, cKey := p.cert(t, "client", tlsutil.KindClient)
	// Without verify_server_hostname a client agent's certificate passes
	// as a server's: only the CA is checked (Consul's behaviour).
	c, err := tlsutil.New(tlsutil.Config{InternalRPC: tlsutil.Settings{CAFile: p.ca, CertFile: cCert, KeyFile: cKey, VerifyOutgoing: true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, cerr, serr := handshake(t, c.ClientConfig(), c.ServerConfig()); cerr != nil || serr != nil {
		t.Fatalf("handshake: %v / %v", cerr, serr)
	}
	// A certificate of another CA is refused.
	q := newPKI(t)
	oCert, oKey := q.cert(t, "other", tlsutil.KindServer)
	o, err := tlsutil.New(tlsutil.Config{InternalRPC: tlsutil.Settings{CertFile: oCert, KeyFile: oKey}})
	if err != nil {
		t.Fatal(err)
	}
	if _, cerr, _ := handshake(t, c.ClientConfig(), o.ServerConfig()); cerr == nil {
		t.Errorf("a server certificate of another CA was accepted")
	}
}
