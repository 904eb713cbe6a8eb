package config

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"
)

// kind is the Go type an option's value converts to before it is set.
type kind int

const (
	kindString   kind = iota // string
	kindInt                  // int
	kindBool                 // bool
	kindDuration             // time.Duration, written as "10s"
	kindList                 // []string, appended across sources
	kindMap                  // map[string]string, such as node_meta
	kindFloat                // float64, such as a rate
)

// option is one config key and, if it has one, its flag. Files, -hcl
// fragments and flags all go through this table, so a key is converted and
// checked the same way whatever its source.
type option struct {
	key    string // dotted file key, e.g. "ports.http"
	flag   string // flag name without the dash; "" for file-only keys
	usage  string // flag help
	kind   kind
	secret bool // keep the value out of error messages
	notice bool // set on Config but not yet in effect: warned about with its family (consul_keys.go)

	// set stores v, whose dynamic type matches kind, into c.
	set func(c *Config, v any)

	// check, if non-nil, rejects a bad value before it is set. It returns
	// the problem only ("must be ..."); callers add the key or flag.
	check func(v any) error
}

// options lists every key Concord accepts: the core keys below and those of
// the features that keep their keys in files of their own (acl.go, tls.go,
// autopilot.go, limits.go, wan.go).
var options = slices.Concat(coreOptions, aclOptions, tlsOptions, autopilotOptions, coordinateOptions, limitsOptions,
	wanOptions, gossipOptions("gossip_lan", func(c *Config) *GossipTiming { return &c.GossipLAN }))

