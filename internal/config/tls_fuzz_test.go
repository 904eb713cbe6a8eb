package config

import (
	"slices"
	"testing"

	"github.com/concordhq/concord/internal/tlsutil"
)

// tlsSeeds are tls blocks good and bad: every section, the older
// top-level keys, versions and cipher suites in and out of range.
var tlsSeeds = []string{
	`tls { defaults { ca_file = "ca.pem" cert_file = "c.pem" key_file = "k.pem" verify_incoming = true verify_outgoing = true } }`,
	`tls { internal_rpc { verify_server_hostname = true tls_min_version = "TLSv1_3" } }`,
	`tls { https { verify_incoming = false } defaults { verify_incoming = true } }`,
	`tls { defaults { tls_cipher_suites = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" } }`,
	`tls { defaults { tls_cipher_suites = "TLS_RSA_WITH_RC4_128_SHA" } }`,
	`tls { defaults { tls_min_version = "ssl3" } }`,
	`tls { grpc { verify_incoming = true } }`,
	`tls { defaults { verify_server_hostname = true } }`,
	`tls { internal_rpc { verify_incoming = "yes" } }`,
	`tls = 5`,
	`tls { defaults = [] }`,
	`ca_file = "a" verify_incoming_rpc = true verify_incoming_https = false verify_server_hostname = true tls_min_version = "tls12"`,
	`ports { https = 8501 } addresses { https = "0.0.0.0" }`,
	`ports { https = 0 } addresses { https = "localhost" }`,
}

// FuzzTLSConfig parses tls blocks: a bad one is a clean error; a good one
// resolves to settings whose version and suites tlsutil accepts, and a
// section's own key always wins over tls.defaults.
func FuzzTLSConfig(f *testing.F) {
	for _, s := range tlsSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		// A data dir, so that Validate passes and the checks below run.
		tr, perr := parseHCL([]byte(fuzzDataDir+src), "fuzz.hcl")
		c, err := loadTree(t, truncate(src), tr, perr)
		if err != nil {
			return
		}
		rpc, https := c.TLS.Resolve()
		for _, s := range []tlsutil.Settings{rpc, https} {
			if _, err := tlsutil.ParseMinVersion(s.MinVersion); err != nil {
				t.Fatalf("%s: resolved tls_min_version %q is refused: %v", truncate(src), s.MinVersion, err)
			}
			for _, name := range s.CipherSuites {
				if _, err := tlsutil.ParseCipherSuites(name); err != nil {
					t.Fatalf("%s: resolved suite %q is refused: %v", truncate(src), name, err)
				}
			}
		}
		if v := c.TLS.InternalRPC.VerifyIncoming; v != nil && rpc.VerifyIncoming != *v {
			t.Fatalf("%s: internal_rpc.verify_incoming = %v but resolved %v", truncate(src), *v, rpc.VerifyIncoming)
		}
		if v := c.TLS.HTTPS.CertFile; v != nil && https.CertFile != *v {
			t.Fatalf("%s: https.cert_file = %q but resolved %q", truncate(src), *v, https.CertFile)
		}
		if c.TLS.InternalRPC.CipherSuites == nil && c.TLS.Defaults.CipherSuites == nil && !slices.Equal(rpc.CipherSuites, nil) {
			t.Fatalf("%s: suites %q from nowhere", truncate(src), rpc.CipherSuites)
		}
	})
}
