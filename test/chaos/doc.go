// Package chaos tests Concord's safety under faults, on three real server
// processes whose Raft and RPC traffic passes through fault proxies
// (testutil.StartProxiedCluster). While clients run put, get (default and
// ?consistent) and CAS on a few keys, and lock holders write behind
// fencing transactions, a nemesis kills servers with SIGKILL and restarts
// them, pauses them with SIGSTOP, and cuts them apart (isolating the
// leader, or one server from the other two). Every operation's call and
// return time and result are recorded and the histories are checked:
//
//  1. KV histories must be linearizable (porcupine, one model per key). An
//     operation that failed or timed out may or may not have taken effect:
//     it stays pending until the end of time.
//  2. Every acknowledged write must be there at the end.
//  3. No fenced write by a holder that had lost its lock may be applied:
//     applied writes never go back to an older lock index.
//
// Two tests pause the leader longer than the election timeout while
// reads queue at it, and one isolates the leader while paused: no read may
// be answered from the old term. Two more start the servers with a fault
// switched on on purpose (-test-read-fault: default reads served stale by
// followers; the leader answering without its read lease) and require the
// checks to find it. The short run takes about two minutes; -chaos.duration (or
// CONCORD_CHAOS_DURATION) makes each fault phase longer (make chaos).
// Gossip does not go through the proxies, so a cut server still looks
// alive to serf; only Raft and RPC are cut.
package chaos