// coreOptions are the core keys. Keep it sorted by key.
var coreOptions = []option{
	{key: "addresses.http", kind: kindString,
		set:   func(c *Config, v any) { c.HTTPAddr = v.(string) },
		check: func(v any) error { return checkHTTPAddr(v.(string)) }},
	{key: "advertise_addr", flag: "advertise", kind: kindString,
		usage: "`IP` address advertised to other nodes (default: the bind address)",
		set:   func(c *Config, v any) { c.AdvertiseAddr = v.(string) },
		check: func(v any) error { return checkAdvertise(v.(string)) }},
	{key: "alt_domain", flag: "alt-domain", kind: kindString,
		usage: "a second DNS `domain` answered like domain",
		set:   func(c *Config, v any) { c.DNS.AltDomain = v.(string) },
		check: func(v any) error { return checkDomain(v.(string)) }},
	{key: "bind_addr", flag: "bind", kind: kindString,
		usage: "`IP` address for cluster traffic: Raft, RPC and gossip (default 127.0.0.1)",
		set:   func(c *Config, v any) { c.BindAddr = v.(string) },
		check: func(v any) error { return checkIP(v.(string)) }},
	{key: "bootstrap", flag: "bootstrap", kind: kindBool,
		usage: "bootstrap a single server; same as -bootstrap-expect 1",
		set: func(c *Config, v any) {
			if v.(bool) {
				c.BootstrapExpect = 1
			}
		}},
	{key: "bootstrap_expect", flag: "bootstrap-expect", kind: kindInt,
		usage: "`number` of servers to wait for before bootstrapping the cluster",
		set:   func(c *Config, v any) { c.BootstrapExpect = v.(int) },
		check: func(v any) error { return checkBootstrapExpect(v.(int)) }},
	{key: "client_addr", flag: "client", kind: kindString,
		usage: "`IP` address for client interfaces: HTTP and DNS (default 127.0.0.1)",
		set:   func(c *Config, v any) { c.ClientAddr = v.(string) },
		check: func(v any) error { return checkIP(v.(string)) }},
	{key: "data_dir", flag: "data-dir", kind: kindString,
		usage: "`directory` for agent state; required unless -dev",
		set:   func(c *Config, v any) { c.DataDir = v.(string) }},
	{key: "datacenter", flag: "datacenter", kind: kindString,
		usage: "datacenter `name`: lowercase letters, digits, - and _ (default dc1)",
		set:   func(c *Config, v any) { c.Datacenter = v.(string) },
		check: func(v any) error { return checkDatacenter(v.(string)) }},
	{key: "disable_keyring_file", kind: kindBool,
		set: func(c *Config, v any) { c.DisableKeyringFile = v.(bool) }},
	{key: "disable_remote_exec", kind: kindBool,
		set: func(c *Config, v any) { c.DisableRemoteExec = v.(bool) }},
	{key: "dns_config.allow_stale", kind: kindBool,
		set: func(c *Config, v any) { c.DNS.AllowStale = v.(bool) }},
	{key: "dns_config.cache_max_age", kind: kindDuration,
		set: func(c *Config, v any) { c.DNS.CacheMaxAge = v.(time.Duration) }},
	{key: "dns_config.enable_truncate", kind: kindBool,
		set: func(c *Config, v any) { c.DNS.EnableTruncate = v.(bool) }},
	{key: "dns_config.max_stale", kind: kindDuration,
		set: func(c *Config, v any) { c.DNS.MaxStale = v.(time.Duration) }},
	{key: "dns_config.node_ttl", kind: kindDuration,
		set: func(c *Config, v any) { c.DNS.NodeTTL = v.(time.Duration) }},
	{key: "dns_config.only_passing", kind: kindBool,
		set: func(c *Config, v any) { c.DNS.OnlyPassing = v.(bool) }},
	{key: "dns_config.query_rate_per_source", kind: kindInt,
		set:   func(c *Config, v any) { c.DNS.QueryRatePerSource = v.(int) },
		check: intRange(0, 1<<20)},
	{key: "dns_config.recursor_timeout", kind: kindDuration,
		set: func(c *Config, v any) { c.DNS.RecursorTimeout = v.(time.Duration) }},
	{key: "dns_config.service_ttl.*", kind: kindDuration,
		set: func(c *Config, v any) { c.DNS.ServiceTTL = v.(time.Duration) }},
	{key: "dns_config.use_cache", kind: kindBool,
		set: func(c *Config, v any) { c.DNS.UseCache = v.(bool) }},
	{key: "dns_config.udp_answer_limit", kind: kindInt,
		set: func(c *Config, v any) { c.DNS.UDPAnswerLimit = v.(int) },
		check: func(v any) error {
			if v.(int) < 1 {
				return fmt.Errorf("must be at least 1")
			}
			return nil
		}},
	{key: "disable_http_unprintable_char_filter", kind: kindBool,
		set: func(c *Config, v any) { c.DisableHTTPUnprintableCharFilter = v.(bool) }},
	{key: "domain", flag: "domain", kind: kindString,
		usage: "DNS `domain` Concord answers for (default consul.)",
		set:   func(c *Config, v any) { c.DNS.Domain = v.(string) },
		check: func(v any) error { return checkDomain(v.(string)) }},
	{key: "enable_debug", flag: "enable-debug", kind: kindBool,
		usage: "serve Go profiles at /debug/pprof on the HTTP API",
		set:   func(c *Config, v any) { c.EnableDebug = v.(bool) }},
	{key: "enable_local_script_checks", flag: "enable-local-script-checks", kind: kindBool,
		usage: "allow script checks defined in config files",
		set:   func(c *Config, v any) { c.EnableLocalScriptChecks = v.(bool) }},
	{key: "enable_script_checks", flag: "enable-script-checks", kind: kindBool,
		usage: "allow script checks from the API and config files (lets API callers run commands)",
		set:   func(c *Config, v any) { c.EnableScriptChecks = v.(bool) }},
	{key: "encrypt", flag: "encrypt", kind: kindString, secret: true,
		usage: "base64 gossip encryption `key` of 16, 24 or 32 bytes",
		set:   func(c *Config, v any) { c.EncryptKey = v.(string) },
		check: func(v any) error { return checkEncryptKey(v.(string)) }},
	{key: "log_level", flag: "log-level", kind: kindString,
		usage: "`level`: trace, debug, info, warn or error (default info)",
		set:   func(c *Config, v any) { c.LogLevel = v.(string) },
		check: func(v any) error { return checkLogLevel(v.(string)) }},
	{key: "node_id", flag: "node-id", kind: kindString,
		usage: "the node's unique `UUID` (default: generated once and kept in the data dir)",
		set:   func(c *Config, v any) { c.NodeID = strings.ToLower(v.(string)) },
		check: checkNodeID},
	{key: "node_meta", kind: kindMap,
		set: func(c *Config, v any) {
			m := make(map[string]string, len(c.NodeMeta))
			maps.Copy(m, c.NodeMeta)
			maps.Copy(m, v.(map[string]string))
			c.NodeMeta = m
		},
		check: func(v any) error { return checkNodeMeta(v.(map[string]string)) }},
	{key: "node_name", flag: "node", kind: kindString,
		usage: "node `name`, without spaces or dots (default: short hostname)",
		set:   func(c *Config, v any) { c.NodeName = v.(string) },
		check: func(v any) error { return checkNodeName(v.(string)) }},
	{key: "performance.raft_multiplier", kind: kindInt,
		set:   func(c *Config, v any) { c.RaftMultiplier = v.(int) },
		check: intRange(1, 10)},
	{key: "ports.dns", flag: "dns-port", kind: kindInt,
		usage: "DNS `port`, -1 to disable, 0 for any free port (default 8600)",
		set:   func(c *Config, v any) { c.Ports.DNS = v.(int) },
		check: portCheck(true)},
	{key: "ports.grpc", flag: "grpc-port", kind: kindInt,
		usage: "gRPC `port`, -1 to disable (default -1; 8502 with -dev)",
		set:   func(c *Config, v any) { c.Ports.GRPC = v.(int) },
		check: portCheck(false)},
	{key: "ports.http", flag: "http-port", kind: kindInt,
		usage: "HTTP API `port`, -1 to disable, 0 for any free port (default 8500)",
		set:   func(c *Config, v any) { c.Ports.HTTP = v.(int) },
		check: portCheck(true)},
	{key: "ports.serf_lan", flag: "serf-lan-port", kind: kindInt,
		usage: "LAN gossip `port`; 0 picks a free one (default 8301)",
		set:   func(c *Config, v any) { c.Ports.SerfLAN = v.(int) },
		check: portCheck(true)},
	{key: "ports.serf_wan", flag: "serf-wan-port", kind: kindInt,
		usage: "WAN gossip `port` of a server, -1 to disable, 0 for any free port (default 8302)",
		set:   func(c *Config, v any) { c.Ports.SerfWAN = v.(int) },
		check: portCheck(true)},
	{key: "ports.server", flag: "server-port", kind: kindInt,
		usage: "server Raft and RPC `port`, 0 for any free port (default 8300)",
		set:   func(c *Config, v any) { c.Ports.Server = v.(int) },
		check: portCheck(true)},
	{key: "ports.server_advertise", kind: kindInt,
		set:   func(c *Config, v any) { c.Ports.ServerAdvertise = v.(int) },
		check: intRange(0, 65535)},
	{key: "raft_logstore.backend", kind: kindString,
		set: func(c *Config, v any) { c.RaftLogStore = v.(string) },
		check: func(v any) error {
			if b := v.(string); b != "wal" && b != "boltdb" {
				return fmt.Errorf("must be \"wal\" or \"boltdb\", got %q", b)
			}
			return nil
		}},
	{key: "raft_logstore.wal.segment_size_mb", kind: kindInt,
		set:   func(c *Config, v any) { c.RaftWALSegmentSizeMB = v.(int) },
		check: intRange(1, 1024)},
	{key: "reconnect_timeout", kind: kindDuration,
		set:   func(c *Config, v any) { c.ReconnectTimeout = v.(time.Duration) },
		check: positiveDuration},
	{key: "recursors", flag: "recursor", kind: kindList,
		usage: "upstream DNS `address` for names outside the domain; repeatable",
		set:   func(c *Config, v any) { c.DNS.Recursors = append(c.DNS.Recursors, v.([]string)...) }},
	{key: "retry_interval", flag: "retry-interval", kind: kindDuration,
		usage: "`duration` between attempts to join the -retry-join addresses (default 2s)",
		set:   func(c *Config, v any) { c.RetryInterval = v.(time.Duration) },
		check: positiveDuration},
	{key: "retry_join", flag: "retry-join", kind: kindList,
		usage: "`address` to join at start, retried until it works; repeatable",
		set:   func(c *Config, v any) { c.RetryJoin = append(c.RetryJoin, v.([]string)...) },
		check: func(v any) error { return checkJoinList(v.([]string)) }},
	{key: "server", flag: "server", kind: kindBool,
		usage: "run in server mode",
		set:   func(c *Config, v any) { c.Server = v.(bool) }},
	{key: "server_service_name", kind: kindString,
		set: func(c *Config, v any) { c.ServerServiceName = v.(string) },
		check: func(v any) error {
			if name := v.(string); name == "" || strings.ContainsAny(name, " ./") {
				return fmt.Errorf("must be a service name usable as a DNS label")
			}
			return nil
		}},
	{key: "session_ttl_min", kind: kindDuration,
		set:   func(c *Config, v any) { c.SessionTTLMin = v.(time.Duration) },
		check: func(v any) error { return checkSessionTTLMin(v.(time.Duration)) }},
	{key: "start_join", flag: "join", kind: kindList,
		usage: "`address` to join once at start; repeatable",
		set:   func(c *Config, v any) { c.StartJoin = append(c.StartJoin, v.([]string)...) },
		check: func(v any) error { return checkJoinList(v.([]string)) }},
	{key: "stream.max_age", kind: kindDuration,
		set: func(c *Config, v any) { c.StreamMaxAge = v.(time.Duration) }},
	{key: "stream.max_messages", kind: kindInt,
		set: func(c *Config, v any) { c.StreamMaxMessages = v.(int) },
		check: func(v any) error {
			if v.(int) < 1 {
				return fmt.Errorf("must be at least 1")
			}
			return nil
		}},
	{key: "telemetry.disable_hostname", kind: kindBool,
		set: func(c *Config, v any) { c.Telemetry.DisableHostname = v.(bool) }},
	{key: "telemetry.filter_default", kind: kindBool,
		set: func(c *Config, v any) { c.Telemetry.FilterDefault = v.(bool) }},
	{key: "telemetry.metrics_prefix", kind: kindString,
		set:   func(c *Config, v any) { c.Telemetry.MetricsPrefix = v.(string) },
		check: func(v any) error { return checkMetricsPrefix(v.(string)) }},
	{key: "telemetry.prefix_filter", kind: kindList,
		set:   func(c *Config, v any) { c.Telemetry.PrefixFilter = append(c.Telemetry.PrefixFilter, v.([]string)...) },
		check: func(v any) error { return checkPrefixFilter(v.([]string)) }},
	{key: "telemetry.prometheus_retention_time", kind: kindDuration,
		set:   func(c *Config, v any) { c.Telemetry.PrometheusRetentionTime = v.(time.Duration) },
		check: nonNegativeDuration},
	{key: "ui", flag: "ui", kind: kindBool,
		usage: "serve the web UI",
		set:   func(c *Config, v any) { c.UI = v.(bool) }},
	{key: "ui_config.enabled", kind: kindBool,
		set: func(c *Config, v any) { c.UI = v.(bool) }},
}

