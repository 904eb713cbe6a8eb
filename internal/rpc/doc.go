// Package rpc is Concord's internal RPC between agents and servers: client
// agents send every catalog, KV, session and stream call to a server, and
// servers send leader-only calls to the leader.
//
// The transport is gRPC over one TCP connection per peer (HTTP/2
// multiplexes concurrent calls), on the server port that Raft also uses:
// Mux tells the two apart by a connection's first byte. Every call is the
// one method /concord.RPC/Call carrying a binary envelope (envelope.go: the
// call's name, token and datacenter) around its JSON arguments; results
// are JSON too, but for the few a client agent asks for most (a service's
// instances, a KV read), which have a binary form (binary.go). The calls
// themselves are declared in package call, and a Router is a client
// agent's call.Caller.
//
// TLS (tls.go) is a connection-layer matter: a dialer sends tlsByte and
// runs the handshake before anything else, and the Mux, seeing tlsByte,
// runs the server side and sorts what follows as it sorts plain
// connections. With verify_incoming plain connections are refused; with
// verify_server_hostname too, Raft and probe connections (which only
// servers open) need a server certificate, so a client agent's
// certificate can make RPC calls but never join Raft or pose as a server
// (agents dialing servers check server.<datacenter>.<domain>). Without TLS
// settings nothing of this runs: connections are sorted as before.
package rpc
