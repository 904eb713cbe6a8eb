package agent

import (
	"context"
	"maps"
	"net"
	"strconv"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/version"
)

// Node metadata keys the agent sets itself, as Consul names them.
const (
	metaConsulVersion  = "consul-version"
	metaNetworkSegment = "consul-network-segment"
)

// nodeMeta is the node's metadata as the catalog and /v1/agent/self show
// it: node_meta, the Consul version Concord answers as, and the (always
// default) network segment.
func nodeMeta(cfg config.Config) map[string]string {
	meta := maps.Clone(cfg.NodeMeta)
	if meta == nil {
		meta = map[string]string{}
	}
	meta[metaConsulVersion] = version.ConsulCompat
	meta[metaNetworkSegment] = ""
	return meta
}

// Self answers /v1/agent/self.
func (a *Agent) Self() (*api.AgentSelf, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	leader, _ := call.Leader.Invoke(ctx, a.calls, call.StatusArgs{})
	cancel()
	consul := map[string]string{
		"server":            strconv.FormatBool(a.server != nil),
		"leader_addr":       leader,
		"known_datacenters": "1",
		"known_servers":     strconv.Itoa(len(a.liveServers())),
	}
	stats := map[string]map[string]string{
		"agent":    {"checks": strconv.Itoa(len(a.local.Checks())), "services": strconv.Itoa(len(a.local.Services()))},
		"consul":   consul,
		"serf_lan": a.gossip.Stats(),
		"runtime":  runtimeStats(),
		"build":    {"version": version.ConsulCompat, "concord": version.Version},
	}
	if a.server != nil {
		stats["raft"] = a.server.Stats()
		consul["leader"] = strconv.FormatBool(a.server.IsLeader())
		consul["bootstrap"] = strconv.FormatBool(a.cfg.BootstrapExpect == 1 || a.cfg.DevMode)
	}
	return &api.AgentSelf{
		Config: api.AgentConfig{
			Datacenter:        a.cfg.Datacenter,
			PrimaryDatacenter: a.cfg.Datacenter,
			NodeName:          a.cfg.NodeName,
			NodeID:            a.nodeID,
			Server:            a.cfg.Server,
			Version:           version.ConsulCompat,
			Revision:          "concord-" + version.Version,
		},
		DebugConfig: a.debugConfig(),
		Member:      *toAgentMember(a.gossip.LocalMember()),
		Stats:       stats,
		Meta:        a.local.NodeMeta(),
	}, nil
}

// debugConfig is the DebugConfig part of /v1/agent/self: the settings
// clients and tools read, under Consul's RuntimeConfig names. Addresses
// are written as Consul writes them, "tcp://host:port".
func (a *Agent) debugConfig() map[string]any {
	cfg := a.cfg
	lan := a.gossip.LocalMember()
	serfLAN := "tcp://" + net.JoinHostPort(lan.Addr.String(), strconv.Itoa(int(lan.Port)))
	advertise := cfg.AdvertiseAddr
	if advertise == "" {
		advertise = lan.Addr.String()
	}
	httpAddrs := []string{}
	if addr := a.HTTPAddr(); addr != "" {
		httpAddrs = append(httpAddrs, "tcp://"+addr)
	}
	httpsAddrs := []string{}
	if addr := a.HTTPSAddr(); addr != "" {
		httpsAddrs = append(httpsAddrs, "tcp://"+addr)
	}
	dnsAddrs := []string{}
	if addr := a.DNSAddr(); addr != "" {
		dnsAddrs = append(dnsAddrs, "tcp://"+addr, "udp://"+addr)
	}
	return map[string]any{
		"NodeName":             cfg.NodeName,
		"NodeID":               a.nodeID,
		"NodeMeta":             a.local.NodeMeta(),
		"Datacenter":           cfg.Datacenter,
		"PrimaryDatacenter":    cfg.Datacenter,
		"ServerMode":           cfg.Server,
		"DevMode":              cfg.DevMode,
		"DataDir":              cfg.DataDir,
		"Bootstrap":            cfg.BootstrapExpect == 1 || cfg.DevMode,
		"BootstrapExpect":      cfg.BootstrapExpect,
		"BindAddr":             cfg.BindAddr,
		"ClientAddrs":          []string{cfg.ClientAddr},
		"AdvertiseAddrLAN":     advertise,
		"SerfBindAddrLAN":      "tcp://" + net.JoinHostPort(cfg.BindAddr, strconv.Itoa(int(lan.Port))),
		"SerfAdvertiseAddrLAN": serfLAN,
		"SerfPortLAN":          int(lan.Port),
		"ServerPort":           cfg.Ports.Server,
		"HTTPAddrs":            httpAddrs,
		"HTTPSAddrs":           httpsAddrs,
		// No gRPC and no service mesh: tools that look for them (consul
		// connect envoy, Nomad's fingerprint) read them as off.
		"GRPCPort":                -1,
		"GRPCTLSPort":             -1,
		"GRPCAddrs":               []string{},
		"ConnectEnabled":          false,
		"ACLsEnabled":             cfg.ACL.Enabled,
		"DNSAddrs":                dnsAddrs,
		"DNSDomain":               cfg.DNS.Domain,
		"EnableDebug":             cfg.EnableDebug,
		"EnableScriptChecks":      cfg.EnableScriptChecks,
		"EnableLocalScriptChecks": cfg.EnableLocalScriptChecks,
		"DisableRemoteExec":       cfg.DisableRemoteExec,
		"LogLevel":                cfg.LogLevel,
		"Version":                 version.ConsulCompat,
		"Revision":                "concord-" + version.Version,
	}
}
