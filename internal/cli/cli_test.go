package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const wantVersion = "Concord v0.1.0\nProtocol 2 spoken by default, compatible with Consul 1.20.0\n"

func TestMain_Dispatch(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want outcome
	}{
		{"no arguments", nil, outcome{1, "", mainUsage + "\n\nAvailable commands are:\n    acl ..."}},
		{"help", []string{"help"}, outcome{0, mainUsage + "\n...", ""}},
		{"-h", []string{"-h"}, outcome{0, mainUsage + "\n...", ""}},
		{"--help", []string{"--help"}, outcome{0, mainUsage + "\n...", ""}},
		{"unknown", []string{"nope"}, outcome{1, "", "Unknown command: \"nope\"\n\n" + mainUsage + "..."}},
		{"version", []string{"version"}, outcome{0, wantVersion, ""}},
		{"-v", []string{"-v"}, outcome{0, wantVersion, ""}},
		{"--version", []string{"--version"}, outcome{0, wantVersion, ""}},
		{"version extra argument", []string{"version", "x"}, outcome{1, "", "Too many arguments (expected 0, got 1)\n"}},
		{"kv alone", []string{"kv"}, outcome{1, "", "Usage: concord kv <subcommand>..."}},
		{"kv help", []string{"kv", "-h"}, outcome{0, "Usage: concord kv <subcommand>...", ""}},
		{"kv unknown", []string{"kv", "nope"}, outcome{1, "", "Unknown command: \"nope\"..."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkRun(t, "concord "+strings.Join(tt.args, " "), "", tt.args, tt.want)
		})
	}
}

func TestUsageListsCommands(t *testing.T) {
	_, out, _ := run(t, "", "help")
	for _, c := range commands {
		if listed := strings.Contains(out, "    "+c.name+" "); listed == c.hidden {
			t.Errorf("concord help: command %q listed = %v, want %v", c.name, listed, !c.hidden)
		}
	}
	_, out, _ = run(t, "", "kv", "help")
	for _, c := range kvCommands {
		if !strings.Contains(out, "    "+c.name+" ") {
			t.Errorf("concord kv help: subcommand %q not listed in %q", c.name, out)
		}
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.json", `{"data_dir": "`+filepath.Join(dir, "data")+`", "node_name": "n1"}`)
	bad := write("bad.json", `{"node_name": "n1", "log_level": "loud"}`)
	broken := write("broken.hcl", `data_dir = `)

	const valid = "Configuration is valid!\n"
	tests := []struct {
		name string
		args []string
		want outcome
	}{
		{"valid", []string{"validate", good}, outcome{0, valid, ""}},
		{"configtest alias", []string{"configtest", good}, outcome{0, valid, ""}},
		{"quiet", []string{"validate", "-quiet", good}, outcome{}},
		{"invalid", []string{"validate", bad}, outcome{1, "", "Config validation failed: ..."}},
		{"syntax error", []string{"validate", broken}, outcome{1, "", "Config validation failed: ..."}},
		{"missing file", []string{"validate", filepath.Join(dir, "nope.hcl")}, outcome{1, "", "Config validation failed: ..."}},
		{"no arguments", []string{"validate"}, outcome{1, "", "Must specify at least one config file or directory\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkRun(t, "concord "+strings.Join(tt.args, " "), "", tt.args, tt.want)
		})
	}
}
