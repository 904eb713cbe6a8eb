package config_test

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/config"
)

// checkLoaded fails t unless a load (named by what) gave no error and
// get(c) equals want.
func checkLoaded(t *testing.T, what string, c config.Config, err error, get func(config.Config) any, want any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s error = %v", what, err)
	}
	if got := get(c); !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v (warnings %q)", what, got, want, c.Warnings)
	}
}

// TestConsulCorpus: real-world Consul agent configs (servers, clients with
// services, checks and watches, HCL and JSON) load unchanged, and what
// Concord honours in them is set.
func TestConsulCorpus(t *testing.T) {
	tests := []struct {
		file string
		get  func(config.Config) any
		want any
	}{
		{"server.hcl", func(c config.Config) any {
			return []any{c.Server, c.BootstrapExpect, c.Ports.HTTP, c.Ports.DNS, c.Ports.GRPC, c.UI,
				c.Telemetry.DisableHostname, c.Telemetry.PrometheusRetentionTime, c.NodeMeta["rack"],
				c.DNS.AllowStale, c.DNS.NodeTTL, c.DNS.ServiceTTL, c.RaftLogStore, len(c.RetryJoin)}
		}, []any{true, 3, 8500, 8600, 8502, true, true, 24 * time.Hour, "r1", true, 10 * time.Second, 5 * time.Second, "wal", 3}},
		{"server.json", func(c config.Config) any {
			return []any{c.Datacenter, c.BootstrapExpect, c.Ports.HTTP, c.DNS.Recursors, c.RetryInterval,
				c.ReconnectTimeout, c.GossipLAN.SuspicionMult, c.Telemetry.MetricsPrefix}
		}, []any{"east", 3, 8500, []string{"1.1.1.1", "8.8.8.8"}, 5 * time.Second, 8 * time.Hour, 4, "consul"}},
		{"client-web.hcl", func(c config.Config) any {
			return []any{c.Server, len(c.Services), c.Services[0].Check.HTTP, len(c.Services[1].Checks),
				len(c.Checks), c.Checks[0].Args, len(c.Watches), c.Watches[1].HTTP.Header["X-Token"],
				c.Telemetry.PrometheusRetentionTime}
		}, []any{false, 2, "http://localhost:8080/health", 2, 1,
			[]string{"/usr/local/bin/check_mem.py", "-limit", "256MB"}, 2, []string{"secret"}, 30 * time.Second}},
		{"client-services.json", func(c config.Config) any {
			return []any{c.StartJoin, c.Services[0].Name, c.Services[0].Weights.Passing, len(c.Services[0].Checks),
				c.Checks[0].Name, c.Watches[0].State, c.NodeMeta}
		}, []any{[]string{"10.0.0.11"}, "api", 10, 2, "Disk", "critical", map[string]string{"instance_type": "m5.large"}}},
		{"edge-cases.hcl", func(c config.Config) any {
			return []any{c.Server, c.BootstrapExpect, c.Ports.HTTP, c.Ports.SerfLAN, c.NodeMeta, c.DNS.NodeTTL,
				c.Services[0].Port, c.Watches[0].Handler}
		}, []any{true, 1, 8500, 8301, map[string]string{"build": "42", "role": "edge", "owner": "team-a"},
			30 * time.Second, 7000, "/usr/local/bin/notes-changed\n"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", "consul", tc.file)
			c, err := config.LoadFiles([]string{path})
			checkLoaded(t, "LoadFiles("+path+")", c, err, tc.get, tc.want)
		})
	}
}

