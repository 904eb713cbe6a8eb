package cli

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	consulapi "github.com/hashicorp/consul/api"
)

// withEnv replaces the environment the HTTP flags read with vars for the
// rest of the test.
func withEnv(t *testing.T, vars map[string]string) {
	t.Helper()
	old := getenv
	getenv = func(name string) string { return vars[name] }
	t.Cleanup(func() { getenv = old })
}

// resolveArgs parses args as a command's HTTP flags and resolves them.
func resolveArgs(t *testing.T, args ...string) (*consulapi.Config, error) {
	t.Helper()
	var hf httpFlags
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	hf.register(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse %q: %v", args, err)
	}
	return hf.resolve()
}

func TestHTTPFlagsAddress(t *testing.T) {
	tests := []struct {
		name         string
		env          map[string]string
		args         []string
		addr, scheme string
	}{
		{"default", nil, nil, "127.0.0.1:8500", "http"},
		{"CONSUL_HTTP_ADDR", map[string]string{"CONSUL_HTTP_ADDR": "10.0.0.1:8500"}, nil, "10.0.0.1:8500", "http"},
		{"CONCORD_ over CONSUL_", map[string]string{"CONSUL_HTTP_ADDR": "a:1", "CONCORD_HTTP_ADDR": "b:2"}, nil, "b:2", "http"},
		{"flag over env", map[string]string{"CONCORD_HTTP_ADDR": "b:2"}, []string{"-http-addr=c:3"}, "c:3", "http"},
		{"https:// address", nil, []string{"-http-addr=https://c:8501"}, "c:8501", "https"},
		{"https:// in env", map[string]string{"CONSUL_HTTP_ADDR": "https://c:8501/"}, nil, "c:8501", "https"},
		{"CONSUL_HTTP_SSL", map[string]string{"CONSUL_HTTP_SSL": "true"}, []string{"-http-addr=c:8501"}, "c:8501", "https"},
		{"CONCORD_HTTP_SSL=false over CONSUL_", map[string]string{"CONSUL_HTTP_SSL": "true", "CONCORD_HTTP_SSL": "false"}, nil,
			"127.0.0.1:8500", "http"},
		{"http:// with CONSUL_HTTP_SSL stays https, as consul", map[string]string{"CONSUL_HTTP_SSL": "1"},
			[]string{"-http-addr=http://c:8501"}, "c:8501", "https"},
		{"unix socket", map[string]string{"CONSUL_HTTP_SSL": "true"}, []string{"-http-addr=unix:///tmp/a.sock"},
			"unix:///tmp/a.sock", "http"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			withEnv(t, tt.env)
			cfg, err := resolveArgs(t, tt.args...)
			if err != nil {
				t.Fatalf("resolve: %v", err)
			}
			if cfg.Address != tt.addr || cfg.Scheme != tt.scheme {
				t.Errorf("address %q scheme %q, want %q %q", cfg.Address, cfg.Scheme, tt.addr, tt.scheme)
			}
		})
	}
}

