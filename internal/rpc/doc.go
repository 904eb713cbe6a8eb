// Package rpc is Concord's internal RPC between agents and servers: client
// agents send every catalog, KV, session and stream call to a server, and
// servers send leader-only calls to the leader.
//
// The transport is gRPC with a JSON codec over one TCP connection per peer
// (HTTP/2 multiplexes concurrent calls), on the server port that Raft also
// uses: Mux tells the two apart by a connection's first byte. Every call is
// the one method /concord.RPC/Call carrying a call's name and its JSON
// arguments; the calls themselves are declared in package call, and a
// Router is a client agent's call.Caller.
package rpc
