package api

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// request is what a test server saw of one request, in a form easy to compare.
type request struct {
	Method, Path, Query, Body string
	Token, ContentType        string
}

// reply is what a test server answers to every request.
type reply struct {
	status int // 0 means 200
	body   string
	header map[string]string
}

// testServer starts a server that answers every request with rep and returns
// a client for it (configured by cfg, whose Address is filled in) and a
// function returning the last request seen.
func testServer(t *testing.T, cfg Config, rep reply) (*Client, func() request) {
	t.Helper()
	var (
		mu   sync.Mutex
		last request
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		last = request{
			Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery, Body: string(b),
			Token: r.Header.Get("X-Consul-Token"), ContentType: r.Header.Get("Content-Type"),
		}
		mu.Unlock()
		for k, v := range rep.header {
			w.Header().Set(k, v)
		}
		if rep.status != 0 {
			w.WriteHeader(rep.status)
		}
		io.WriteString(w, rep.body)
	}))
	t.Cleanup(srv.Close)
	cfg.Address = srv.URL
	c, err := NewClient(&cfg)
	if err != nil {
		t.Fatalf("NewClient(%q): %v", cfg.Address, err)
	}
	return c, func() request {
		mu.Lock()
		defer mu.Unlock()
		return last
	}
}

func TestDefaultConfig(t *testing.T) {
	tests := []struct {
		name                   string
		env                    map[string]string
		wantAddress, wantToken string
	}{
		{"nothing set", nil, DefaultAddress, ""},
		{"consul names", map[string]string{"CONSUL_HTTP_ADDR": "c:1", "CONSUL_HTTP_TOKEN": "ct"}, "c:1", "ct"},
		{"concord names", map[string]string{"CONCORD_HTTP_ADDR": "k:2", "CONCORD_HTTP_TOKEN": "kt"}, "k:2", "kt"},
		{"concord wins", map[string]string{
			"CONCORD_HTTP_ADDR": "k:2", "CONSUL_HTTP_ADDR": "c:1",
			"CONCORD_HTTP_TOKEN": "kt", "CONSUL_HTTP_TOKEN": "ct",
		}, "k:2", "kt"},
		{"empty is unset", map[string]string{"CONCORD_HTTP_ADDR": "", "CONSUL_HTTP_ADDR": "c:1"}, "c:1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, name := range []string{"CONCORD_HTTP_ADDR", "CONSUL_HTTP_ADDR", "CONCORD_HTTP_TOKEN", "CONSUL_HTTP_TOKEN"} {
				t.Setenv(name, tt.env[name])
			}
			got := DefaultConfig()
			if got.Address != tt.wantAddress || got.Token != tt.wantToken {
				t.Errorf("DefaultConfig() = {Address: %q, Token: %q}, want {%q, %q}",
					got.Address, got.Token, tt.wantAddress, tt.wantToken)
			}
		})
	}
}

func TestParseAddress(t *testing.T) {
	tests := []struct {
		addr                      string
		scheme, host, socket, err string
	}{
		{addr: "", scheme: "http", host: "127.0.0.1:8500"},
		{addr: "10.0.0.1:8500", scheme: "http", host: "10.0.0.1:8500"},
		{addr: "http://h:1", scheme: "http", host: "h:1"},
		{addr: "https://h:8501/", scheme: "https", host: "h:8501"},
		{addr: "unix:///run/concord.sock", scheme: "http", host: "localhost", socket: "/run/concord.sock"},
		{addr: "ftp://h:1", err: `unsupported scheme "ftp"`},
		{addr: "http://", err: "want host:port"},
		{addr: "http://h:1/v1", err: "want host:port"},
		{addr: "unix://", err: "missing socket path"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			scheme, host, socket, err := parseAddress(tt.addr)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("parseAddress(%q) error = %v, want one containing %q", tt.addr, err, tt.err)
				}
				return
			}
			if err != nil || scheme != tt.scheme || host != tt.host || socket != tt.socket {
				t.Errorf("parseAddress(%q) = %q, %q, %q, %v; want %q, %q, %q, nil",
					tt.addr, scheme, host, socket, err, tt.scheme, tt.host, tt.socket)
			}
		})
	}
}

