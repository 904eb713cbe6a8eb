// Package tlsutil turns Concord's TLS settings (Consul's tls block) into
// *tls.Config values for the three places that use them: the HTTPS
// listener, incoming connections on the server port (RPC, Raft, probes)
// and outgoing connections to servers.
//
// A Configurator holds the loaded certificate, key and CA pool behind an
// atomic pointer. Listeners keep one *tls.Config whose GetConfigForClient
// reads that pointer, and dialers ask for a fresh client configuration per
// connection, so Reload (SIGHUP, `concord reload`) takes effect for every
// new connection while established ones keep going.
//
// Roles: a server certificate names server.<datacenter>.<domain>, a client
// agent's client.<datacenter>.<domain>. With verify_server_hostname an
// agent dialing a server checks the former, and a server lets only peers
// holding it open Raft and probe connections (AuthorizeServer).
package tlsutil
