package acl

import "errors"

// ErrNotFound is a token secret the servers do not know, or one whose
// token has expired: Consul answers it with HTTP 403 "ACL not found".
var ErrNotFound = errors.New("ACL not found")

// ErrDisabled is the answer of the ACL endpoints on an agent whose ACLs
// are off: Consul answers it with HTTP 401 "ACL support disabled".
var ErrDisabled = errors.New("ACL support disabled")

// Identity is a resolved token: who it is and what it may do.
type Identity struct {
	// AccessorID is the token's public ID, named in denials ("" for a
	// token that has none, such as an agent's recovery token).
	AccessorID string
	// Authorizer decides the token's calls; never nil.
	Authorizer *Authorizer
}

// ServiceIdentityPolicy is the policy of a service identity, as Consul
// documents it: write on the service and its sidecar proxy, read on every
// service and node (for discovery).
func ServiceIdentityPolicy(service string) *Policy {
	return &Policy{Rules: []Rule{
		{Kind: Service, Name: service, Access: Write},
		{Kind: Service, Name: service + "-sidecar-proxy", Access: Write},
		{Kind: Service, Prefix: true, Access: Read},
		{Kind: Node, Prefix: true, Access: Read},
	}}
}

// NodeIdentityPolicy is the policy of a node identity, as Consul
// documents it: write on the node, read on every service.
func NodeIdentityPolicy(node string) *Policy {
	return &Policy{Rules: []Rule{
		{Kind: Node, Name: node, Access: Write},
		{Kind: Service, Prefix: true, Access: Read},
	}}
}