// portCheck returns the check for a port option; allowZero permits 0, which
// asks the OS for a free port at start (useful in tests).
func portCheck(allowZero bool) func(any) error {
	return func(v any) error { return checkPort(v.(int), allowZero) }
}

// lookupKey returns the option for a dotted key, or nil.
func lookupKey(key string) *option {
	for i := range options {
		if options[i].key == key {
			return &options[i]
		}
	}
	return nil
}

// isOptionSection reports whether key names a block of options, such as
// "ports".
func isOptionSection(key string) bool {
	for _, o := range options {
		if strings.HasPrefix(o.key, key+".") {
			return true
		}
	}
	return false
}

// sortedKeys returns m's keys in order, so errors are deterministic.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkDomain accepts a DNS domain such as "consul" or "consul.".
func checkDomain(d string) error {
	if d == "" || strings.Contains(d, " ") || strings.HasPrefix(d, ".") || strings.Contains(d, "..") {
		return fmt.Errorf("must be a DNS domain such as \"consul.\"")
	}
	return nil
}

// positiveDuration rejects zero and negative durations.
func positiveDuration(v any) error {
	if v.(time.Duration) <= 0 {
		return fmt.Errorf("must be positive")
	}
	return nil
}

// nonNegativeDuration rejects negative durations; 0 usually means "off".
func nonNegativeDuration(v any) error {
	if v.(time.Duration) < 0 {
		return fmt.Errorf("must not be negative")
	}
	return nil
}

// intRange returns a check that accepts lo..hi.
func intRange(lo, hi int) func(any) error {
	return func(v any) error {
		if n := v.(int); n < lo || n > hi {
			return fmt.Errorf("must be between %d and %d", lo, hi)
		}
		return nil
	}
}