func TestHTTPFlagsBadInput(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"unknown scheme", nil, []string{"-http-addr=ftp://a:1"}, `unknown protocol scheme "ftp"`},
		{"empty socket", nil, []string{"-http-addr=unix://"}, "missing socket path"},
		{"bad CONSUL_HTTP_SSL", map[string]string{"CONSUL_HTTP_SSL": "yes please"}, nil, "CONSUL_HTTP_SSL"},
		{"bad CONSUL_HTTP_SSL_VERIFY", map[string]string{"CONSUL_HTTP_SSL_VERIFY": "maybe"}, nil, "CONSUL_HTTP_SSL_VERIFY"},
		{"missing token file", nil, []string{"-token-file=/nonexistent/token"}, "Error loading token file /nonexistent/token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			withEnv(t, tt.env)
			if _, err := resolveArgs(t, tt.args...); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("resolve = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestHTTPFlagsToken checks the token's sources in order: -token-file,
// -token, CONCORD_HTTP_TOKEN_FILE, CONCORD_HTTP_TOKEN,
// CONSUL_HTTP_TOKEN_FILE, CONSUL_HTTP_TOKEN (an empty file is skipped).
func TestHTTPFlagsToken(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	all := map[string]string{
		"CONCORD_HTTP_TOKEN_FILE": file("concord", "from-concord-file\n"),
		"CONCORD_HTTP_TOKEN":      "from-concord-env",
		"CONSUL_HTTP_TOKEN_FILE":  file("consul", "  from-consul-file  \n"),
		"CONSUL_HTTP_TOKEN":       "from-consul-env",
	}
	without := func(names ...string) map[string]string {
		m := map[string]string{}
		for k, v := range all {
			m[k] = v
		}
		for _, n := range names {
			delete(m, n)
		}
		return m
	}
	flagFile := file("flag", "from-flag-file")
	empty := file("empty", "\n")
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"-token-file wins over all", all, []string{"-token=from-flag", "-token-file=" + flagFile}, "from-flag-file"},
		{"-token wins over env", all, []string{"-token=from-flag"}, "from-flag"},
		{"empty -token-file is skipped", all, []string{"-token=from-flag", "-token-file=" + empty}, "from-flag"},
		{"CONCORD_HTTP_TOKEN_FILE", all, nil, "from-concord-file"},
		{"CONCORD_HTTP_TOKEN", without("CONCORD_HTTP_TOKEN_FILE"), nil, "from-concord-env"},
		{"CONSUL_HTTP_TOKEN_FILE, trimmed", without("CONCORD_HTTP_TOKEN_FILE", "CONCORD_HTTP_TOKEN"), nil, "from-consul-file"},
		{"CONSUL_HTTP_TOKEN", map[string]string{"CONSUL_HTTP_TOKEN": "from-consul-env"}, nil, "from-consul-env"},
		{"none", nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			withEnv(t, tt.env)
			cfg, err := resolveArgs(t, tt.args...)
			if err != nil {
				t.Fatalf("resolve: %v", err)
			}
			if cfg.Token != tt.want {
				t.Errorf("token = %q, want %q", cfg.Token, tt.want)
			}
		})
	}
}

func TestHTTPFlagsTLS(t *testing.T) {
	env := map[string]string{
		"CONSUL_CACERT": "/consul/ca.pem", "CONCORD_CACERT": "/concord/ca.pem",
		"CONSUL_CAPATH":          "/consul/cas",
		"CONSUL_CLIENT_CERT":     "/consul/cli.pem",
		"CONSUL_CLIENT_KEY":      "/consul/cli-key.pem",
		"CONSUL_TLS_SERVER_NAME": "consul.example", "CONCORD_TLS_SERVER_NAME": "concord.example",
		"CONSUL_HTTP_SSL_VERIFY": "false",
	}
	t.Run("environment, CONCORD_ over CONSUL_", func(t *testing.T) {
		withEnv(t, env)
		cfg, err := resolveArgs(t)
		if err != nil {
			t.Fatal(err)
		}
		want := consulapi.TLSConfig{Address: "concord.example", CAFile: "/concord/ca.pem", CAPath: "/consul/cas",
			CertFile: "/consul/cli.pem", KeyFile: "/consul/cli-key.pem", InsecureSkipVerify: true}
		if cfg.TLSConfig.Address != want.Address || cfg.TLSConfig.CAFile != want.CAFile || cfg.TLSConfig.CAPath != want.CAPath ||
			cfg.TLSConfig.CertFile != want.CertFile || cfg.TLSConfig.KeyFile != want.KeyFile ||
			cfg.TLSConfig.InsecureSkipVerify != want.InsecureSkipVerify {
			t.Errorf("TLSConfig = %+v, want %+v", cfg.TLSConfig, want)
		}
	})
	t.Run("flags over environment", func(t *testing.T) {
		withEnv(t, env)
		cfg, err := resolveArgs(t, "-ca-file=/f/ca.pem", "-ca-path=/f/cas", "-client-cert=/f/c.pem", "-client-key=/f/k.pem",
			"-tls-server-name=flag.example")
		if err != nil {
			t.Fatal(err)
		}
		want := consulapi.TLSConfig{Address: "flag.example", CAFile: "/f/ca.pem", CAPath: "/f/cas", CertFile: "/f/c.pem",
			KeyFile: "/f/k.pem", InsecureSkipVerify: true}
		if cfg.TLSConfig.Address != want.Address || cfg.TLSConfig.CAFile != want.CAFile || cfg.TLSConfig.CAPath != want.CAPath ||
			cfg.TLSConfig.CertFile != want.CertFile || cfg.TLSConfig.KeyFile != want.KeyFile {
			t.Errorf("TLSConfig = %+v, want %+v", cfg.TLSConfig, want)
		}
	})
	t.Run("verify by default", func(t *testing.T) {
		withEnv(t, nil)
		cfg, err := resolveArgs(t)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.TLSConfig.InsecureSkipVerify {
			t.Error("InsecureSkipVerify is on without CONSUL_HTTP_SSL_VERIFY=false")
		}
	})
}
