package metrics_test

import (
	"io"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	gometrics "github.com/armon/go-metrics"

	"github.com/concordhq/concord/internal/metrics"
)

// scrape returns the Prometheus text m serves.
func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/v1/agent/metrics?format=prometheus", nil))
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != 200 {
		t.Fatalf("GET /v1/agent/metrics?format=prometheus = %d %s", rec.Code, body)
	}
	return string(body)
}

// TestConsulNames: the Raft, KV, catalog and runtime families come out
// under the names and types Consul's Prometheus output has, so that its
// dashboards and alerts work unchanged.
func TestConsulNames(t *testing.T) {
	m := metrics.New(metrics.Options{Prefix: "consul", DisableHostname: true})
	m.ObserveHTTP("PUT", "/v1/kv/{key...}", 200, 2*time.Millisecond)
	m.ObserveHTTP("DELETE", "/v1/kv/{key...}", 200, time.Millisecond)
	m.ObserveHTTP("PUT", "/v1/catalog/register", 200, time.Millisecond)
	m.ObserveHTTP("PUT", "/v1/catalog/deregister", 200, time.Millisecond)
	m.ObserveHTTP("PUT", "/v1/txn", 200, time.Millisecond)
	m.ObserveHTTP("GET", "/v1/kv/{key...}", 200, time.Millisecond)
	m.ConsulGauge("raft.applied_index", func() float64 { return 42 })
	m.ConsulGauge("server.isLeader", func() float64 { return 1 })
	// hashicorp/raft reports through go-metrics' global instance.
	gometrics.IncrCounter([]string{"raft", "apply"}, 1)
	gometrics.MeasureSince([]string{"raft", "commitTime"}, time.Now().Add(-time.Millisecond))

	text := scrape(t, m)
	for _, want := range []string{
		// Raft
		"# TYPE consul_raft_apply counter\nconsul_raft_apply ",
		"# TYPE consul_raft_commitTime summary",
		"consul_raft_applied_index 42",
		"consul_server_isLeader 1",
		// KV and transactions: timers are summaries in milliseconds
		"# TYPE consul_kvs_apply summary",
		"consul_kvs_apply_count 2",
		"consul_txn_apply_count 1",
		// catalog
		"consul_catalog_register_count 1",
		"consul_catalog_deregister_count 1",
		// the HTTP API, by method and path
		`consul_api_http_count{method="GET",path="v1.kv._"} 1`,
		// runtime
		"# TYPE consul_runtime_alloc_bytes gauge",
		"consul_runtime_num_goroutines ",
		"consul_runtime_sys_bytes ",
		"consul_runtime_heap_objects ",
		"consul_runtime_total_gc_pause_ns ",
		// Concord's own names stay
		`concord_http_requests_total{code="200",method="PUT",route="/v1/kv/{key...}"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("Prometheus output lacks %q", want)
		}
	}
	if strings.Contains(text, "consul_kvs_apply_count 3") {
		t.Errorf("a KV read was counted as consul_kvs_apply")
	}
}

// TestTelemetryOptions: metrics_prefix renames Consul's names, the
// hostname goes into gauge names unless disable_hostname (as go-metrics
// does for Consul), and prefix_filter drops what it blocks.
func TestTelemetryOptions(t *testing.T) {
	m := metrics.New(metrics.Options{Prefix: "acme", PrefixFilter: []string{"-acme.kvs"}})
	m.ObserveHTTP("PUT", "/v1/kv/{key...}", 200, time.Millisecond)
	m.ObserveHTTP("PUT", "/v1/catalog/register", 200, time.Millisecond)
	text := scrape(t, m)

	host, _ := os.Hostname()
	host = regexp.MustCompile(`[ .=/-]`).ReplaceAllString(host, "_")
	for _, want := range []string{"acme_catalog_register_count 1", "acme_" + host + "_runtime_alloc_bytes "} {
		if !strings.Contains(text, want) {
			t.Errorf("Prometheus output lacks %q", want)
		}
	}
	for _, unwanted := range []string{"acme_kvs_apply", "consul_catalog_register"} {
		if strings.Contains(text, unwanted) {
			t.Errorf("Prometheus output has %q", unwanted)
		}
	}
}

// TestJSONSummary: the JSON shape has Consul's dotted names, summaries
// among the samples, and the hostname in gauge names unless disabled (the
// official client's own test looks for consul.<hostname>.runtime.alloc_bytes).
func TestJSONSummary(t *testing.T) {
	host, _ := os.Hostname()
	for _, disable := range []bool{true, false} {
		m := metrics.New(metrics.Options{Prefix: "consul", DisableHostname: disable})
		m.ObserveHTTP("PUT", "/v1/kv/{key...}", 200, time.Millisecond)
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/v1/agent/metrics", nil))
		gauge := "consul.runtime.alloc_bytes"
		if !disable {
			gauge = "consul." + host + ".runtime.alloc_bytes"
		}
		if body := rec.Body.String(); !strings.Contains(body, `"Name":"consul.kvs.apply"`) ||
			!strings.Contains(body, `"Name":"`+gauge+`"`) {
			t.Errorf("GET /v1/agent/metrics = %s, want consul.kvs.apply and %s", body, gauge)
		}
	}
}
