package config

import (
	"fmt"
	"slices"
	"strings"
)

// Consul's agent configuration has many keys Concord does not act on. So
// that a Consul config file loads unchanged, every documented key is known
// here, in one of two kinds of family:
//
//   - pending: a feature Concord has not built yet (ACLs, TLS, limits...).
//     The keys are listed one by one, so a typo inside `acl { }` is still
//     an unknown key, and each family says what is not in effect.
//   - ignored: a feature out of Concord's scope (service mesh, Enterprise,
//     statsd...). A pattern ending in ".*" takes the whole block, whatever
//     it holds.
//
// Each source that sets keys of a family gets ONE warning line for that
// family, naming the keys (see familyWarnings).

// family is a group of Consul keys that Concord accepts without honouring.
type family struct {
	keys    []string // dotted keys; "x.*" is x and all below it; "x.y_*" a name prefix
	ignored bool     // out of scope for good, rather than not built yet
	why     string   // the rest of the warning, after "ignored: " or "not yet in effect: "
}

// families lists the Consul keys that are accepted with a warning. Keys
// Concord honours are in options; a key in both (its option has notice
// set) is parsed into Config and warned about.
var families = []family{
	{why: "Concord's secondary datacenters always replicate policies, roles and global tokens once acl.tokens.replication is set, and register services from config files with the agent token", keys: words(`
		acl.enable_token_replication acl.tokens.config_file_service_registration enable_acl_replication`)},
	{why: "Concord's gRPC port has no TLS yet; use_auto_cert and verify_server_hostname outside internal_rpc are not built",
		keys: append(tlsPendingKeys(), words(`
		ports.grpc_tls addresses.grpc_tls tls_prefer_server_cipher_suites`)...)},
	{why: "Concord's agent-to-server RPC rate and request size limits are fixed for now", keys: words(`
		limits.rpc_client_timeout limits.rpc_max_burst limits.rpc_rate
		limits.kv_max_value_size limits.txn_max_req_len`)},
	{why: "Concord tunes Raft by performance.raft_multiplier, raft_logstore.backend and raft_logstore.wal.segment_size_mb only", keys: words(`
		performance.leave_drain_time performance.rpc_hold_timeout
		raft_protocol raft_snapshot_threshold raft_snapshot_interval raft_trailing_logs
		raft_logstore.disable_log_cache raft_logstore.verification.enabled raft_logstore.verification.interval
		raft_logstore.boltdb.no_freelist_sync raft_boltdb.*`)},
	{why: "Concord's DNS interface does not have these settings yet", keys: words(`
		dns_config.a_record_limit dns_config.disable_compression dns_config.recursor_strategy
		dns_config.enable_additional_node_meta_txt
		dns_config.soa.refresh dns_config.soa.retry dns_config.soa.expire dns_config.soa.min_ttl
		dns_config.service_ttl.*`)},
	{why: "Concord does not have these WAN keys yet", keys: words(`
		advertise_addr_wan_ipv4 advertise_addr_wan_ipv6 retry_max_wan
		gossip_wan.gossip_nodes gossip_wan.retransmit_mult`)},
	{why: "Concord's gossip settings are encrypt and gossip_lan's probe and interval keys", keys: words(`
		gossip_lan.gossip_nodes gossip_lan.retransmit_mult encrypt_verify_incoming encrypt_verify_outgoing
		serf_lan serf_wan serf_lan_allowed_cidrs serf_wan_allowed_cidrs
		advertise_reconnect_timeout`)},
	{why: "Concord's HTTP, DNS and gRPC listeners bind client_addr", keys: words(`
		addresses.dns addresses.grpc advertise_addr_ipv4 advertise_addr_ipv6
		tagged_addresses.* unix_sockets.group unix_sockets.mode unix_sockets.user`)},
	{why: "Concord's HTTP API does not have these settings yet", keys: words(`
		http_config.block_endpoints http_config.allow_write_http_from http_config.response_headers.*
		http_config.use_cache http_config.max_header_bytes
		default_query_time max_query_time discovery_max_stale
		cache.entry_fetch_max_burst cache.entry_fetch_rate rpc.enable_streaming use_streaming_backend`)},
	{why: "Concord logs to stderr at log_level only", keys: words(`
		log_json log_file log_rotate_duration log_rotate_bytes log_rotate_max_files log_sublevels.*
		enable_syslog syslog_facility pid_file`)},
	{why: "Concord's check runner does not have these settings yet", keys: words(`
		check_output_max_size check_update_interval discard_check_output`)},
	{why: "Concord's agent does not have these settings yet", keys: words(`
		leave_on_terminate skip_leave_on_interrupt rejoin_after_leave retry_max auto_reload_config
		disable_host_node_id protocol server_name
		disable_update_check disable_anonymous_signature`)},
	{why: "Concord's web UI has no such settings yet", keys: words(`
		ui_dir ui_content_path ui_config.dir ui_config.content_path ui_config.metrics_provider
		ui_config.metrics_provider_files ui_config.metrics_provider_options_json ui_config.metrics_proxy.*
		ui_config.dashboard_url_templates.*`)},
	{why: "Concord exports Prometheus metrics only; this setting is not built yet", keys: words(`
		telemetry.enable_host_metrics telemetry.disable_per_tenancy_usage_metrics`)},

	{ignored: true, why: "Concord has no service mesh (Connect)", keys: words(`
		connect.* ports.proxy_min_port ports.proxy_max_port ports.sidecar_min_port ports.sidecar_max_port
		ports.expose_min_port ports.expose_max_port enable_central_service_config config_entries.*
		xds.* primary_gateways primary_gateways_interval locality.*`)},
	{ignored: true, why: "Concord serves no gRPC: Consul's gRPC port is for Connect's proxies, which Concord does not have; the files are checked but not used",
		keys: words(`tls.grpc.ca_file tls.grpc.ca_path tls.grpc.cert_file tls.grpc.key_file
		tls.grpc.tls_min_version tls.grpc.tls_cipher_suites tls.grpc.verify_incoming tls.grpc.verify_outgoing`)},
	{ignored: true, why: "Concord has no auto_encrypt (its certificates come from Connect's CA)", keys: words(`auto_encrypt.*`)},
	{ignored: true, why: "Concord has no auto_config", keys: words(`auto_config.*`)},
	{ignored: true, why: "Concord has no cluster peering", keys: words(`peering.*`)},
	{ignored: true, why: "Consul Enterprise features are out of Concord's scope", keys: words(`
		audit.* read_replica non_voting_server segment segments.* partition license_path reporting.*
		acl.msp_disable_bootstrap acl.tokens.managed_service_provider.* dns_config.prefer_namespace
		autopilot.disable_upgrade_migration autopilot.redundancy_zone_tag autopilot.upgrade_version_tag`)},
	{ignored: true, why: "Concord exports metrics to Prometheus only (telemetry.prometheus_retention_time)", keys: words(`
		telemetry.statsd_address telemetry.statsite_address telemetry.dogstatsd_addr telemetry.dogstatsd_tags
		telemetry.circonus_* telemetry.retry_failed_connection`)},
	{ignored: true, why: "Concord has no HCP link", keys: words(`cloud.*`)},
	{ignored: true, why: "it configures Consul Enterprise's snapshot agent, not the agent", keys: words(`snapshot_agent.*`)},
	{ignored: true, why: "Concord has no experiments to enable", keys: words(`experiments`)},
	{ignored: true, why: "the version is the binary's, not the config's (Consul's own test harness writes it)",
		keys: words(`version version_prerelease version_metadata`)},
}

