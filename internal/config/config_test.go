package config_test

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/config"
)

// writeFiles writes name → content under a new temp dir and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// expand replaces $DIR in args with dir.
func expand(args []string, dir string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = strings.ReplaceAll(a, "$DIR", dir)
	}
	return out
}

func TestDefault(t *testing.T) {
	c := config.Default()
	want := config.Ports{HTTP: 8500, DNS: 8600, Server: 8300, SerfLAN: 8301, SerfWAN: 8302, GRPC: -1, HTTPS: -1}
	if c.Ports != want {
		t.Errorf("Default().Ports = %+v, want %+v", c.Ports, want)
	}
	if c.Datacenter != "dc1" || c.BindAddr != "127.0.0.1" || c.ClientAddr != "127.0.0.1" ||
		c.LogLevel != "info" || c.SessionTTLMin != 10*time.Second || c.DevMode || c.Server || c.UI {
		t.Errorf("Default() = %+v, want dc1, 127.0.0.1, info, 10s and no dev/server/ui", c)
	}
	if strings.Contains(c.NodeName, ".") {
		t.Errorf("Default().NodeName = %q, want the short hostname without dots", c.NodeName)
	}
	// Defaults plus a data_dir must be valid on their own.
	c.DataDir = "/tmp/data"
	if err := c.Validate(); err != nil && c.NodeName != "" {
		t.Errorf("Default().Validate() with data_dir = %v, want nil", err)
	}
}

func TestParseDev(t *testing.T) {
	c, err := config.Parse([]string{"-dev"})
	if err != nil {
		t.Fatalf("Parse(-dev) error = %v", err)
	}
	if !c.DevMode || !c.Server || !c.UI || c.LogLevel != "debug" || c.Ports.GRPC != 8502 ||
		c.BootstrapExpect != 0 || c.DataDir != "" || c.Ports.HTTP != 8500 {
		t.Errorf("Parse(-dev) = %+v, want dev, server, ui, debug, grpc 8502, http 8500", c)
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		get  func(config.Config) any
		want any
	}{
		{"server", []string{"-server"}, func(c config.Config) any { return c.Server }, true},
		{"server=false", []string{"-dev", "-server=false"}, func(c config.Config) any { return c.Server }, false},
		{"bootstrap-expect", []string{"-server", "-bootstrap-expect", "3"}, func(c config.Config) any { return c.BootstrapExpect }, 3},
		{"bootstrap", []string{"-server", "-bootstrap"}, func(c config.Config) any { return c.BootstrapExpect }, 1},
		{"data-dir", []string{"-data-dir", "/var/lib/concord"}, func(c config.Config) any { return c.DataDir }, "/var/lib/concord"},
		{"node", []string{"-node", "web-1"}, func(c config.Config) any { return c.NodeName }, "web-1"},
		{"datacenter", []string{"-datacenter", "east_2"}, func(c config.Config) any { return c.Datacenter }, "east_2"},
		{"bind", []string{"-bind", "10.0.0.5"}, func(c config.Config) any { return c.BindAddr }, "10.0.0.5"},
		{"client", []string{"-client", "::1"}, func(c config.Config) any { return c.ClientAddr }, "::1"},
		{"advertise", []string{"-advertise", "10.0.0.6"}, func(c config.Config) any { return c.AdvertiseAddr }, "10.0.0.6"},
		{"http-port", []string{"-http-port", "0"}, func(c config.Config) any { return c.Ports.HTTP }, 0},
		{"dns-port", []string{"-dns-port", "-1"}, func(c config.Config) any { return c.Ports.DNS }, -1},
		{"server-port", []string{"-server-port=0"}, func(c config.Config) any { return c.Ports.Server }, 0},
		{"serf-lan-port", []string{"-serf-lan-port", "9301"}, func(c config.Config) any { return c.Ports.SerfLAN }, 9301},
		{"serf-wan-port", []string{"-serf-wan-port", "9302"}, func(c config.Config) any { return c.Ports.SerfWAN }, 9302},
		{"grpc-port", []string{"-grpc-port", "9502"}, func(c config.Config) any { return c.Ports.GRPC }, 9502},
		{"ui", []string{"-ui"}, func(c config.Config) any { return c.UI }, true},
		{"log-level", []string{"-log-level", "WARN"}, func(c config.Config) any { return c.LogLevel }, "warn"},
		{"retry-join", []string{"-retry-join", "a", "-retry-join", "b"}, func(c config.Config) any { return c.RetryJoin }, []string{"a", "b"}},
		{"join", []string{"-join", "10.0.0.1"}, func(c config.Config) any { return c.StartJoin }, []string{"10.0.0.1"}},
		{"join-wan", []string{"-server", "-join-wan", "10.1.0.1"}, func(c config.Config) any { return c.WAN.StartJoin }, []string{"10.1.0.1"}},
		{"retry-join-wan", []string{"-server", "-retry-join-wan", "a", "-retry-join-wan", "b:8302"}, func(c config.Config) any { return c.WAN.RetryJoin }, []string{"a", "b:8302"}},
		{"advertise-wan", []string{"-advertise-wan", "10.1.0.2"}, func(c config.Config) any { return c.WAN.AdvertiseAddr }, "10.1.0.2"},
		{"serf-wan-port 0", []string{"-serf-wan-port", "0"}, func(c config.Config) any { return c.Ports.SerfWAN }, 0},
		{"encrypt", []string{"-encrypt", "AAAAAAAAAAAAAAAAAAAAAA=="}, func(c config.Config) any { return c.EncryptKey }, "AAAAAAAAAAAAAAAAAAAAAA=="},
	}
	for _, tc := range tests {
		for _, dashes := range []string{"-", "--"} {
			t.Run(dashes+tc.name, func(t *testing.T) {
				args := []string{"-data-dir", "/tmp/d"}
				for _, a := range tc.args {
					if strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "-1") {
						a = dashes + strings.TrimPrefix(a, "-")
					}
					args = append(args, a)
				}
				c, err := config.Parse(args)
				checkLoaded(t, fmt.Sprintf("Parse(%q)", args), c, err, tc.get, tc.want)
			})
		}
	}
}

