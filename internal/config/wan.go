package config

import "time"

// WAN is the WAN gossip pool of servers, which joins the datacenters
// (ports.serf_wan; -1 leaves the server out of every other datacenter).
type WAN struct {
	// StartJoin and RetryJoin are WAN addresses of servers of other
	// datacenters to join at start (start_join_wan, -join-wan;
	// retry_join_wan, -retry-join-wan), appended across sources.
	StartJoin []string
	RetryJoin []string
	// RetryInterval is the pause between rounds of retry_join_wan
	// (retry_interval_wan; 2s, as retry_interval).
	RetryInterval time.Duration
	// AdvertiseAddr is the address other datacenters' servers reach this
	// one at (advertise_addr_wan, -advertise-wan; "": advertise_addr), and
	// on any agent the node's "wan" tagged address, which other
	// datacenters' agents answer with under translate_wan_addrs.
	AdvertiseAddr string
	// TranslateAddrs answers requests about another datacenter with its
	// nodes' and services' WAN addresses (translate_wan_addrs; see
	// package wanaddr).
	TranslateAddrs bool
	// ReconnectTimeout is how long a failed server of another datacenter
	// stays in the pool before it is reaped (reconnect_timeout_wan, 72h).
	ReconnectTimeout time.Duration
	// Gossip tunes the WAN failure detector (gossip_wan.*); zero fields
	// take memberlist's WAN defaults, as Consul's.
	Gossip GossipTiming
}

func defaultWAN() WAN {
	return WAN{RetryInterval: 2 * time.Second, ReconnectTimeout: 72 * time.Hour}
}

// wanOptions are the WAN pool's keys.
var wanOptions = append([]option{
	{key: "start_join_wan", flag: "join-wan", kind: kindList,
		usage: "WAN `address` of a server of another datacenter to join once at start; repeatable",
		set:   func(c *Config, v any) { c.WAN.StartJoin = append(c.WAN.StartJoin, v.([]string)...) },
		check: func(v any) error { return checkJoinList(v.([]string)) }},
	{key: "retry_join_wan", flag: "retry-join-wan", kind: kindList,
		usage: "WAN `address` of a server of another datacenter to join at start, retried until it works; repeatable",
		set:   func(c *Config, v any) { c.WAN.RetryJoin = append(c.WAN.RetryJoin, v.([]string)...) },
		check: func(v any) error { return checkJoinList(v.([]string)) }},
	{key: "retry_interval_wan", flag: "retry-interval-wan", kind: kindDuration,
		usage: "`duration` between attempts to join the -retry-join-wan addresses (default 2s)",
		set:   func(c *Config, v any) { c.WAN.RetryInterval = v.(time.Duration) },
		check: positiveDuration},
	{key: "advertise_addr_wan", flag: "advertise-wan", kind: kindString,
		usage: "`address` other datacenters reach this agent at: a server's WAN gossip and RPC, any node's wan tagged address (default: -advertise)",
		set:   func(c *Config, v any) { c.WAN.AdvertiseAddr = v.(string) },
		check: func(v any) error { return checkAdvertise(v.(string)) }},
	{key: "translate_wan_addrs", kind: kindBool,
		set: func(c *Config, v any) { c.WAN.TranslateAddrs = v.(bool) }},
	{key: "reconnect_timeout_wan", kind: kindDuration,
		set:   func(c *Config, v any) { c.WAN.ReconnectTimeout = v.(time.Duration) },
		check: positiveDuration},
}, gossipOptions("gossip_wan", func(c *Config) *GossipTiming { return &c.WAN.Gossip })...)

// gossipOptions are the failure detector keys of a gossip pool's block
// (gossip_lan or gossip_wan), setting the timing timing returns.
func gossipOptions(block string, timing func(*Config) *GossipTiming) []option {
	return []option{
		{key: block + ".gossip_interval", kind: kindDuration,
			set:   func(c *Config, v any) { timing(c).GossipInterval = v.(time.Duration) },
			check: positiveDuration},
		{key: block + ".probe_interval", kind: kindDuration,
			set:   func(c *Config, v any) { timing(c).ProbeInterval = v.(time.Duration) },
			check: positiveDuration},
		{key: block + ".probe_timeout", kind: kindDuration,
			set:   func(c *Config, v any) { timing(c).ProbeTimeout = v.(time.Duration) },
			check: positiveDuration},
		{key: block + ".suspicion_mult", kind: kindInt,
			set:   func(c *Config, v any) { timing(c).SuspicionMult = v.(int) },
			check: intRange(1, 100)},
	}
}
