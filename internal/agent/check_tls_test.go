package agent_test

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/testutil"
	consul "github.com/hashicorp/consul/api"
)

// TestAgentTLSForChecks: an HTTP check of a server that wants a client
// certificate from the agent's CA, and has a certificate of that CA,
// passes with enable_agent_tls_for_checks (the agent presents its
// certificate and trusts its CA) and is critical without it.
func TestAgentTLSForChecks(t *testing.T) {
	t.Parallel()
	certFile, keyFile, caPEM := serverCert(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	srv.StartTLS()
	t.Cleanup(srv.Close)

	for _, tc := range []struct {
		enabled bool
		want    string
	}{{true, consul.HealthPassing}, {false, consul.HealthCritical}} {
		a := testutil.StartAgent(t, "", func(c *config.Config) {
			c.TLS.Defaults.CAFile, c.TLS.Defaults.CertFile, c.TLS.Defaults.KeyFile = &caFile, &certFile, &keyFile
			c.TLS.EnableAgentTLSForChecks = tc.enabled
		})
		client, err := consul.NewClient(&consul.Config{Address: a.HTTPAddr()})
		if err != nil {
			t.Fatal(err)
		}
		err = client.Agent().CheckRegister(&consul.AgentCheckRegistration{Name: "mtls",
			AgentServiceCheck: consul.AgentServiceCheck{HTTP: srv.URL, Interval: "100ms"}})
		if err != nil {
			t.Fatalf("CheckRegister: %v", err)
		}
		testutil.Run(t, 10*time.Second, func(r *testutil.R) {
			checks, err := client.Agent().Checks()
			if err != nil {
				r.Fatalf("Checks: %v", err)
			}
			// Output set: the probe has run (a new check starts critical).
			if c := checks["mtls"]; c == nil || c.Status != tc.want || c.Output == "" {
				r.Fatalf("enable_agent_tls_for_checks = %v: check = %+v, want %s after a probe", tc.enabled, c, tc.want)
			}
		})
	}
}