func TestParseFiles(t *testing.T) {
	tests := []struct {
		name    string
		file    string // file name, which picks the format
		content string
		get     func(config.Config) any
		want    any
	}{
		{"hcl ports block", "a.hcl", "ports {\n  http = 8080\n  dns = -1\n}",
			func(c config.Config) any { return c.Ports }, config.Ports{HTTP: 8080, DNS: -1, Server: 8300, SerfLAN: 8301, SerfWAN: 8302, GRPC: -1, HTTPS: -1}},
		{"hcl ports attribute", "a.hcl", "ports = {\n  http = 8080\n  grpc = 8502\n}",
			func(c config.Config) any { return c.Ports }, config.Ports{HTTP: 8080, DNS: 8600, Server: 8300, SerfLAN: 8301, SerfWAN: 8302, GRPC: 8502, HTTPS: -1}},
		{"hcl repeated ports blocks", "a.hcl", "ports {\n http = 1\n}\nports {\n dns = 2\n}",
			func(c config.Config) any { return [2]int{c.Ports.HTTP, c.Ports.DNS} }, [2]int{1, 2}},
		{"json ports", "a.json", `{"ports": {"http": 8080, "serf_lan": 9301}}`,
			func(c config.Config) any { return [2]int{c.Ports.HTTP, c.Ports.SerfLAN} }, [2]int{8080, 9301}},
		{"json quoted number", "a.json", `{"server": "true", "bootstrap_expect": "3"}`,
			func(c config.Config) any { return c.BootstrapExpect }, 3},
		{"hcl scalars", "a.hcl", `node_name = "n1"
datacenter = "west"
server = true
bootstrap_expect = 3
bind_addr = "0.0.0.0"
client_addr = "::"
advertise_addr = "10.1.2.3"
log_level = "TRACE"
encrypt = "AAAAAAAAAAAAAAAAAAAAAA=="`,
			func(c config.Config) any {
				return []any{c.NodeName, c.Datacenter, c.Server, c.BootstrapExpect, c.BindAddr,
					c.ClientAddr, c.AdvertiseAddr, c.LogLevel, c.EncryptKey}
			},
			[]any{"n1", "west", true, 3, "0.0.0.0", "::", "10.1.2.3", "trace", "AAAAAAAAAAAAAAAAAAAAAA=="}},
		{"hcl ui_config", "a.hcl", "ui_config {\n  enabled = true\n}",
			func(c config.Config) any { return c.UI }, true},
		{"json ui", "a.json", `{"ui": true}`, func(c config.Config) any { return c.UI }, true},
		{"session_ttl_min", "a.hcl", `session_ttl_min = "1s"`,
			func(c config.Config) any { return c.SessionTTLMin }, time.Second},
		{"hcl lists", "a.hcl", "retry_join = [\"a\", \"b\"]\nstart_join = [\"c\"]",
			func(c config.Config) any { return [][]string{c.RetryJoin, c.StartJoin} }, [][]string{{"a", "b"}, {"c"}}},
		{"json lists", "a.json", `{"retry_join": ["a"], "start_join": "c"}`,
			func(c config.Config) any { return [][]string{c.RetryJoin, c.StartJoin} }, [][]string{{"a"}, {"c"}}},
		{"null keeps default", "a.json", `{"datacenter": null}`,
			func(c config.Config) any { return c.Datacenter }, "dc1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{tc.file: tc.content})
			args := []string{"-data-dir", "/tmp/d", "-config-file", filepath.Join(dir, tc.file)}
			c, err := config.Parse(args)
			checkLoaded(t, fmt.Sprintf("Parse(%q)", args), c, err, tc.get, tc.want)
		})
	}
}

