package config_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/config"
)

// loadOne writes content to a file named name and loads it over -dev.
func loadOne(t *testing.T, name, content string) (config.Config, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return config.Parse([]string{"-dev", "-config-file=" + path})
}

func TestWatchesForms(t *testing.T) {
	want := []config.Watch{
		{Type: "key", Key: "cfg/web", HandlerType: "http", HTTP: config.WatchHTTP{
			Path: "https://localhost:8000/watch", Method: "PUT",
			Header: map[string][]string{"x-foo": {"bar", "baz"}, "X-One": {"1"}}, Timeout: 5 * time.Second, TLSSkipVerify: true}},
		{Type: "service", Service: "web", Tag: []string{"v1"}, PassingOnly: true, HandlerType: "script",
			Args: []string{"/usr/bin/handler", "-web"}},
		{Type: "event", Name: "deploy", HandlerType: "script", Handler: "cat >> /tmp/events", Token: "t", Datacenter: "dc2"},
	}
	forms := map[string]string{
		"list.hcl": `
watches = [
  {
    type         = "key"
    key          = "cfg/web"
    handler_type = "http"
    http_handler_config = {
      path            = "https://localhost:8000/watch"
      method          = "PUT"
      header          = { "x-foo" = ["bar", "baz"], "X-One" = "1" }
      timeout         = "5s"
      tls_skip_verify = true
    }
  },
  { type = "service", service = "web", tag = "v1", passingonly = true, args = ["/usr/bin/handler", "-web"] },
  { type = "event", name = "deploy", handler = "cat >> /tmp/events", token = "t", datacenter = "dc2" },
]`,
		"blocks.hcl": `
watches {
  type         = "key"
  key          = "cfg/web"
  handler_type = "http"
  http_handler_config {
    path            = "https://localhost:8000/watch"
    method          = "PUT"
    header          = { "x-foo" = ["bar", "baz"], "X-One" = ["1"] }
    timeout         = "5s"
    tls_skip_verify = true
  }
}
watches {
  type        = "service"
  service     = "web"
  tag         = ["v1"]
  passingonly = true
  args        = ["/usr/bin/handler", "-web"]
}
watches {
  type       = "event"
  name       = "deploy"
  handler    = "cat >> /tmp/events"
  token      = "t"
  datacenter = "dc2"
}`,
		"consul.json": `{"watches": [
  {"type": "key", "key": "cfg/web", "handler_type": "http",
   "http_handler_config": {"path": "https://localhost:8000/watch", "method": "PUT",
     "header": {"x-foo": ["bar", "baz"], "X-One": ["1"]}, "timeout": "5s", "tls_skip_verify": true}},
  {"type": "service", "service": "web", "tag": ["v1"], "passingonly": true, "args": ["/usr/bin/handler", "-web"]},
  {"type": "event", "name": "deploy", "handler": "cat >> /tmp/events", "token": "t", "datacenter": "dc2"}
]}`,
	}
	for name, content := range forms {
		t.Run(name, func(t *testing.T) {
			c, err := loadOne(t, name, content)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c.Watches, want) {
				t.Errorf("watches =\n%+v\nwant\n%+v", c.Watches, want)
			}
		})
	}
}

func TestWatchesErrors(t *testing.T) {
	tests := []struct {
		hcl     string
		wantErr string
	}{
		{`watches = [{ key = "k", args = ["true"] }]`, "watches[0]: type is required"},
		{`watches = [{ type = "key", key = "k", args = ["true"], bogus = 1 }]`, `watches[0]: unknown key "bogus"`},
		{`watches = [{ type = "key", key = "k" }]`, "watches[0]: a script handler needs args"},
		{`watches = [{ type = "key", key = "k", args = ["a"], handler = "b" }]`, "args and handler are mutually exclusive"},
		{`watches = [{ type = "key", key = "k", handler_type = "email" }]`, `handler_type must be "script" or "http", got "email"`},
		{`watches = [{ type = "key", key = "k", handler_type = "http" }]`, "an http handler needs http_handler_config.path"},
		{`watches = [{ type = "key", key = "k", handler_type = "http", http_handler_config = { path = "ftp://x/y" } }]`, "an http:// or https:// URL"},
		{`watches = [{ type = "key", key = "k", handler_type = "http", args = ["a"], http_handler_config = { path = "http://x/" } }]`, "args and handler are for script handlers"},
		{`watches = [{ type = "key", key = "k", handler_type = "http", http_handler_config = { path = "http://x/", timeout = "soon" } }]`, "http_handler_config: timeout: must be a duration"},
		{`watches = [{ type = "key", key = "k", handler_type = "http", http_handler_config = { path = "http://x/", header = ["a"] } }]`, "header: must be an object of header names"},
		{`watches = [{ type = "key", key = "k", handler_type = "http", http_handler_config = { path = "http://x/", verb = "GET" } }]`, `http_handler_config: unknown key "verb"`},
		{`watches = [{ type = "key", key = "k", args = ["a"], passingonly = "maybe" }]`, "passingonly: must be true or false"},
		{`watches = ["key"]`, "watches[0]: must be an object"},
	}
	for _, tc := range tests {
		_, err := loadOne(t, "w.hcl", tc.hcl)
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: error %v, want one containing %q", tc.hcl, err, tc.wantErr)
		}
	}
}

func TestDisableRemoteExec(t *testing.T) {
	if !config.Default().DisableRemoteExec {
		t.Error("remote exec is on by default, want it off")
	}
	c, err := loadOne(t, "exec.hcl", "disable_remote_exec = false\n")
	if err != nil || c.DisableRemoteExec {
		t.Errorf("disable_remote_exec = false: %v, DisableRemoteExec %v; want it on", err, c.DisableRemoteExec)
	}
}
