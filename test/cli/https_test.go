package cli_test

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/concordhq/concord/internal/testutil"
)

// TestCLIOverHTTPS makes a CA and certificates with `concord tls`, starts
// an agent whose HTTP API is HTTPS only and demands client certificates,
// and drives it with the CLI's TLS flags and, separately, their CONSUL_
// variables, as a user following Consul's docs would.
func TestCLIOverHTTPS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, args := range [][]string{{"ca", "create"}, {"cert", "create", "-server"}, {"cert", "create", "-cli"}} {
		res := run{dir: dir}.concord(t, append([]string{"tls"}, args...)...)
		if res.code != 0 {
			t.Fatalf("concord tls %s = exit %d, stderr %q", strings.Join(args, " "), res.code, res.stderr)
		}
	}
	file := func(name string) string { return filepath.Join(dir, name) }
	conf := writeFile(t, dir, "tls.hcl", fmt.Sprintf(`tls {
  defaults {
    ca_file         = %q
    cert_file       = %q
    key_file        = %q
    verify_incoming = true
  }
}`, file("consul-agent-ca.pem"), file("dc1-server-consul-0.pem"), file("dc1-server-consul-0-key.pem")))
	httpsPort := testutil.FreePort(t)
	// Plain HTTP stays on for the harness's leader wait, as Consul's
	// dev agents keep it; the test talks to the HTTPS port only.
	httpPort := testutil.FreePort(t)
	startAgent(t, httpPort, "-dev", "-node=tls", "-log-level=error", "-config-file="+conf,
		"-http-port="+strconv.Itoa(httpPort), "-https-port="+strconv.Itoa(httpsPort),
		"-server-port="+strconv.Itoa(testutil.FreePort(t)))
	addr := "https://127.0.0.1:" + strconv.Itoa(httpsPort)
	ca, cert, key := file("consul-agent-ca.pem"), file("dc1-cli-consul-0.pem"), file("dc1-cli-consul-0-key.pem")

	t.Run("flags", func(t *testing.T) {
		flags := []string{"-http-addr=" + addr, "-ca-file=" + ca, "-client-cert=" + cert, "-client-key=" + key}
		concord(t, append(append([]string{"kv", "put"}, flags...), "tls/a", "1")...).want(t, "kv put over HTTPS", 0,
			"Success! Data written to: tls/a\n", "")
		concord(t, append(append([]string{"kv", "get"}, flags...), "tls/a")...).want(t, "kv get over HTTPS", 0, "1\n", "")
		// The server certificate names 127.0.0.1, localhost and
		// server.dc1.consul; any of them verifies.
		byName := append([]string{"kv", "get", "-http-addr=https://localhost:" + strconv.Itoa(httpsPort)}, flags[1:]...)
		concord(t, append(byName, "tls/a")...).want(t, "kv get via localhost", 0, "1\n", "")
	})

	t.Run("environment", func(t *testing.T) {
		env := run{env: []string{"CONSUL_HTTP_ADDR=127.0.0.1:" + strconv.Itoa(httpsPort), "CONSUL_HTTP_SSL=true",
			"CONSUL_CACERT=" + ca, "CONSUL_CLIENT_CERT=" + cert, "CONSUL_CLIENT_KEY=" + key,
			"CONSUL_TLS_SERVER_NAME=server.dc1.consul"}}
		env.concord(t, "kv", "get", "tls/a").want(t, "kv get with CONSUL_ variables", 0, "1\n", "")
		if res := env.concord(t, "members"); res.code != 0 || !strings.Contains(res.stdout, "tls ") {
			t.Errorf("members with CONSUL_ variables = exit %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
		}
	})

	t.Run("refused", func(t *testing.T) {
		concord(t, "kv", "get", "-http-addr="+addr, "-ca-file="+ca, "tls/a").wantErr(t, "kv get without a client certificate",
			"Error! Cannot query the agent: ")
		concord(t, "kv", "get", "-http-addr="+addr, "-client-cert="+cert, "-client-key="+key, "tls/a").wantErr(t,
			"kv get without the CA", "Error! Cannot query the agent: ")
		concord(t, "kv", "get", "-http-addr="+addr, "-ca-file="+ca, "-client-cert="+cert, "-client-key="+key,
			"-tls-server-name=elsewhere.example", "tls/a").wantErr(t, "kv get expecting another name",
			"Error! Cannot query the agent: ")
	})
}
