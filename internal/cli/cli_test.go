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
		name     string
		args     []string
		wantCode int
		wantOut  string // prefix
		wantErr  string // prefix
	}{
		{name: "no arguments", wantCode: 1, wantErr: mainUsage + "\n\nAvailable commands are:\n    agent "},
		{name: "help", args: []string{"help"}, wantOut: mainUsage + "\n"},
		{name: "-h", args: []string{"-h"}, wantOut: mainUsage + "\n"},
		{name: "--help", args: []string{"--help"}, wantOut: mainUsage + "\n"},
		{name: "unknown", args: []string{"nope"}, wantCode: 1, wantErr: "Unknown command: \"nope\"\n\n" + mainUsage},
		{name: "version", args: []string{"version"}, wantOut: wantVersion},
		{name: "-v", args: []string{"-v"}, wantOut: wantVersion},
		{name: "--version", args: []string{"--version"}, wantOut: wantVersion},
		{name: "version extra argument", args: []string{"version", "x"}, wantCode: 1, wantErr: "Too many arguments"},
		{name: "kv alone", args: []string{"kv"}, wantCode: 1, wantErr: "Usage: concord kv <subcommand>"},
		{name: "kv help", args: []string{"kv", "-h"}, wantOut: "Usage: concord kv <subcommand>"},
		{name: "kv unknown", args: []string{"kv", "nope"}, wantCode: 1, wantErr: "Unknown command: \"nope\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, "", tt.args...)
			cmd := "concord " + strings.Join(tt.args, " ")
			if code != tt.wantCode {
				t.Errorf("%s: exit code = %d, want %d", cmd, code, tt.wantCode)
			}
			if !strings.HasPrefix(out, tt.wantOut) || (tt.wantOut == "" && out != "") {
				t.Errorf("%s: stdout = %q, want it to start with %q", cmd, out, tt.wantOut)
			}
			if !strings.HasPrefix(errOut, tt.wantErr) || (tt.wantErr == "" && errOut != "") {
				t.Errorf("%s: stderr = %q, want it to start with %q", cmd, errOut, tt.wantErr)
			}
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

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string // prefix
	}{
		{name: "valid", args: []string{"validate", good}, wantOut: "Configuration is valid!\n"},
		{name: "configtest alias", args: []string{"configtest", good}, wantOut: "Configuration is valid!\n"},
		{name: "quiet", args: []string{"validate", "-quiet", good}},
		{name: "invalid", args: []string{"validate", bad}, wantCode: 1, wantErr: "Config validation failed: "},
		{name: "syntax error", args: []string{"validate", broken}, wantCode: 1, wantErr: "Config validation failed: "},
		{
			name: "missing file", args: []string{"validate", filepath.Join(dir, "nope.hcl")},
			wantCode: 1, wantErr: "Config validation failed: ",
		},
		{
			name: "no arguments", args: []string{"validate"},
			wantCode: 1, wantErr: "Must specify at least one config file or directory\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, "", tt.args...)
			cmd := "concord " + strings.Join(tt.args, " ")
			if code != tt.wantCode || out != tt.wantOut {
				t.Errorf("%s: exit code %d, stdout %q; want %d, %q (stderr %q)",
					cmd, code, out, tt.wantCode, tt.wantOut, errOut)
			}
			if !strings.HasPrefix(errOut, tt.wantErr) || (tt.wantErr == "" && errOut != "") {
				t.Errorf("%s: stderr = %q, want it to start with %q", cmd, errOut, tt.wantErr)
			}
		})
	}
}
