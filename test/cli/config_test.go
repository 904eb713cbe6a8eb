package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/testutil"
)

// goodHCL is a complete durable server config.
const goodHCL = `
data_dir         = "/var/lib/concord"
node_name        = "n1"
server           = true
bootstrap_expect = 1
ports {
  http = 8501
}
`

// TestValidate runs `concord validate` on good and bad files and directories.
func TestValidate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := writeFile(t, dir, "good.hcl", goodHCL)
	goodJSON := writeFile(t, dir, "good.json",
		`{"data_dir": "/var/lib/concord", "node_name": "n1", "ports": {"http": 8501}}`)
	unknown := writeFile(t, dir, "unknown.hcl", goodHCL+"bogus_key = 1\n")
	unknownNested := writeFile(t, dir, "nested.hcl", "data_dir = \"/d\"\nports {\n  htttp = 1\n}\n")
	badValue := writeFile(t, dir, "bad.hcl", goodHCL+"log_level = \"loud\"\n")
	badWatch := writeFile(t, dir, "watch.hcl", goodHCL+"watches = [{ type = \"key\", args = [\"true\"] }]\n")

	mixed := filepath.Join(dir, "mixed")
	mkdir(t, mixed)
	writeFile(t, mixed, "a.json", `{"datacenter": "east", "data_dir": "/var/lib/concord"}`)
	writeFile(t, mixed, "b.hcl", "node_name = \"n2\"\nserver = true\n")
	writeFile(t, mixed, "README.md", "not config, ignored")

	badDir := filepath.Join(dir, "baddir")
	mkdir(t, badDir)
	writeFile(t, badDir, "a.hcl", goodHCL)
	badJSON := writeFile(t, badDir, "b.json", `{"no_such_key": true}`)

	const valid = "Configuration is valid!\n"
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string // exact, or with a trailing "..." a prefix
	}{
		{name: "hcl file", args: []string{good}, wantOut: valid},
		{name: "json file", args: []string{goodJSON}, wantOut: valid},
		{name: "quiet", args: []string{"-quiet", good}},
		{name: "dir of json and hcl", args: []string{mixed}, wantOut: valid},
		{name: "file and dir", args: []string{mixed, good}, wantOut: valid},
		{name: "unknown key", args: []string{unknown}, wantCode: 1,
			wantErr: fmt.Sprintf("Config validation failed: config: %s: unknown key \"bogus_key\"\n", unknown)},
		{name: "unknown nested key", args: []string{unknownNested}, wantCode: 1,
			wantErr: fmt.Sprintf("Config validation failed: config: %s: unknown key \"ports.htttp\" (did you mean \"ports.http\"?)\n", unknownNested)},
		{name: "unknown key in dir", args: []string{badDir}, wantCode: 1,
			wantErr: fmt.Sprintf("Config validation failed: config: %s: unknown key \"no_such_key\"\n", badJSON)},
		{name: "bad value", args: []string{badValue}, wantCode: 1,
			wantErr: fmt.Sprintf("Config validation failed: config: %s: log_level: ...", badValue)},
		{name: "watch without its key", args: []string{badWatch}, wantCode: 1,
			wantErr: "Config validation failed: watches[0]: ..."},
		{name: "missing file", args: []string{filepath.Join(dir, "nope.hcl")}, wantCode: 1,
			wantErr: "Config validation failed: config: stat " + filepath.Join(dir, "nope.hcl") + ": ..."},
		{name: "no arguments", wantCode: 1, wantErr: "Must specify at least one config file or directory\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, verb := range []string{"validate", "configtest"} {
				args := append([]string{verb}, tt.args...)
				cmd := strings.Join(args, " ")
				res := concord(t, args...)
				prefix, isPrefix := strings.CutSuffix(tt.wantErr, "...")
				if !isPrefix {
					res.want(t, cmd, tt.wantCode, tt.wantOut, tt.wantErr)
				} else if res.code != tt.wantCode || res.stdout != tt.wantOut || !strings.HasPrefix(res.stderr, prefix) {
					t.Errorf("concord %s = exit %d, stdout %q, stderr %q; want exit %d, stdout %q, stderr starting %q",
						cmd, res.code, res.stdout, res.stderr, tt.wantCode, tt.wantOut, prefix)
				}
			}
		})
	}
}