func TestParseConfigDir(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"10-base.hcl":  "datacenter = \"one\"\nnode_name = \"base\"\nretry_join = [\"a\"]",
		"20-over.json": `{"datacenter": "two", "retry_join": ["b"]}`,
		"README.md":    "not config {",
		"30.hcl.bak":   "not config {",
	})
	args := []string{"-data-dir", "/tmp/d", "-config-dir", dir}
	c, err := config.Parse(args)
	if err != nil {
		t.Fatalf("Parse(%q) error = %v", args, err)
	}
	if c.Datacenter != "two" || c.NodeName != "base" {
		t.Errorf("Parse(%q) datacenter, node = %q, %q, want two, base", args, c.Datacenter, c.NodeName)
	}
	if want := []string{"a", "b"}; !reflect.DeepEqual(c.RetryJoin, want) {
		t.Errorf("Parse(%q).RetryJoin = %q, want %q (lists append)", args, c.RetryJoin, want)
	}
	wantFiles := []string{filepath.Join(dir, "10-base.hcl"), filepath.Join(dir, "20-over.json")}
	if !reflect.DeepEqual(c.Files, wantFiles) {
		t.Errorf("Parse(%q).Files = %q, want %q", args, c.Files, wantFiles)
	}
}

func TestParsePrecedence(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"a.hcl": `node_name = "file"
log_level = "warn"
datacenter = "filedc"
ports { http = 1111 }`,
		"b.json": `{"datacenter": "jsondc"}`,
	})
	args := []string{
		"-dev",
		"-http-port", "3333", // flags beat -hcl even when given first
		"-config-file", filepath.Join(dir, "a.hcl"),
		"-config-file", filepath.Join(dir, "b.json"),
		"-hcl", `node_name = "hcl1"`,
		"-hcl", "node_name = \"hcl2\"\nports { http = 2222 }",
	}
	c, err := config.Parse(args)
	if err != nil {
		t.Fatalf("Parse(%q) error = %v", args, err)
	}
	got := []any{c.NodeName, c.LogLevel, c.Datacenter, c.Ports.HTTP, c.UI}
	want := []any{"hcl2", "warn", "jsondc", 3333, true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse(%q) node, log, dc, http, ui = %v, want %v", args, got, want)
	}
}

