package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidateConsulConfig: a Consul config with keys Concord does not act
// on is valid, and each family of such keys is one warning line on
// stderr (the acl block is in effect, so it has none); an unknown key
// fails with a suggestion.
func TestValidateConsulConfig(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "consul.hcl")
	if err := os.WriteFile(good, []byte(`
data_dir = "`+filepath.Join(dir, "data")+`"
node_name = "n1"
ports { http = 8500 dns = 8600 }
telemetry { prometheus_retention_time = "24h" disable_hostname = true statsd_address = "127.0.0.1:8125" }
acl { enabled = true default_policy = "deny" }
connect { enabled = true }
`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "", "validate", good)
	if code != 0 || out != "Configuration is valid!\n" {
		t.Fatalf("concord validate: exit %d, stdout %q, stderr %q; want 0 and Configuration is valid!", code, out, errOut)
	}
	want := []string{
		"Warning: " + good + ": connect: ignored: Concord has no service mesh",
		"Warning: " + good + ": telemetry.statsd_address: ignored: Concord exports metrics to Prometheus only",
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if len(lines) != len(want) {
		t.Fatalf("concord validate: stderr has %d lines, want %d:\n%s", len(lines), len(want), errOut)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("concord validate: stderr line %d = %q, want it to start with %q", i+1, lines[i], w)
		}
	}

	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"data_dir": "/tmp/x", "telemetry": {"disable_hostnme": true}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = run(t, "", "validate", bad)
	if wantErr := `unknown key "telemetry.disable_hostnme" (did you mean "telemetry.disable_hostname"?)`; code != 1 || !strings.Contains(errOut, wantErr) {
		t.Errorf("concord validate %s: exit %d, stderr %q; want 1 and %q", bad, code, errOut, wantErr)
	}
}
