package cli

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

// TestTLSCreate: `concord tls ca create` and `tls cert create` write
// Consul's file names, number certificates, and never overwrite.
func TestTLSCreate(t *testing.T) {
	t.Chdir(t.TempDir())
	run := func(args ...string) (string, int) {
		var out, errOut bytes.Buffer
		code := Main(context.Background(), append([]string{"tls"}, args...), &out, &errOut)
		return out.String() + errOut.String(), code
	}
	if out, code := run("ca", "create"); code != 0 || !strings.Contains(out, "Saved consul-agent-ca.pem") {
		t.Fatalf("tls ca create = %d:\n%s", code, out)
	}
	if out, code := run("ca", "create"); code == 0 || !strings.Contains(out, "consul-agent-ca.pem already exists") {
		t.Fatalf("second tls ca create = %d:\n%s; want a refusal", code, out)
	}
	for _, tc := range []struct {
		args []string
		file string
	}{
		{[]string{"-server"}, "dc1-server-consul-0"},
		{[]string{"-server"}, "dc1-server-consul-1"},
		{[]string{"-client", "-dc", "east"}, "east-client-consul-0"},
		{[]string{"-cli", "-additional-dnsname", "a.example", "-additional-ipaddress", "10.0.0.1"}, "dc1-cli-consul-0"},
	} {
		out, code := run(append([]string{"cert", "create"}, tc.args...)...)
		if code != 0 || !strings.Contains(out, "==> Saved "+tc.file+".pem") || !strings.Contains(out, "==> Saved "+tc.file+"-key.pem") {
			t.Fatalf("tls cert create %v = %d:\n%s", tc.args, code, out)
		}
		if info, err := os.Stat(tc.file + "-key.pem"); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("%s-key.pem: %v, %v; want mode 0600", tc.file, info, err)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"cert", "create"}, "Please provide either -server, -client, or -cli"},
		{[]string{"cert", "create", "-server", "-client"}, "Please provide either"},
		{[]string{"cert", "create", "-client", "-additional-ipaddress", "nope"}, `"nope" is not an IP address`},
		{[]string{"cert", "create", "-client", "-domain", "other"}, "cannot read the CA"},
	} {
		if out, code := run(tc.args...); code == 0 || !strings.Contains(out, tc.want) {
			t.Errorf("tls %v = %d:\n%s; want %q", tc.args, code, out, tc.want)
		}
	}
}
