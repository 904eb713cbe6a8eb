// Package config turns flags and HCL/JSON config files into one validated
// Config for the agent. It is the only package that reads config files or
// flags; components receive plain values built from Config.
//
// Sources merge in this order, later winning: built-in defaults, -dev
// defaults, config files and directories (in the order given; a directory's
// *.hcl and *.json files in lexical order), -hcl fragments, then the flags
// the user set. List keys (retry_join, start_join) append instead.
//
// Key names are Consul's, and a Consul agent config loads unchanged: the
// keys Concord honours are in options.go; every other key of Consul's
// agent reference is accepted with one warning line per family and source
// (consul_keys.go: features not built yet, or out of scope such as Connect
// and Enterprise), collected in Config.Warnings. Any other key is an error
// naming the file and key, with a "did you mean" for near misses. The
// steps for one source are:
//
//  1. hcl.go decodes HCL1, Consul's grammar, with hashicorp/hcl v1, and
//     parse.go JSON, into one generic tree;
//  2. apply.go walks the tree against the key tables, converting and
//     checking each value, and sets it on Config;
//  3. validate.go checks the merged Config as a whole.
//
// Flags (flags.go) use the same key table, so a key and its flag accept the
// same values.
package config

import (
	"os"
	"strings"
	"time"

	"github.com/concordhq/concord/api"
)

// Ports holds the listener ports; -1 disables a listener.
type Ports struct {
	HTTP   int // ports.http, -http-port (8500)
	DNS    int // ports.dns, -dns-port (8600)
	Server int // ports.server, -server-port: Raft and RPC (8300)
	// ServerAdvertise is the server port others dial, when it differs
	// (ports.server_advertise, Concord's: NAT or a fault-injecting proxy).
	ServerAdvertise int
	SerfLAN         int // ports.serf_lan, -serf-lan-port (8301)
	SerfWAN         int // ports.serf_wan, -serf-wan-port (8302)
	GRPC            int // ports.grpc, -grpc-port (-1; 8502 in dev mode)
	HTTPS           int // ports.https, -https-port (-1: off; 8501 by convention)
}

// DNS is the DNS interface's settings (domain, alt_domain, recursors and
// the dns_config block).
type DNS struct {
	Domain          string        // domain ("consul.")
	AltDomain       string        // alt_domain
	Recursors       []string      // recursors: resolvers for names outside the domains
	AllowStale      bool          // dns_config.allow_stale (true)
	MaxStale        time.Duration // dns_config.max_stale (87600h): past it, a server asks the leader
	NodeTTL         time.Duration // dns_config.node_ttl (0)
	ServiceTTL      time.Duration // dns_config.service_ttl."*" (0)
	OnlyPassing     bool          // dns_config.only_passing
	EnableTruncate  bool          // dns_config.enable_truncate
	UDPAnswerLimit  int           // dns_config.udp_answer_limit (3)
	RecursorTimeout time.Duration // dns_config.recursor_timeout (2s)
	UseCache        bool          // dns_config.use_cache: service lookups answer from the agent cache
	CacheMaxAge     time.Duration // dns_config.cache_max_age (0: any age): an older cached answer is fetched anew

	// QueryRatePerSource is the most queries per second one source IP
	// gets answered; past it, REFUSED (dns_config.query_rate_per_source,
	// Concord's; 0, the default, for no limit).
	QueryRatePerSource int
}

// Limits bounds the HTTP API's and the server port's connections (the
// limits block). 0 turns a limit or timeout off.
type Limits struct {
	// HTTPMaxConnsPerClient is how many connections one client IP may
	// hold to the HTTP API; past it, 429 and close
	// (limits.http_max_conns_per_client, 200 as Consul).
	HTTPMaxConnsPerClient int
	// RPCMaxConnsPerClient is the same for the server port: past it a new
	// connection is closed (limits.rpc_max_conns_per_client, 100 as Consul).
	RPCMaxConnsPerClient int
	// HTTPMaxConns caps the HTTP API's connections in all, the same way
	// (limits.http_max_conns, Concord's: 4096).
	HTTPMaxConns int
	// HTTPReadHeaderTimeout is how long a client may take to send a
	// request's headers (limits.http_read_header_timeout, Concord's: 10s).
	HTTPReadHeaderTimeout time.Duration
	// HTTPIdleTimeout closes a keep-alive connection idle that long
	// (limits.http_idle_timeout, Concord's: 2m, longer than the 90s after
	// which Consul's Go client drops its own idle connections).
	HTTPIdleTimeout time.Duration
	// RPCHandshakeTimeout is how long a new server-port connection may
	// take to say what it is (its first byte), before it is closed
	// (limits.rpc_handshake_timeout, 5s as Consul; 0 for no limit).
	RPCHandshakeTimeout time.Duration
	// HTTPSHandshakeTimeout is how long a new HTTPS connection may take
	// to finish its TLS handshake before it is closed
	// (limits.https_handshake_timeout, 5s as Consul; 0 for no limit).
	HTTPSHandshakeTimeout time.Duration
	// RequestLimits limits the rate of calls a server takes
	// (limits.request_limits; limits.go).
	RequestLimits RequestLimits
}

