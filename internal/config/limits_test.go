package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/config"
)

// TestRequestLimitsKeys: limits.request_limits takes Consul's keys and
// defaults (disabled, no limit on either rate), with rates written as
// numbers, decimals or strings, and refuses a bad mode or a zero rate.
func TestRequestLimitsKeys(t *testing.T) {
	c, err := config.Parse([]string{"-dev"})
	if err != nil {
		t.Fatal(err)
	}
	want := config.RequestLimits{Mode: "disabled", ReadRate: -1, WriteRate: -1}
	if c.Limits.RequestLimits != want || c.Limits.HTTPSHandshakeTimeout != 5*time.Second {
		t.Errorf("defaults: request_limits = %+v, https_handshake_timeout = %v; want %+v and 5s",
			c.Limits.RequestLimits, c.Limits.HTTPSHandshakeTimeout, want)
	}
	for _, tc := range []struct {
		hcl  string
		want config.RequestLimits
	}{
		{`limits { request_limits { mode = "enforcing" read_rate = 1000.0 write_rate = 500 } }`,
			config.RequestLimits{Mode: "enforcing", ReadRate: 1000, WriteRate: 500}},
		{`limits { request_limits { mode = "permissive" write_rate = 0.5 } }`,
			config.RequestLimits{Mode: "permissive", ReadRate: -1, WriteRate: 0.5}},
		{`limits { request_limits { read_rate = "20" } }`,
			config.RequestLimits{Mode: "disabled", ReadRate: 20, WriteRate: -1}},
	} {
		c, err := config.Parse([]string{"-dev", "-hcl", tc.hcl})
		if err != nil || c.Limits.RequestLimits != tc.want || len(c.Warnings) != 0 {
			t.Errorf("Parse(%s) = %+v, warnings %q, error %v; want %+v", tc.hcl, c.Limits.RequestLimits, c.Warnings, err, tc.want)
		}
	}
	for _, tc := range []struct{ hcl, want string }{
		{`limits { request_limits { mode = "strict" } }`, `limits.request_limits.mode: must be "disabled", "permissive" or "enforcing"`},
		{`limits { request_limits { write_rate = 0 } }`, "limits.request_limits.write_rate: must be positive, or -1 for no limit"},
		{`limits { request_limits { read_rate = "fast" } }`, "limits.request_limits.read_rate: must be a number"},
		{`limits { request_limits { read_rate = true } }`, "limits.request_limits.read_rate: must be a number"},
		{`limits { https_handshake_timeout = "-1s" }`, "limits.https_handshake_timeout: must not be negative"},
	} {
		if _, err := config.Parse([]string{"-dev", "-hcl", tc.hcl}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%s) error = %v, want %q", tc.hcl, err, tc.want)
		}
	}
}

// TestKeysOnceRefused: keys issue 18 named that used to be refused or
// only warned about are now set: disable_keyring_file,
// enable_agent_tls_for_checks, and tls.grpc (checked, with a warning that
// nothing uses it).
func TestKeysOnceRefused(t *testing.T) {
	c, err := config.Parse([]string{"-dev", "-hcl", `disable_keyring_file = true
enable_agent_tls_for_checks = true
limits { https_handshake_timeout = "250ms" }`})
	if err != nil || !c.DisableKeyringFile || !c.TLS.EnableAgentTLSForChecks ||
		c.Limits.HTTPSHandshakeTimeout != 250*time.Millisecond || len(c.Warnings) != 0 {
		t.Errorf("Parse = keyring file off %v, agent TLS for checks %v, https handshake %v, warnings %q, error %v",
			c.DisableKeyringFile, c.TLS.EnableAgentTLSForChecks, c.Limits.HTTPSHandshakeTimeout, c.Warnings, err)
	}

	c, err = config.Parse([]string{"-dev", "-hcl", `tls { grpc { ca_file = "/ca.pem" tls_min_version = "TLSv1_3" verify_incoming = true } }`})
	if err != nil {
		t.Fatalf("Parse(tls.grpc) error = %v", err)
	}
	g := c.TLS.ResolveGRPC()
	if g.CAFile != "/ca.pem" || g.MinVersion != "TLSv1_3" || !g.VerifyIncoming {
		t.Errorf("tls.grpc resolved = %+v, want the keys set", g)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "tls.grpc.ca_file, tls.grpc.tls_min_version, tls.grpc.verify_incoming: ignored: Concord serves no gRPC") {
		t.Errorf("Parse(tls.grpc) warnings = %q, want one saying gRPC TLS is unused", c.Warnings)
	}
	for _, tc := range []struct{ hcl, want string }{
		{`tls { grpc { tls_min_version = "TLSv9" } }`, "tls.grpc.tls_min_version:"},
		{`tls { grpc { verify_incomming = true } }`, `unknown key "tls.grpc.verify_incomming"`},
	} {
		if _, err := config.Parse([]string{"-dev", "-hcl", tc.hcl}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%s) error = %v, want %q", tc.hcl, err, tc.want)
		}
	}
}
