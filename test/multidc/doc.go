// Package multidc tests Concord across datacenters as real processes on
// loopback: dc1 (three servers and a client agent), dc2 and dc3 (a server
// and a client agent each), their servers joined in one WAN pool. It
// checks WAN membership, ?dc forwarding of every endpoint family through
// the official Go client, the isolation of each datacenter's state, DNS
// names of other datacenters and prepared-query failover, a WAN
// partition that heals by itself, and a datacenter whose servers all died.
package multidc