// Config is the agent's whole configuration after merging every source.
type Config struct {
	DevMode         bool   // -dev: in-memory single server
	DataDir         string // data_dir, -data-dir; required unless DevMode
	NodeName        string // node_name, -node; defaults to the short hostname
	NodeID          string // node_id, -node-id: a UUID; "" to generate one and keep it in the data dir
	Datacenter      string // datacenter, -datacenter (dc1)
	Server          bool   // server, -server
	BootstrapExpect int    // bootstrap_expect, -bootstrap-expect
	BindAddr        string // bind_addr, -bind (127.0.0.1)
	ClientAddr      string // client_addr, -client (127.0.0.1)
	Ports           Ports
	DNS             DNS
	Limits          Limits
	LogLevel        string // log_level, -log-level: trace|debug|info|warn|error
	UI              bool   // ui_config.enabled / ui, -ui
	AdvertiseAddr   string // advertise_addr, -advertise; empty means BindAddr
	EncryptKey      string // encrypt, -encrypt: base64 gossip key of 16, 24 or 32 bytes
	// DisableKeyringFile keeps the gossip keyring in memory only: the
	// data dir's serf/local.keyring is neither read nor written, so each
	// start takes encrypt's key (disable_keyring_file).
	DisableKeyringFile bool
	ACL                ACL // the acl block (acl.go)
	TLS                TLS // the tls block and its older top-level keys (tls.go)

	// HTTPAddr is where the HTTP API listens instead of ClientAddr
	// (addresses.http): an IP, or unix:///path for a unix socket.
	HTTPAddr string

	// Coordinates are the network coordinate keys: disable_coordinates and
	// sync_coordinate_* (coordinate.go).
	Coordinates Coordinates

	// RetryJoin and StartJoin are addresses to join at start (retry_join,
	// -retry-join; start_join, -join). Unlike scalars, lists from several
	// sources are appended, not replaced, as in Consul.
	RetryJoin []string
	StartJoin []string

	// EnableScriptChecks allows script checks from the API and files;
	// EnableLocalScriptChecks only from config files.
	EnableScriptChecks      bool
	EnableLocalScriptChecks bool

	// DisableRemoteExec makes the agent refuse `concord exec` jobs
	// (disable_remote_exec; true by default, as in Consul).
	DisableRemoteExec bool

	// Watches are the watch definitions of config files (watches); like
	// services, lists from several files are appended.
	Watches []Watch

	// Services and Checks are the service and check definitions from
	// config files (service, services, check, checks).
	Services []*api.AgentServiceRegistration
	Checks   []*api.AgentCheckRegistration

	// EnableDebug serves /debug/pprof on the HTTP API (enable_debug; on
	// with -dev).
	EnableDebug bool

	// StreamMaxMessages and StreamMaxAge bound each durable stream topic
	// (stream { max_messages, max_age }, Concord's extension).
	StreamMaxMessages int
	StreamMaxAge      time.Duration

	// ServerServiceName is the catalog service servers register themselves
	// as (server_service_name, default "consul", which tools written for
	// Consul look up as consul.service.consul).
	ServerServiceName string

	// RaftLogStore is the Raft log backend: "wal" (default) or "boltdb"
	// (raft_logstore.backend).
	RaftLogStore string
	// RaftWALSegmentSizeMB is the WAL's segment size in MiB
	// (raft_logstore.wal.segment_size_mb; 64 when 0). The data dir needs
	// room for about two segments and the snapshots.
	RaftWALSegmentSizeMB int

	// SessionTTLMin is the smallest session TTL accepted (session_ttl_min,
	// Consul's default 10s, may be lowered to 1s).
	SessionTTLMin time.Duration

	// RetryInterval is the pause between rounds of -retry-join attempts
	// (retry_interval; 2s, where Consul waits 30s: joins are cheap).
	RetryInterval time.Duration

	// ReconnectTimeout is how long a failed node is kept in the member list
	// before it is reaped and deregistered (reconnect_timeout, 72h).
	ReconnectTimeout time.Duration

	// WAN is the WAN pool joining the datacenters' servers (wan.go).
	WAN WAN

	// GossipLAN tunes the LAN failure detector (gossip_lan.*); zero fields
	// take gossip.DefaultTiming's values.
	GossipLAN GossipTiming

	// RaftMultiplier scales Raft's timers (performance.raft_multiplier, 1).
	RaftMultiplier int

	// Autopilot is the autopilot block (autopilot.go): the first leader's
	// autopilot configuration and the dead-server grace.
	Autopilot Autopilot

	// TestReadFault is a deliberate read-path fault, for test/chaos only:
	// "stale-default" answers default reads from the local store as if
	// ?stale were given; "no-lease" makes the leader answer default reads
	// without checking its lease (the behaviour before issue 14). Empty in
	// production. Set only by the hidden -test-read-fault flag, never by a
	// config file.
	TestReadFault string

	// NodeMeta is this node's metadata (node_meta), checked by Consul's
	// rules; merged across sources. The agent publishes it on its node in
	// the catalog, with consul-version added.
	NodeMeta map[string]string

	// Telemetry is the metrics settings (telemetry { ... }).
	Telemetry Telemetry

	// DisableHTTPUnprintableCharFilter lets requests whose path holds
	// non-printable characters through (disable_http_unprintable_char_filter),
	// so that keys stored before the filter can be read and deleted.
	DisableHTTPUnprintableCharFilter bool

	// Files lists the config files that were read, for logs and errors.
	Files []string

	// Warnings has one line per source and family of keys that were
	// accepted without effect ("a.hcl: connect.enabled: ignored: ..."),
	// for the agent to log at start and `concord validate` to print.
	Warnings []string
}

