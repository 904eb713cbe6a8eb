package config_test

import (
	"strings"
	"testing"

	"github.com/concordhq/concord/internal/config"
)

// TestTLSSectionsOverDefaults: a section's key wins over tls.defaults,
// whichever source set which, and the older top-level keys are aliases.
func TestTLSSectionsOverDefaults(t *testing.T) {
	c, err := config.Parse([]string{"-dev",
		"-hcl", `tls { internal_rpc { verify_incoming = false ca_file = "rpc-ca.pem" } }`,
		"-hcl", `tls { defaults { verify_incoming = true ca_file = "ca.pem" cert_file = "c.pem" key_file = "k.pem" } }`,
		"-hcl", `verify_server_hostname = true
verify_incoming_https = false
tls_min_version = "tls13"
ports { https = 8501 }
addresses { https = "0.0.0.0" }`,
	})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("Warnings = %q, want none", c.Warnings)
	}
	rpc, https := c.TLS.Resolve()
	if rpc.VerifyIncoming || rpc.CAFile != "rpc-ca.pem" || rpc.CertFile != "c.pem" || !rpc.VerifyServerHostname || rpc.MinVersion != "tls13" {
		t.Errorf("internal RPC settings = %+v", rpc)
	}
	if https.VerifyIncoming || https.CAFile != "ca.pem" || https.KeyFile != "k.pem" || https.VerifyServerHostname {
		t.Errorf("HTTPS settings = %+v", https)
	}
	if c.Ports.HTTPS != 8501 || c.TLS.HTTPSAddr != "0.0.0.0" {
		t.Errorf("HTTPS listener = %s:%d, want 0.0.0.0:8501", c.TLS.HTTPSAddr, c.Ports.HTTPS)
	}
	if !c.TLS.Configured() {
		t.Errorf("Configured() = false with a certificate set")
	}
}

// TestTLSBadValues: bad versions and suites are errors naming the key.
func TestTLSBadValues(t *testing.T) {
	for _, tc := range []struct{ hcl, want string }{
		{`tls { defaults { tls_min_version = "ssl3" } }`, `tls.defaults.tls_min_version`},
		{`tls_cipher_suites = "TLS_RSA_WITH_RC4_128_SHA"`, `tls_cipher_suites`},
		{`tls { https { verify_server_hostname = true } }`, ""}, // pending, with a warning
		{`tls { internal_rpc { verify_incomming = true } }`, `unknown key "tls.internal_rpc.verify_incomming"`},
	} {
		c, err := config.Parse([]string{"-dev", "-hcl", tc.hcl})
		if tc.want == "" {
			if err != nil || len(c.Warnings) != 1 {
				t.Errorf("Parse(%q) = %v, warnings %q; want one warning", tc.hcl, err, c.Warnings)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) error = %v, want it to name %s", tc.hcl, err, tc.want)
		}
	}
}