func TestParseErrors(t *testing.T) {
	const dd = "-data-dir=/tmp/d"
	tests := []struct {
		name  string
		files map[string]string
		args  []string // $DIR is the directory holding files
		want  []string // substrings of the error
	}{
		{"hcl unknown key", map[string]string{"a.hcl": `dta_dir = "/x"`},
			[]string{dd, "-config-file", "$DIR/a.hcl"}, []string{"$DIR/a.hcl", `unknown key "dta_dir"`}},
		{"json unknown key", map[string]string{"a.json": `{"dta_dir": "/x"}`},
			[]string{dd, "-config-file", "$DIR/a.json"}, []string{"$DIR/a.json", `unknown key "dta_dir"`}},
		{"unknown nested key", map[string]string{"a.hcl": "ports {\n htp = 1\n}"},
			[]string{dd, "-config-file", "$DIR/a.hcl"}, []string{"$DIR/a.hcl", `unknown key "ports.htp"`}},
		{"port not a number", map[string]string{"a.hcl": `ports { http = "abc" }`},
			[]string{dd, "-config-file", "$DIR/a.hcl"}, []string{"$DIR/a.hcl: ports.http: must be a number, got \"abc\""}},
		{"port out of range", map[string]string{"a.json": `{"ports": {"dns": 70000}}`},
			[]string{dd, "-config-file", "$DIR/a.json"}, []string{"$DIR/a.json: ports.dns:", "got 70000"}},
		{"port fraction", map[string]string{"a.json": `{"ports": {"dns": 53.5}}`},
			[]string{dd, "-config-file", "$DIR/a.json"}, []string{"ports.dns: must be a whole number"}},
		{"ports not object", map[string]string{"a.hcl": `ports = 5`},
			[]string{dd, "-config-file", "$DIR/a.hcl"}, []string{"$DIR/a.hcl: ports: must be an object, got 5"}},
		{"bad log level", map[string]string{"a.hcl": `log_level = "loud"`},
			[]string{dd, "-config-file", "$DIR/a.hcl"}, []string{"$DIR/a.hcl: log_level: must be one of", `got "loud"`}},
		{"bad bind", map[string]string{"a.hcl": `bind_addr = "999.1.1.1"`},
			[]string{dd, "-config-file", "$DIR/a.hcl"}, []string{"$DIR/a.hcl: bind_addr: must be an IP address"}},
		{"bad duration", map[string]string{"a.hcl": `session_ttl_min = "ten"`},
			[]string{dd, "-config-file", "$DIR/a.hcl"}, []string{"$DIR/a.hcl: session_ttl_min: must be a duration"}},
		{"duration out of bounds", map[string]string{"a.hcl": `session_ttl_min = "48h"`},
			[]string{dd, "-config-file", "$DIR/a.hcl"}, []string{"session_ttl_min: must be between 1s and 24h"}},
		{"wrong type bool", map[string]string{"a.json": `{"server": "yes please"}`},
			[]string{dd, "-config-file", "$DIR/a.json"}, []string{"$DIR/a.json: server: must be true or false"}},
		{"wrong type string", map[string]string{"a.json": `{"data_dir": 5}`},
			[]string{"-config-file", "$DIR/a.json"}, []string{"$DIR/a.json: data_dir: must be a string, got 5"}},
		{"hcl syntax", map[string]string{"a.hcl": "server = true\nports {\n  http = \n}\n"},
			[]string{dd, "-config-file", "$DIR/a.hcl"}, []string{"$DIR/a.hcl:5:1: object expected closing RBRACE"}},
		{"hcl variable", map[string]string{"a.hcl": "\n\nnode_name = hostname"},
			[]string{dd, "-config-file", "$DIR/a.hcl"}, []string{"$DIR/a.hcl:3:13:", "IDENT hostname"}},
		{"hcl block labels nest", map[string]string{"a.hcl": `ports "x" { http = 1 }`},
			[]string{dd, "-config-file", "$DIR/a.hcl"}, []string{"$DIR/a.hcl", `unknown key "ports.x"`}},
		{"json syntax", map[string]string{"a.json": "{\n\"server\": true,\n}"},
			[]string{dd, "-config-file", "$DIR/a.json"}, []string{"$DIR/a.json:3:"}},
		{"json not object", map[string]string{"a.json": `["x"]`},
			[]string{dd, "-config-file", "$DIR/a.json"}, []string{"$DIR/a.json: top level must be a JSON object"}},
		{"json trailing data", map[string]string{"a.json": "{}\n{}"},
			[]string{dd, "-config-file", "$DIR/a.json"}, []string{"$DIR/a.json:2: unexpected data"}},
		{"unknown extension", map[string]string{"a.yaml": "server: true"},
			[]string{dd, "-config-file", "$DIR/a.yaml"}, []string{"$DIR/a.yaml", ".hcl or .json"}},
		{"missing file", nil,
			[]string{dd, "-config-file", "$DIR/nope.hcl"}, []string{"$DIR/nope.hcl"}},
		{"config-file on dir", nil,
			[]string{dd, "-config-file", "$DIR"}, []string{"$DIR: is a directory"}},
		{"config-dir on file", map[string]string{"a.hcl": ""},
			[]string{dd, "-config-dir", "$DIR/a.hcl"}, []string{"$DIR/a.hcl: not a directory"}},
		{"hcl fragment", nil,
			[]string{dd, "-hcl", `server = true`, "-hcl", `nodes = 1`}, []string{`-hcl #2: unknown key "nodes"`}},
		{"hcl fragment syntax", nil,
			[]string{dd, "-hcl", `server = `}, []string{"-hcl #1:1:"}},
		{"missing data_dir", nil, nil, []string{"data_dir is required (or use -dev)"}},
		{"unknown flag", nil, []string{"-dta-dir", "/x"}, []string{"-dta-dir"}},
		{"flag not a number", nil, []string{dd, "-http-port", "abc"}, []string{"-http-port", "must be a number"}},
		{"flag port range", nil, []string{dd, "--serf-wan-port", "-2"}, []string{"-serf-wan-port", "must be 1-65535"}},
		{"flag bad level", nil, []string{dd, "-log-level", "verbose"}, []string{"-log-level", "must be one of"}},
		{"flag bad bind", nil, []string{dd, "-bind", "localhost"}, []string{"-bind", "must be an IP address"}},
		{"flag node with dot", nil, []string{dd, "-node", "a.b"}, []string{"-node", "must not contain dots"}},
		{"flag node with space", nil, []string{dd, "-node", "a b"}, []string{"-node", "must not contain spaces"}},
		{"flag datacenter upper", nil, []string{dd, "-datacenter", "DC1"}, []string{"-datacenter", "lowercase"}},
		{"flag advertise any", nil, []string{dd, "-advertise", "0.0.0.0"}, []string{"-advertise", "must not be 0.0.0.0"}},
		{"flag empty join", nil, []string{dd, "-retry-join", ""}, []string{"-retry-join", "empty"}},
		{"positional argument", nil, []string{dd, "extra"}, []string{`unexpected argument "extra"`}},
		{"bootstrap_expect in dev", nil, []string{"-dev", "-bootstrap-expect", "3"},
			[]string{"bootstrap_expect: not allowed in dev mode"}},
		{"bootstrap_expect without server", nil, []string{dd, "-bootstrap-expect", "3"},
			[]string{"bootstrap_expect: requires server mode"}},
		{"bootstrap flags together", nil, []string{dd, "-server", "-bootstrap", "-bootstrap-expect", "3"},
			[]string{"-bootstrap and -bootstrap-expect are mutually exclusive"}},
		{"bootstrap keys together", map[string]string{"a.hcl": "server = true\nbootstrap = true\nbootstrap_expect = 2"},
			[]string{dd, "-config-file", "$DIR/a.hcl"}, []string{"$DIR/a.hcl: bootstrap and bootstrap_expect"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, tc.files)
			args := expand(tc.args, dir)
			_, err := config.Parse(args)
			for _, w := range expand(tc.want, dir) {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("Parse(%q) error = %v, want substring %q", args, err, w)
				}
			}
		})
	}
}

