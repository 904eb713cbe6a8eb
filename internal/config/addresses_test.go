package config_test

import (
	"strings"
	"testing"

	"github.com/concordhq/concord/internal/config"
)

func TestAddressesHTTP(t *testing.T) {
	for _, good := range []string{"unix:///tmp/concord.sock", "127.0.0.2", "::1"} {
		c, err := config.Parse([]string{"-dev", `-hcl=addresses { http = "` + good + `" }`})
		if err != nil || c.HTTPAddr != good {
			t.Errorf("addresses.http = %q: %q, %v", good, c.HTTPAddr, err)
		}
		if len(c.Warnings) != 0 {
			t.Errorf("addresses.http = %q is honoured, yet warned about: %v", good, c.Warnings)
		}
	}
	for _, bad := range []string{"unix://relative.sock", "localhost", "tcp://1.2.3.4"} {
		_, err := config.Parse([]string{"-dev", `-hcl=addresses { http = "` + bad + `" }`})
		if err == nil || !strings.Contains(err.Error(), "unix:///absolute/path") {
			t.Errorf("addresses.http = %q: %v, want an error naming the forms", bad, err)
		}
	}
}

func TestRPCHandshakeTimeout(t *testing.T) {
	c, err := config.Parse([]string{"-dev"})
	if err != nil || c.Limits.RPCHandshakeTimeout.String() != "5s" {
		t.Fatalf("default rpc_handshake_timeout = %v, %v; want Consul's 5s", c.Limits.RPCHandshakeTimeout, err)
	}
	c, err = config.Parse([]string{"-dev", `-hcl=limits { rpc_handshake_timeout = "2s" }`})
	if err != nil || c.Limits.RPCHandshakeTimeout.String() != "2s" || len(c.Warnings) != 0 {
		t.Fatalf("rpc_handshake_timeout = 2s: %v, %v, warnings %v", c.Limits.RPCHandshakeTimeout, err, c.Warnings)
	}
	if _, err := config.Parse([]string{"-dev", `-hcl=limits { rpc_handshake_timeout = "-1s" }`}); err == nil {
		t.Fatal("a negative rpc_handshake_timeout was taken")
	}
}
