package server

import "time"

// ServerServiceID is the service servers register themselves as by
// default (server_service_name). The agent's anti-entropy leaves it alone:
// the servers own it.
const ServerServiceID = "consul"

// SerfCheckName is the name of the node's gossip health check
// (api.SerfCheckID) that the leader keeps in the catalog.
const SerfCheckName = "Serf Health Status"

// jitterFraction: a blocking query waits up to wait/jitterFraction more,
// so that many watchers do not all return at once.
const jitterFraction = 16

// Session defaults (Consul's).
const (
	// DefaultSessionTTLMin is the shortest session TTL when
	// Config.SessionTTLMin is 0.
	DefaultSessionTTLMin = 10 * time.Second
	// SessionTTLMultiplier: a TTL session is invalidated once it has gone
	// unrenewed for this many TTLs (clients renew every TTL/2).
	SessionTTLMultiplier = 2
)

// Stream retention defaults: the oldest messages of a topic are dropped
// beyond this many, or once older than this.
const (
	DefaultStreamMaxMessages = 10000
	DefaultStreamMaxAge      = 24 * time.Hour
)