// TestAgentBadConfig checks that `concord agent` refuses to start on a bad
// configuration, exiting non-zero and naming the file and key at fault.
func TestAgentBadConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ports := []string{
		"-http-port=" + strconv.Itoa(testutil.FreePort(t)),
		"-server-port=" + strconv.Itoa(testutil.FreePort(t)),
	}
	badLevel := writeFile(t, dir, "level.hcl", "log_level = \"loud\"\n")
	badPort := writeFile(t, dir, "port.json", `{"ports": {"http": 70000}}`)
	unknown := writeFile(t, dir, "unknown.hcl", "node_name = \"n\"\nno_such_key = \"x\"\n")

	tests := []struct {
		name string
		args []string
		want []string // each must appear in stderr
	}{
		{name: "no data dir", args: []string{"-server", "-bootstrap-expect=1", "-node=n1"},
			want: []string{"==> config: data_dir is required (or use -dev)\n"}},
		{name: "bad value", args: []string{"-dev", "-config-file=" + badLevel},
			want: []string{badLevel, "log_level", `"loud"`}},
		{name: "bad port", args: []string{"-dev", "-config-file=" + badPort},
			want: []string{badPort, "ports.http", "70000"}},
		{name: "unknown key", args: []string{"-dev", "-config-file=" + unknown},
			want: []string{unknown, `"no_such_key"`}},
		{name: "bad hcl fragment", args: []string{"-dev", "-hcl", "node_name = 3.5"},
			want: []string{"-hcl #1", "node_name"}},
		{name: "bad flag value", args: []string{"-dev", "-log-level=loud"},
			want: []string{"-log-level"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{"agent"}, tt.args...), ports...)
			res := concord(t, args...)
			if res.code == 0 || res.stdout != "" {
				t.Errorf("concord %s = exit %d, stdout %q; want a failure before start, with no stdout",
					strings.Join(args, " "), res.code, res.stdout)
			}
			for _, w := range tt.want {
				if !strings.Contains(res.stderr, w) {
					t.Errorf("concord %s: stderr %q does not mention %q", strings.Join(args, " "), res.stderr, w)
				}
			}
		})
	}
}

// TestAgentConfigSources starts agents configured by a file alone, by a
// directory, by -hcl, and by all sources at once, and checks the HTTP port
// and node name they end up with: later sources win, flags last.
func TestAgentConfigSources(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     func(dir string, httpPort, serverPort int) []string
		wantNode string
	}{
		{
			name: "config file",
			args: func(dir string, httpPort, serverPort int) []string {
				f := writeFile(t, dir, "agent.hcl", fmt.Sprintf(`
data_dir         = %q
server           = true
bootstrap_expect = 1
node_name        = "from-file"
log_level        = "warn"
ports {
  http   = %d
  server = %d
}
`, filepath.Join(dir, "data"), httpPort, serverPort))
				return []string{"-config-file", f}
			},
			wantNode: "from-file",
		},
		{
			name: "config dir",
			args: func(dir string, httpPort, serverPort int) []string {
				writeFile(t, dir, "a.json", fmt.Sprintf(`{"node_name": "from-json", "ports": {"http": %d}}`, httpPort))
				writeFile(t, dir, "b.hcl", fmt.Sprintf("node_name = \"from-dir\"\nports { server = %d }\n", serverPort))
				return []string{"-dev", "-log-level=warn", "-config-dir", dir}
			},
			wantNode: "from-dir",
		},
		{
			name: "hcl",
			args: func(dir string, httpPort, serverPort int) []string {
				return []string{"-dev", "-log-level=warn", "-hcl", `node_name = "x"`,
					"-http-port=" + strconv.Itoa(httpPort), "-server-port=" + strconv.Itoa(serverPort)}
			},
			wantNode: "x",
		},
		{
			name: "hcl beats file",
			args: func(dir string, httpPort, serverPort int) []string {
				f := writeFile(t, dir, "agent.hcl", fmt.Sprintf("node_name = \"file\"\nports {\n  http = %d\n}\n", httpPort))
				return []string{"-dev", "-log-level=warn", "-config-file=" + f, "-hcl", `node_name = "hcl"`,
					"-server-port=" + strconv.Itoa(serverPort)}
			},
			wantNode: "hcl",
		},
		{
			name: "flag beats hcl",
			args: func(dir string, httpPort, serverPort int) []string {
				return []string{"-dev", "-log-level=warn", "-node=flag", "-hcl", `node_name = "hcl"`,
					"-hcl", fmt.Sprintf("ports { http = %d }", httpPort), "-server-port=" + strconv.Itoa(serverPort)}
			},
			wantNode: "flag",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			httpPort, serverPort := testutil.FreePort(t), testutil.FreePort(t)
			args := tt.args(t.TempDir(), httpPort, serverPort)
			a := startAgent(t, httpPort, args...)
			var self api.AgentSelf
			getJSON(t, a.Addr, "/v1/agent/self", &self)
			if self.Config.NodeName != tt.wantNode {
				t.Errorf("concord agent %s: /v1/agent/self NodeName = %q, want %q",
					strings.Join(args, " "), self.Config.NodeName, tt.wantNode)
			}
			mustPut(t, a.Addr, "sources/k", "v")
			kv(t, a.Addr, "get", "sources/k").want(t, "kv get sources/k", 0, "v\n", "")
		})
	}
}

// mkdir makes dir, failing the test if it cannot.
func mkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
}
