// Package cluster tests Concord as a cluster of real processes on
// loopback: three servers and client agents, with kill -9, graceful leave,
// force-leave and failed members.
package cluster
