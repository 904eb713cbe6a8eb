package cli

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testPKI is a CA with a server certificate for "agent.example" only (no
// IP), so a client reaching 127.0.0.1 must be told the name, and a client
// certificate; all written as PEM files in a temp dir.
type testPKI struct {
	caFile, clientCert, clientKey string
	pool                          *x509.CertPool
	server                        tls.Certificate
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	dir := t.TempDir()
	caKey := newKey(t)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	p := &testPKI{pool: x509.NewCertPool()}
	p.pool.AddCert(ca)
	p.caFile = writePEM(t, dir, "ca.pem", "CERTIFICATE", caDER)

	issue := func(serial int64, usage x509.ExtKeyUsage, dns ...string) ([]byte, *ecdsa.PrivateKey) {
		key := newKey(t)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "test"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, KeyUsage: x509.KeyUsageDigitalSignature, DNSNames: dns}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, key
	}
	serverDER, serverKey := issue(2, x509.ExtKeyUsageServerAuth, "agent.example")
	p.server = tls.Certificate{Certificate: [][]byte{serverDER}, PrivateKey: serverKey}
	clientDER, clientKey := issue(3, x509.ExtKeyUsageClientAuth)
	p.clientCert = writePEM(t, dir, "client.pem", "CERTIFICATE", clientDER)
	keyDER, err := x509.MarshalECPrivateKey(clientKey)
	if err != nil {
		t.Fatal(err)
	}
	p.clientKey = writePEM(t, dir, "client-key.pem", "EC PRIVATE KEY", keyDER)
	return p
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func writePEM(t *testing.T, dir, name, kind string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestHTTPFlagsOverTLS runs commands against an HTTPS server that demands
// a client certificate from the test CA and the token "s3cret": both
// clients the CLI builds (Concord's for kv, the official one for acl) must
// present the certificate, verify the server by the name given, and send
// the token.
func TestHTTPFlagsOverTLS(t *testing.T) {
	pki := newTestPKI(t)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Consul-Token") != "s3cret" {
			http.Error(w, "ACL not found", http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v1/kv/greeting":
			w.Write([]byte(`[{"Key":"greeting","Value":"aGVsbG8=","CreateIndex":5,"ModifyIndex":5}]`))
		case "/v1/acl/token/self":
			w.Write([]byte(`{"AccessorID":"6a1253d2-1785-24fd-91c2-f8e78c745511","SecretID":"s3cret",` +
				`"Description":"tls test","Local":false,"CreateTime":"2026-01-02T03:04:05Z"}`))
		default:
			http.NotFound(w, r)
		}
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pki.server}, ClientAuth: tls.RequireAndVerifyClientCert,
		ClientCAs: pki.pool}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	addr := "https://" + strings.TrimPrefix(srv.URL, "https://")
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	flags := []string{"-http-addr=" + addr, "-ca-file=" + pki.caFile, "-client-cert=" + pki.clientCert,
		"-client-key=" + pki.clientKey, "-tls-server-name=agent.example", "-token-file=" + tokenFile}

	t.Run("flags", func(t *testing.T) {
		withEnv(t, nil)
		checkRun(t, "kv get", "", append(append([]string{"kv", "get"}, flags...), "greeting"), outcome{0, "hello\n", ""})
		checkRun(t, "acl token read -self", "", append([]string{"acl", "token", "read", "-self"}, flags...),
			outcome{0, "AccessorID:       6a1253d2-1785-24fd-91c2-f8e78c745511\nSecretID:         s3cret\n" +
				"Description:      tls test\nLocal:            false\nCreate Time:      2026-01-02 03:04:05 +0000 UTC\n", ""})
	})
	t.Run("environment", func(t *testing.T) {
		withEnv(t, map[string]string{
			"CONSUL_HTTP_ADDR": strings.TrimPrefix(addr, "https://"), "CONSUL_HTTP_SSL": "true",
			"CONSUL_CACERT": pki.caFile, "CONSUL_CLIENT_CERT": pki.clientCert, "CONSUL_CLIENT_KEY": pki.clientKey,
			"CONSUL_TLS_SERVER_NAME": "agent.example", "CONCORD_HTTP_TOKEN": "s3cret",
		})
		checkRun(t, "kv get", "", []string{"kv", "get", "greeting"}, outcome{0, "hello\n", ""})
		checkRun(t, "acl token read -self", "", []string{"acl", "token", "read", "-self", "-format=json"},
			outcome{0, "{\n    \"CreateIndex\": 0,\n    \"ModifyIndex\": 0,\n    \"AccessorID\": \"6a1253d2-...", ""})
	})
	t.Run("refused", func(t *testing.T) {
		withEnv(t, nil)
		tests := []struct {
			name string
			args []string
			want string
		}{
			{"no client certificate", []string{"-http-addr=" + addr, "-ca-file=" + pki.caFile, "-tls-server-name=agent.example"},
				"Error! Cannot query the agent: "},
			{"unknown CA", []string{"-http-addr=" + addr, "-client-cert=" + pki.clientCert, "-client-key=" + pki.clientKey,
				"-tls-server-name=agent.example"}, "Error! Cannot query the agent: "},
			{"wrong server name", []string{"-http-addr=" + addr, "-ca-file=" + pki.caFile, "-client-cert=" + pki.clientCert,
				"-client-key=" + pki.clientKey}, "Error! Cannot query the agent: "},
			{"certificate without key", []string{"-http-addr=" + addr, "-client-cert=" + pki.clientCert},
				"Error connecting to agent: cannot set up TLS: both client cert and client key must be provided"},
			{"no token", flags[: len(flags)-1 : len(flags)-1], "Error! Cannot query the agent: Unexpected response code: 403 (ACL not found)"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				checkRun(t, "kv get", "", append(append([]string{"kv", "get"}, tt.args...), "greeting"), outcome{1, "", tt.want + "..."})
			})
		}
	})
	t.Run("CONSUL_HTTP_SSL_VERIFY=false skips the server check", func(t *testing.T) {
		withEnv(t, map[string]string{"CONSUL_HTTP_SSL_VERIFY": "false", "CONSUL_HTTP_TOKEN": "s3cret"})
		checkRun(t, "kv get", "", []string{"kv", "get", "-http-addr=" + addr, "-client-cert=" + pki.clientCert,
			"-client-key=" + pki.clientKey, "greeting"}, outcome{0, "hello\n", ""})
	})
}