func TestParseSecretNotEchoed(t *testing.T) {
	const key = "c2VjcmV0LXNlY3JldA==" // valid base64, 13 bytes
	dir := writeFiles(t, map[string]string{"a.json": `{"encrypt": "` + key + `"}`})
	args := []string{"-data-dir=/tmp/d", "-config-file", filepath.Join(dir, "a.json")}
	_, err := config.Parse(args)
	if err == nil || !strings.Contains(err.Error(), "encrypt: must decode to 16, 24 or 32 bytes") {
		t.Fatalf("Parse(%q) error = %v, want substring %q", args, err, "encrypt: must decode")
	}
	if strings.Contains(err.Error(), key) {
		t.Errorf("Parse(%q) error = %v, want the key left out", args, err)
	}
}

func TestParseHelp(t *testing.T) {
	_, err := config.Parse([]string{"-h"})
	if !errors.Is(err, flag.ErrHelp) {
		t.Errorf("Parse(-h) error = %v, want flag.ErrHelp", err)
	}
	if u := config.Usage(); !strings.Contains(u, "-http-port port") || !strings.Contains(u, "-config-dir directory") {
		t.Errorf("Usage() = %q, want it to list -http-port and -config-dir with placeholders", u)
	}
}

func TestLoadFiles(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"conf.d/a.hcl":  "data_dir = \"/var/lib/concord\"\nserver = true",
		"conf.d/b.json": `{"bootstrap_expect": 3, "ports": {"http": 8080}}`,
		"extra.hcl":     `log_level = "error"`,
	})
	paths := []string{filepath.Join(dir, "conf.d"), filepath.Join(dir, "extra.hcl")}
	c, err := config.LoadFiles(paths)
	if err != nil {
		t.Fatalf("LoadFiles(%q) error = %v", paths, err)
	}
	got := []any{c.DataDir, c.Server, c.BootstrapExpect, c.Ports.HTTP, c.LogLevel, len(c.Files)}
	want := []any{"/var/lib/concord", true, 3, 8080, "error", 3}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("LoadFiles(%q) data_dir, server, expect, http, log, files = %v, want %v", paths, got, want)
	}

	bad := writeFiles(t, map[string]string{"a.hcl": `server = true`})
	if _, err := config.LoadFiles([]string{bad}); err == nil || !strings.Contains(err.Error(), "data_dir is required") {
		t.Errorf("LoadFiles(%q) error = %v, want substring %q", bad, err, "data_dir is required")
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*config.Config)
		want   string // substring of the error; "" for none
	}{
		{"defaults", func(*config.Config) {}, ""},
		{"ephemeral http and server ports", func(c *config.Config) { c.Ports.HTTP, c.Ports.Server = 0, 0 }, ""},
		{"negative serf wan port", func(c *config.Config) { c.Ports.SerfWAN = -2 }, "ports.serf_wan: must be 1-65535, 0 for any free port, or -1 to disable, got -2"},
		{"WAN join on a client agent", func(c *config.Config) { c.WAN.RetryJoin = []string{"10.0.0.1"} }, "start_join_wan: requires server mode"},
		{"negative port", func(c *config.Config) { c.Ports.GRPC = -2 }, "ports.grpc:"},
		{"empty node", func(c *config.Config) { c.NodeName = "" }, "node_name: must not be empty"},
		{"empty datacenter", func(c *config.Config) { c.Datacenter = "" }, "datacenter: must not be empty"},
		{"bad client", func(c *config.Config) { c.ClientAddr = "nowhere" }, `client_addr: must be an IP address, got "nowhere"`},
		{"ttl too low", func(c *config.Config) { c.SessionTTLMin = 500 * time.Millisecond }, "session_ttl_min: must be between 1s and 24h, got 500ms"},
		{"negative bootstrap", func(c *config.Config) { c.Server, c.BootstrapExpect = true, -1 }, "bootstrap_expect: must not be negative"},
		{"bad encrypt", func(c *config.Config) { c.EncryptKey = "!!" }, "encrypt: must be standard base64"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := config.Default()
			c.NodeName, c.DataDir = "n1", "/tmp/d"
			tc.modify(&c)
			err := c.Validate()
			if tc.want == "" {
				if err != nil {
					t.Errorf("Validate() error = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() error = %v, want substring %q", err, tc.want)
			}
		})
	}

	c := config.Default()
	c.NodeName, c.DataDir, c.LogLevel = "n1", "/tmp/d", "WARN"
	if err := c.Validate(); err != nil || c.LogLevel != "warn" {
		t.Errorf("Validate() with log level WARN = %v, LogLevel %q, want nil, \"warn\"", err, c.LogLevel)
	}
	c.Ports.SerfWAN, c.BindAddr = -2, "x"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "ports.serf_wan") || !strings.Contains(err.Error(), "bind_addr") {
		t.Errorf("Validate() = %v, want every problem reported", err)
	}
}