// Telemetry is the metrics settings. Metrics named as Consul's get
// MetricsPrefix, and gauges the hostname too unless DisableHostname, as
// Consul's do; Prometheus output is always served.
type Telemetry struct {
	MetricsPrefix   string // metrics_prefix ("consul")
	DisableHostname bool   // disable_hostname

	// PrometheusRetentionTime is how long a series that stops being
	// updated stays in the output (prometheus_retention_time). Consul
	// serves Prometheus output only when it is positive; Concord always
	// does, and 0 (the default) keeps every series.
	PrometheusRetentionTime time.Duration

	// FilterDefault keeps metrics that PrefixFilter does not match
	// (filter_default, true); PrefixFilter's entries are "+prefix" to keep
	// and "-prefix" to drop, prefix included ("-consul.raft").
	FilterDefault bool
	PrefixFilter  []string
}

// GossipTiming is the LAN failure detector's clock (gossip_lan.*).
type GossipTiming struct {
	ProbeInterval  time.Duration
	ProbeTimeout   time.Duration
	SuspicionMult  int
	GossipInterval time.Duration
}

// Default returns the built-in defaults, the base every source merges over.
// NodeName is the host's short name (up to the first dot), because node
// names may not contain dots; it is empty if the hostname is unknown.
func Default() Config {
	host, _ := os.Hostname()
	host, _, _ = strings.Cut(host, ".")
	return Config{
		NodeName:   host,
		Datacenter: "dc1",
		BindAddr:   "127.0.0.1",
		ClientAddr: "127.0.0.1",
		Ports: Ports{
			HTTP:    8500,
			DNS:     8600,
			Server:  8300,
			SerfLAN: 8301,
			SerfWAN: 8302,
			GRPC:    -1,
			HTTPS:   -1,
		},
		LogLevel:          "info",
		DisableRemoteExec: true,
		SessionTTLMin:     10 * time.Second,
		RetryInterval:     2 * time.Second,
		ReconnectTimeout:  72 * time.Hour,
		RaftMultiplier:    1,
		Autopilot:         defaultAutopilot(),
		ServerServiceName: "consul",
		ACL:               defaultACL(),
		Coordinates:       defaultCoordinates(),
		WAN:               defaultWAN(),
		Telemetry:         Telemetry{MetricsPrefix: "consul", FilterDefault: true},
		Limits: Limits{
			HTTPMaxConnsPerClient: 200, RPCMaxConnsPerClient: 100, HTTPMaxConns: 4096,
			HTTPReadHeaderTimeout: 10 * time.Second, HTTPIdleTimeout: 2 * time.Minute,
			RPCHandshakeTimeout: 5 * time.Second, HTTPSHandshakeTimeout: 5 * time.Second,
			RequestLimits: defaultRequestLimits(),
		},
		DNS: DNS{
			Domain: "consul.", AllowStale: true, MaxStale: 87600 * time.Hour, UDPAnswerLimit: 3, RecursorTimeout: 2 * time.Second,
		},
	}
}

// applyDev sets the -dev defaults: a single in-memory server with the UI,
// gRPC and debug logs on. It runs before files and flags, so both win.
func applyDev(c *Config) {
	c.DevMode = true
	c.EnableDebug = true
	c.Server = true
	c.LogLevel = "debug"
	c.UI = true
	c.Ports.GRPC = 8502
}