// TestHCLOneLiners: -hcl fragments written as Consul users write them on
// command lines, several arguments to a one-line block.
func TestHCLOneLiners(t *testing.T) {
	tests := []struct {
		hcl  string
		get  func(config.Config) any
		want any
	}{
		{`ports { http = 8501 dns = 8601 }`, func(c config.Config) any { return [2]int{c.Ports.HTTP, c.Ports.DNS} }, [2]int{8501, 8601}},
		{`dns_config { allow_stale = true max_stale = "87600h" node_ttl = "10s" }`,
			func(c config.Config) any { return c.DNS.NodeTTL }, 10 * time.Second},
		{`dns_config { max_stale = "5s" }`, func(c config.Config) any { return c.DNS.MaxStale }, 5 * time.Second},
		{`node_name = "n"`, func(c config.Config) any { return c.DNS.MaxStale }, 87600 * time.Hour},
		{`dns_config { use_cache = true cache_max_age = "30s" }`,
			func(c config.Config) any { return [2]any{c.DNS.UseCache, c.DNS.CacheMaxAge} }, [2]any{true, 30 * time.Second}},
		{`telemetry { prometheus_retention_time = "24h" disable_hostname = true }`,
			func(c config.Config) any { return c.Telemetry.DisableHostname }, true},
		{`node_meta { rack = "r1" }`, func(c config.Config) any { return c.NodeMeta }, map[string]string{"rack": "r1"}},
		{`node_meta { rack = "r1" }`, func(c config.Config) any { return len(c.Warnings) }, 0},
		{`autopilot { last_contact_threshold = "200ms" cleanup_dead_servers = false }`,
			func(c config.Config) any { return c.Autopilot.CleanupDeadServers }, false},
		{`connect { enabled = false }`, func(c config.Config) any { return len(c.Warnings) }, 1},
		{`auto_encrypt { allow_tls = false }`, func(c config.Config) any { return len(c.Warnings) }, 1},
		{`acl { enabled = true default_policy = "allow" tokens { default = "x" } }`,
			func(c config.Config) any { return len(c.Warnings) }, 0},
		{`limits { http_max_conns_per_client = 400 rpc_rate = 100 }`, func(c config.Config) any { return len(c.Warnings) }, 1},
		{`limits { rpc_max_conns_per_client = 7 }`, func(c config.Config) any { return c.Limits.RPCMaxConnsPerClient }, 7},
		{`limits { rpc_max_conns_per_client = 7 }`, func(c config.Config) any { return len(c.Warnings) }, 0},
		{`node_name = "n"`, func(c config.Config) any { return c.Limits.RPCMaxConnsPerClient }, 100},
		{`retry_join = ["10.0.0.1"] retry_interval = "1s"`, func(c config.Config) any { return c.RetryInterval }, time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.hcl, func(t *testing.T) {
			args := []string{"-dev", "-hcl", tc.hcl}
			c, err := config.Parse(args)
			checkLoaded(t, fmt.Sprintf("Parse(%q)", args), c, err, tc.get, tc.want)
		})
	}
}

// TestIgnoredFamilies: each family of out-of-scope keys is accepted with
// ONE warning line per source, naming the keys set and saying they are
// ignored.
func TestIgnoredFamilies(t *testing.T) {
	tests := []struct {
		name string
		hcl  string
		want string // the warning after "-hcl #1: "
	}{
		{"connect", `connect { enabled = true ca_provider = "consul" ca_config { leaf_cert_ttl = "72h" } }
ports { sidecar_min_port = 21000 }`,
			"connect, ports.sidecar_min_port: ignored: Concord has no service mesh (Connect)"},
		{"auto_encrypt", `auto_encrypt { tls = true dns_san = ["a"] }`,
			"auto_encrypt: ignored: Concord has no auto_encrypt"},
		{"auto_config", `auto_config { enabled = true intro_token = "x" authorization { enabled = true } }`,
			"auto_config: ignored: Concord has no auto_config"},
		{"peering", `peering { enabled = true }`, "peering: ignored: Concord has no cluster peering"},
		{"enterprise", `segment = "alpha"
read_replica = true
audit { enabled = true }
autopilot { redundancy_zone_tag = "zone" }`,
			"audit, autopilot.redundancy_zone_tag, read_replica, segment: ignored: Consul Enterprise features"},
		{"telemetry sinks", `telemetry { statsd_address = "127.0.0.1:8125" dogstatsd_addr = "127.0.0.1:8125" circonus_api_token = "t" }`,
			"telemetry.circonus_api_token, telemetry.dogstatsd_addr, telemetry.statsd_address: ignored: Concord exports metrics to Prometheus only"},
		{"hcp", `cloud { resource_id = "x" client_id = "y" }`, "cloud: ignored: Concord has no HCP link"},
		{"snapshot agent", `snapshot_agent { snapshot { interval = "1h" } }`, "snapshot_agent: ignored:"},
		{"experiments", `experiments = ["resource-apis"]`, "experiments: ignored: Concord has no experiments"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"-dev", "-hcl", tc.hcl}
			c, err := config.Parse(args)
			if err != nil {
				t.Fatalf("Parse(%q) error = %v", args, err)
			}
			if len(c.Warnings) != 1 || !strings.HasPrefix(c.Warnings[0], "-hcl #1: "+tc.want) {
				t.Errorf("Parse(%q).Warnings = %q, want one line starting %q", args, c.Warnings, "-hcl #1: "+tc.want)
			}
		})
	}
}

