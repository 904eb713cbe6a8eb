package agent_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/testutil"
	"github.com/concordhq/concord/internal/tlsutil"
)

// TestHTTPSNeedsACertificate: ports.https without a certificate (as
// Consul's test harness configures every agent) starts the agent with
// HTTPS off; with one, HTTPS listens.
func TestHTTPSNeedsACertificate(t *testing.T) {
	a := testutil.StartAgent(t, "", func(c *config.Config) { c.Ports.HTTPS = testutil.FreePort(t) })
	if addr := a.HTTPSAddr(); addr != "" {
		t.Errorf("HTTPSAddr() = %q without a certificate, want HTTPS off", addr)
	}

	certFile, keyFile, _ := serverCert(t)
	a = testutil.StartAgent(t, "", func(c *config.Config) {
		c.Ports.HTTPS = testutil.FreePort(t)
		c.TLS.HTTPS.CertFile, c.TLS.HTTPS.KeyFile = &certFile, &keyFile
	})
	if a.HTTPSAddr() == "" {
		t.Errorf("HTTPSAddr() = \"\" with a certificate, want HTTPS on")
	}
}

// serverCert writes a new CA's server certificate for dc1 and its key to
// files, and returns their paths and the CA's PEM.
func serverCert(t *testing.T) (certFile, keyFile string, caPEM []byte) {
	t.Helper()
	dir := t.TempDir()
	caPEM, caKey, err := tlsutil.GenerateCA(tlsutil.CAOptions{Days: 1})
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := tlsutil.GenerateCert(tlsutil.CertOptions{CACert: caPEM, CAKey: caKey, Kind: tlsutil.KindServer,
		Datacenter: "dc1", Domain: "consul", Days: 1})
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	for path, data := range map[string][]byte{certFile: cert, keyFile: key} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return certFile, keyFile, caPEM
}
