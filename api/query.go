package api

import "time"

// QueryOptions are the read parameters every blocking-capable endpoint takes.
type QueryOptions struct {
	Datacenter        string
	AllowStale        bool          // ?stale: any server may answer
	MaxStale          time.Duration // ?max_stale: with AllowStale, a server that last heard from the leader longer ago forwards the read there
	RequireConsistent bool          // ?consistent: the leader checks it still leads
	MinQueryIndex     uint64        // ?index: block until the result index passes it
	MaxQueryTime      time.Duration // ?wait: how long to block at most
	Near              string        // ?near: sort by estimated round trip time from this node ("_agent" resolved by the agent)
	// SourceIP is the requesting client's address (the first of
	// X-Forwarded-For, else the connection's), set where Near may be
	// "_ip": the node with that address is the one sorted near.
	SourceIP string `json:",omitempty"`
	// Filter is ?filter, a go-bexpr expression; the agent applies it to
	// the result, so it never travels to the servers.
	Filter string `json:"-"`
}

// QueryMeta is what a read returns beside its result, sent as X-Consul-*
// headers.
type QueryMeta struct {
	LastIndex   uint64        // X-Consul-Index, never 0
	LastContact time.Duration // X-Consul-LastContact: time since the leader was heard
	KnownLeader bool          // X-Consul-KnownLeader
	Consistency string        // X-Consul-Effective-Consistency: leader|stale|consistent
	// ResultsFilteredByACLs is X-Consul-Results-Filtered-By-ACLs: the
	// token may not read everything the query matched, so some was left out.
	ResultsFilteredByACLs bool `json:",omitempty"`
}