// TestPendingFamilies: keys of features Concord has not built yet are
// accepted with a warning saying they are not in effect, while a typo
// inside their block is still an error.
func TestPendingFamilies(t *testing.T) {
	for _, tc := range []struct{ hcl, want string }{
		{`acl { enable_token_replication = true }`, "acl.enable_token_replication: accepted but not yet in effect: Concord's secondary datacenters always replicate"},
		{`tls { grpc { use_auto_cert = true } }`, "tls.grpc.use_auto_cert: accepted but not yet in effect: Concord's gRPC port has no TLS yet"},
		{`limits { kv_max_value_size = 1024 }`, "limits.kv_max_value_size: accepted but not yet in effect"},
		{`dns_config { service_ttl { "*" = "5s" web = "1s" } }`, "dns_config.service_ttl.web: accepted but not yet in effect"},
	} {
		c, err := config.Parse([]string{"-dev", "-hcl", tc.hcl})
		if err != nil || len(c.Warnings) != 1 || !strings.HasPrefix(c.Warnings[0], "-hcl #1: "+tc.want) {
			t.Errorf("Parse(-hcl %q) = warnings %q, error %v; want one line starting %q", tc.hcl, c.Warnings, err, tc.want)
		}
	}
	if _, err := config.Parse([]string{"-dev", "-hcl", `acl { enabeld = true }`}); err == nil ||
		!strings.Contains(err.Error(), `unknown key "acl.enabeld" (did you mean "acl.enabled"?)`) {
		t.Errorf("Parse(acl { enabeld = true }) error = %v, want an unknown key with a suggestion", err)
	}
}

// TestUnknownKeySuggestions: unknown keys stay errors, naming the nearest
// known key when one is close.
func TestUnknownKeySuggestions(t *testing.T) {
	for _, tc := range []struct{ hcl, want string }{
		{`dta_dir = "/x"`, `unknown key "dta_dir" (did you mean "data_dir"?)`},
		{`ports { htp = 1 }`, `unknown key "ports.htp" (did you mean "ports.http"?)`},
		{`prometheus_retention_time = "1m"`, `unknown key "prometheus_retention_time" (did you mean "telemetry.prometheus_retention_time"?)`},
		{`telemetry { metric_prefix = "x" }`, `unknown key "telemetry.metric_prefix" (did you mean "telemetry.metrics_prefix"?)`},
		{`frobnicate = true`, `unknown key "frobnicate"`},
	} {
		_, err := config.Parse([]string{"-dev", "-hcl", tc.hcl})
		if err == nil || !strings.HasSuffix(err.Error(), tc.want) {
			t.Errorf("Parse(-hcl %q) error = %v, want it to end with %q", tc.hcl, err, tc.want)
		}
	}
}

// TestTelemetryAndNodeMetaChecks: values Consul would refuse are refused.
func TestTelemetryAndNodeMetaChecks(t *testing.T) {
	for _, tc := range []struct{ hcl, want string }{
		{`node_meta { "consul-x" = "1" }`, `node_meta: key "consul-x" uses the reserved prefix`},
		{`node_meta { "a b" = "1" }`, `node_meta: key "a b" may contain only`},
		{`node_meta { a = ["x"] }`, `node_meta: a: must be a string`},
		{`telemetry { metrics_prefix = "9x" }`, `telemetry.metrics_prefix: must start with a letter`},
		{`telemetry { prefix_filter = ["consul.raft"] }`, `telemetry.prefix_filter: entry "consul.raft" must be`},
		{`telemetry { prometheus_retention_time = "-1s" }`, `telemetry.prometheus_retention_time: must not be negative`},
	} {
		_, err := config.Parse([]string{"-dev", "-hcl", tc.hcl})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(-hcl %q) error = %v, want substring %q", tc.hcl, err, tc.want)
		}
	}
}