func TestParseTestReadFault(t *testing.T) {
	for _, tc := range []struct {
		arg, want string
		wantErr   bool
	}{
		{"", "", false},
		{"-test-read-fault=stale-default", "stale-default", false},
		{"-test-read-fault=no-lease", "no-lease", false},
		{"-test-read-fault=bogus", "", true},
	} {
		t.Run(tc.arg, func(t *testing.T) {
			args := []string{"-dev"}
			if tc.arg != "" {
				args = append(args, tc.arg)
			}
			c, err := config.Parse(args)
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), "-test-read-fault") {
					t.Fatalf("Parse(%q) error = %v, want one naming -test-read-fault", args, err)
				}
				return
			}
			if err != nil || c.TestReadFault != tc.want {
				t.Fatalf("Parse(%q) = %q, %v, want %q, nil", args, c.TestReadFault, err, tc.want)
			}
		})
	}
	if u := config.Usage(); strings.Contains(u, "test-read-fault") {
		t.Errorf("Usage() lists -test-read-fault, want it hidden")
	}
	dir := writeFiles(t, map[string]string{"a.hcl": `test_read_fault = "no-lease"`})
	if _, err := config.LoadFiles([]string{filepath.Join(dir, "a.hcl")}); err == nil {
		t.Errorf("LoadFiles(test_read_fault = ...) error = nil, want the key refused in files")
	}
}