func TestTokenAndDatacenter(t *testing.T) {
	c, last := testServer(t, Config{Token: "secret", Datacenter: "dc9"}, reply{body: `"a:8300"`})
	if _, err := c.Status().Leader(); err != nil {
		t.Fatalf("Leader: %v", err)
	}
	if got := last(); got.Token != "secret" || got.Query != "dc=dc9" {
		t.Errorf("Leader sent token %q, query %q; want %q, %q", got.Token, got.Query, "secret", "dc=dc9")
	}
	// QueryOptions.Datacenter overrides the client's for one read.
	c, last = testServer(t, Config{Token: "secret", Datacenter: "dc9"}, reply{status: 404})
	if _, _, err := c.KV().Get("k", &QueryOptions{Datacenter: "dc2"}); err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got := last().Query; got != "dc=dc2" {
		t.Errorf("Get with Datacenter dc2 sent query %q, want %q", got, "dc=dc2")
	}
}

func TestQueryMeta(t *testing.T) {
	header := map[string]string{
		"X-Consul-Index":                 "42",
		"X-Consul-KnownLeader":           "true",
		"X-Consul-LastContact":           "15",
		"X-Consul-Effective-Consistency": "stale",
	}
	want := &QueryMeta{LastIndex: 42, KnownLeader: true, LastContact: 15 * time.Millisecond, Consistency: "stale"}
	for _, status := range []int{http.StatusOK, http.StatusNotFound} {
		c, _ := testServer(t, Config{}, reply{status: status, body: `[{"Key":"k"}]`, header: header})
		_, meta, err := c.KV().Get("k", nil)
		if err != nil {
			t.Fatalf("Get (status %d): %v", status, err)
		}
		if !reflect.DeepEqual(meta, want) {
			t.Errorf("Get (status %d) meta = %+v, want %+v", status, meta, want)
		}
	}
}

func TestStatusError(t *testing.T) {
	c, _ := testServer(t, Config{}, reply{status: 500, body: "No cluster leader\n"})
	_, err := c.Status().Peers()
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 500 {
		t.Fatalf("Peers error = %v, want a *StatusError with code 500", err)
	}
	if got, want := err.Error(), "Unexpected response code: 500 (No cluster leader)"; got != want {
		t.Errorf("Peers error = %q, want %q", got, want)
	}
}

func TestStatusAndAgent(t *testing.T) {
	c, last := testServer(t, Config{}, reply{body: `"10.0.0.1:8300"`})
	if got, err := c.Status().Leader(); err != nil || got != "10.0.0.1:8300" {
		t.Errorf("Leader() = %q, %v; want %q, nil", got, err, "10.0.0.1:8300")
	}
	if got := last(); got.Method != "GET" || got.Path != "/v1/status/leader" {
		t.Errorf("Leader sent %s %s, want GET /v1/status/leader", got.Method, got.Path)
	}

	c, last = testServer(t, Config{}, reply{body: `["a:8300","b:8300"]`})
	if got, err := c.Status().Peers(); err != nil || !reflect.DeepEqual(got, []string{"a:8300", "b:8300"}) {
		t.Errorf("Peers() = %q, %v; want [a:8300 b:8300], nil", got, err)
	}
	if got := last().Path; got != "/v1/status/peers" {
		t.Errorf("Peers sent path %s, want /v1/status/peers", got)
	}

	c, last = testServer(t, Config{}, reply{body: `{"Config":{"Datacenter":"dc1","Server":true}}`})
	self, err := c.Agent().Self()
	if err != nil || self["Config"]["Datacenter"] != "dc1" || self["Config"]["Server"] != true {
		t.Errorf("Self() = %v, %v; want Config.Datacenter dc1 and Config.Server true", self, err)
	}
	if got := last().Path; got != "/v1/agent/self" {
		t.Errorf("Self sent path %s, want /v1/agent/self", got)
	}
}

func TestUnixSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "http.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("cannot listen on a unix socket: %v", err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `"leader:8300"`)
	}))
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)

	c, err := NewClient(&Config{Address: "unix://" + sock})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	if got, err := c.Status().Leader(); err != nil || got != "leader:8300" {
		t.Errorf("Leader() over unix socket = %q, %v; want %q, nil", got, err, "leader:8300")
	}
}

func TestWithContext(t *testing.T) {
	c, _ := testServer(t, Config{}, reply{body: `"x"`})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.WithContext(ctx).Status().Leader(); !errors.Is(err, context.Canceled) {
		t.Errorf("Leader() with a cancelled context: error = %v, want context.Canceled", err)
	}
	if _, err := c.Status().Leader(); err != nil {
		t.Errorf("Leader() on the original client: %v, want nil (WithContext must copy)", err)
	}
}