// words splits a whitespace-separated list.
func words(s string) []string { return strings.Fields(s) }

// tlsPendingKeys lists the keys of the tls block that Concord does not
// honour (tls.go has those it does): all of tls.grpc, and use_auto_cert
// and verify_server_hostname where Consul has them outside internal_rpc.
func tlsPendingKeys() []string {
	var keys []string
	for _, section := range words("defaults internal_rpc https grpc") {
		for _, k := range words(`ca_file ca_path cert_file key_file tls_min_version tls_cipher_suites
			verify_incoming verify_outgoing verify_server_hostname use_auto_cert`) {
			if key := "tls." + section + "." + k; lookupKey(key) == nil {
				keys = append(keys, key)
			}
		}
	}
	return keys
}

// matchKey reports whether the dotted key is matched by pattern (see
// family.keys).
func matchKey(pattern, key string) bool {
	if base, ok := strings.CutSuffix(pattern, ".*"); ok {
		return key == base || strings.HasPrefix(key, base+".")
	}
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(key, prefix)
	}
	return key == pattern
}

// lookupFamily returns the index of the family that accepts key, or -1.
func lookupFamily(key string) int {
	for i, f := range families {
		for _, p := range f.keys {
			if matchKey(p, key) {
				return i
			}
		}
	}
	return -1
}

// knownKeys returns every key Concord knows, honoured or not, with the
// patterns' wildcards cut off, for sections and suggestions.
func knownKeys() []string {
	var keys []string
	for _, o := range options {
		keys = append(keys, strings.TrimSuffix(o.key, ".*"))
	}
	for _, f := range families {
		for _, p := range f.keys {
			keys = append(keys, strings.TrimRight(p, ".*"))
		}
	}
	return keys
}

// familyWarnings returns one line per family whose keys a source set, in
// the order of families: "<source>: <keys>: ignored: <why>".
func familyWarnings(source string, used map[int][]string) []string {
	var lines []string
	for i, f := range families {
		keys := used[i]
		if len(keys) == 0 {
			continue
		}
		what := "accepted but not yet in effect"
		if f.ignored {
			what = "ignored"
		}
		lines = append(lines, fmt.Sprintf("%s: %s: %s: %s", source, strings.Join(keys, ", "), what, f.why))
	}
	return lines
}

// unknownKey returns the error for a key no table knows, suggesting the
// nearest known key when one is close: the same name in another block
// (telemetry.disable_hostname for disable_hostname), or a sibling within
// a small edit distance (data_dir for dta_dir).
func unknownKey(key string) error {
	if s := suggest(key); s != "" {
		return fmt.Errorf("unknown key %q (did you mean %q?)", key, s)
	}
	return fmt.Errorf("unknown key %q", key)
}

func suggest(key string) string {
	parent, name := splitKey(key)
	var elsewhere, near string
	nearDist := len(name)/3 + 1 // a third of the name may be wrong, one byte always
	for _, k := range knownKeys() {
		kp, kn := splitKey(k)
		switch {
		case kn == name && kp != parent:
			if elsewhere == "" || len(k) < len(elsewhere) {
				elsewhere = k
			}
		case kp == parent:
			if d := editDistance(name, kn); d < nearDist {
				near, nearDist = k, d
			}
		}
	}
	if elsewhere != "" {
		return elsewhere
	}
	return near
}

// splitKey splits "a.b.c" into "a.b" and "c".
func splitKey(key string) (parent, name string) {
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		return key[:i], key[i+1:]
	}
	return "", key
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// isKnownSection reports whether key is a block holding known keys, such
// as "ports" or "acl.tokens".
func isKnownSection(key string) bool {
	return slices.ContainsFunc(knownKeys(), func(k string) bool { return strings.HasPrefix(k, key+".") })
}
