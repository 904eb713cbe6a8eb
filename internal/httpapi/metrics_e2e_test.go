package httpapi_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/testutil"
)

// TestAgentMetrics: /v1/agent/metrics serves Prometheus text with
// ?format=prometheus, counting the requests made before it under
// Concord's and Consul's names, and Consul's JSON shape otherwise, which
// the official client decodes.
func TestAgentMetrics(t *testing.T) {
	t.Parallel()
	ta := testutil.StartAgent(t, "", func(c *config.Config) { c.Telemetry.DisableHostname = true })
	c := newConsulClient(t, ta.HTTPAddr(), nil)
	for i := 0; i < 3; i++ {
		mustPut(t, c, "metrics/k", "v")
	}

	resp, err := http.Get("http://" + ta.HTTPAddr() + "/v1/agent/metrics?format=prometheus")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /v1/agent/metrics?format=prometheus = %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		`concord_http_requests_total{code="200",method="PUT",route="/v1/kv/{key...}"} 3`,
		"concord_http_request_duration_seconds_bucket",
		"go_goroutines",
		// Consul's names: Raft (from hashicorp/raft), KV, the HTTP API,
		// the server and the Go runtime.
		"# TYPE consul_raft_apply counter",
		"consul_raft_commitTime",
		"consul_kvs_apply_count 3",
		`consul_api_http_count{method="PUT",path="v1.kv._"} 3`,
		"consul_server_isLeader 1",
		"consul_raft_applied_index ",
		"consul_runtime_alloc_bytes ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("Prometheus metrics lack %q", want)
		}
	}

	info, err := c.Agent().Metrics()
	if err != nil {
		t.Fatalf("Agent().Metrics() = %v", err)
	}
	found := false
	for _, g := range info.Gauges {
		if g.Name == "consul.server.isLeader" && g.Value == 1 { // Consul's dotted names in JSON
			found = true
		}
	}
	if !found || info.Timestamp == "" || len(info.Counters) == 0 {
		t.Errorf("Agent().Metrics() = %d gauges (leader gauge found: %v), %d counters, timestamp %q",
			len(info.Gauges), found, len(info.Counters), info.Timestamp)
	}
}

// TestPprofOnlyWithEnableDebug: /debug/pprof answers when enable_debug is
// set (as in -dev) and is unknown otherwise.
func TestPprofOnlyWithEnableDebug(t *testing.T) {
	t.Parallel()
	for _, debug := range []bool{true, false} {
		ta := testutil.StartAgent(t, "", func(c *config.Config) { c.EnableDebug = debug })
		resp, err := http.Get("http://" + ta.HTTPAddr() + "/debug/pprof/goroutine?debug=1")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got := resp.StatusCode == 200 && strings.Contains(string(body), "goroutine profile")
		if got != debug {
			t.Errorf("enable_debug=%v: GET /debug/pprof/goroutine = %d (profile served: %v)", debug, resp.StatusCode, got)
		}
	}
}
