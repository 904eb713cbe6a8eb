// Package cli_test runs the concord binary end to end: `concord kv` against
// real agent subprocesses on loopback, `concord version` and `concord
// validate`, and `concord agent` with good and bad configuration.
package cli_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/concordhq/concord/internal/testutil"
)

// TestVersion checks that every spelling of version prints the same text,
// starting with the Concord version.
func TestVersion(t *testing.T) {
	t.Parallel()
	res := concord(t, "version")
	if res.code != 0 || res.stderr != "" || !strings.HasPrefix(res.stdout, "Concord v") {
		t.Fatalf("concord version = exit %d, stdout %q, stderr %q; want 0 and a first line starting %q",
			res.code, res.stdout, res.stderr, "Concord v")
	}
	for _, spelling := range []string{"-v", "-version", "--version"} {
		concord(t, spelling).want(t, spelling, 0, res.stdout, "")
	}
	concord(t, "version", "extra").want(t, "version extra", 1, "", "Too many arguments (expected 0, got 1)\n")
}

// deadAddr is a loopback address where nothing listens: a reserved port,
// which no other test binds.
func deadAddr(t *testing.T) string {
	t.Helper()
	return "127.0.0.1:" + strconv.Itoa(testutil.FreePort(t))
}

// TestUsageErrors checks that missing or extra arguments and unknown names
// fail with exit 1 before any agent is contacted.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	addr := "-http-addr=" + deadAddr(t)
	tests := []struct {
		args []string
		want string // stderr; a trailing "..." means a prefix
	}{
		{[]string{"kv", "put", addr}, "Error! Missing KEY argument\n"},
		{[]string{"kv", "put", addr, "k", "v", "w"}, "Error! Too many arguments (expected 1 or 2, got 3)\n"},
		{[]string{"kv", "get", addr}, "Error! Missing KEY argument\n"},
		{[]string{"kv", "get", addr, "a", "b"}, "Too many arguments (expected 1, got 2)\n"},
		{[]string{"kv", "delete", addr}, "Error! Missing KEY argument\n"},
		{[]string{"kv", "delete", addr, "-modify-index=3", "k"}, "Cannot specify -modify-index without -cas!\n"},
		{[]string{"kv", "import", addr}, "Error! Missing DATA argument\n"},
		{[]string{"kv", "import", addr, ""}, "Error! Empty DATA argument\n"},
		{[]string{"kv", "import", addr, "{"}, "Error! Cannot unmarshal data: ..."},
		{[]string{"kv", "export", addr, "a", "b"}, "Too many arguments (expected 1, got 2)\n"},
		{[]string{"kv", "get", addr, "-no-such-flag", "k"}, "flag provided but not defined: -no-such-flag\n..."},
		{[]string{"kv", "put", addr, "-base64", "k", "!!"}, "Error! Cannot base 64 decode data: ..."},
		{[]string{"kv"}, "Usage: concord kv <subcommand> [options] [args]\n..."},
		{[]string{"kv", "nope"}, "Unknown command: \"nope\"\n..."},
		{[]string{}, "Usage: concord [--version] [--help] <command> [<args>]\n..."},
		{[]string{"nope"}, "Unknown command: \"nope\"\n..."},
	}
	for _, tt := range tests {
		cmd := strings.Join(tt.args, " ")
		name := strings.Join(strings.Fields(strings.ReplaceAll(cmd, addr, "")), " ")
		if name == "" {
			name = "no command"
		}
		t.Run(name, func(t *testing.T) {
			res := concord(t, tt.args...)
			if prefix, ok := strings.CutSuffix(tt.want, "..."); ok {
				if res.code != 1 || res.stdout != "" || !strings.HasPrefix(res.stderr, prefix) {
					t.Errorf("concord %s = exit %d, stdout %q, stderr %q; want exit 1, no stdout, stderr starting %q",
						cmd, res.code, res.stdout, res.stderr, prefix)
				}
				return
			}
			res.want(t, cmd, 1, "", tt.want)
		})
	}
}

// TestAgentAddressFromEnv reaches the agent through CONCORD_HTTP_ADDR and
// CONSUL_HTTP_ADDR instead of -http-addr. api.DefaultConfig reads
// CONCORD_HTTP_ADDR first, then CONSUL_HTTP_ADDR; a -http-addr flag beats both.
func TestAgentAddressFromEnv(t *testing.T) {
	t.Parallel()
	a := startDevAgent(t)
	mustPut(t, a.Addr, "env/k", "v")
	dead := deadAddr(t)

	tests := []struct {
		name    string
		env     []string
		flags   []string
		wantErr bool
	}{
		{name: "CONSUL_HTTP_ADDR", env: []string{"CONSUL_HTTP_ADDR=" + a.Addr}},
		{name: "CONSUL_HTTP_ADDR with scheme", env: []string{"CONSUL_HTTP_ADDR=http://" + a.Addr}},
		{name: "CONCORD_HTTP_ADDR", env: []string{"CONCORD_HTTP_ADDR=" + a.Addr}},
		{name: "CONCORD_HTTP_ADDR beats CONSUL_HTTP_ADDR",
			env: []string{"CONCORD_HTTP_ADDR=" + a.Addr, "CONSUL_HTTP_ADDR=" + dead}},
		{name: "CONSUL_HTTP_ADDR ignored when CONCORD_HTTP_ADDR is set",
			env: []string{"CONCORD_HTTP_ADDR=" + dead, "CONSUL_HTTP_ADDR=" + a.Addr}, wantErr: true},
		{name: "empty CONCORD_HTTP_ADDR falls back",
			env: []string{"CONCORD_HTTP_ADDR=", "CONSUL_HTTP_ADDR=" + a.Addr}},
		{name: "flag beats both", flags: []string{"-http-addr=" + a.Addr},
			env: []string{"CONCORD_HTTP_ADDR=" + dead, "CONSUL_HTTP_ADDR=" + dead}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{"kv", "get"}, tt.flags...), "env/k")
			res := run{env: tt.env}.concord(t, args...)
			cmd := strings.Join(tt.env, " ") + " concord " + strings.Join(args, " ")
			if !tt.wantErr {
				res.want(t, cmd, 0, "v\n", "")
				return
			}
			const prefix = "Error! Cannot query the agent: "
			if res.code != 1 || res.stdout != "" || !strings.HasPrefix(res.stderr, prefix) {
				t.Errorf("%s = exit %d, stdout %q, stderr %q; want exit 1, stderr starting %q",
					cmd, res.code, res.stdout, res.stderr, prefix)
			}
		})
	}

	// A write through the environment lands on the agent it names.
	res := run{env: []string{"CONSUL_HTTP_ADDR=" + a.Addr}}.concord(t, "kv", "put", "env/w", "written")
	res.want(t, "CONSUL_HTTP_ADDR=... concord kv put env/w written", 0, "Success! Data written to: env/w\n", "")
	if p := getPair(t, a.Addr, "env/w"); p == nil || string(p.Value) != "written" {
		t.Errorf("after kv put through CONSUL_HTTP_ADDR, GET /v1/kv/env/w = %+v, want value %q", p, "written")
	}
}
