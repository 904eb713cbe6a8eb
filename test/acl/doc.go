// Package acl tests access control end to end: a server and a client agent
// with ACLs on and default deny, driven by the official Consul client, a
// hand-made RPC on the server port, and DNS.
package acl
