// Package acl decides what a token may do: it parses policies' rules
// (Consul's rule language, in HCL or JSON), compiles a token's policies
// into an Authorizer, checks calls against it and filters read results.
// It does no I/O and holds no state but a cache of compiled authorizers:
// the server finds a token and its policies, and asks this package.
//
// The path of a request, once wired:
//
//  1. the server resolves the request's token to its policies' versions
//     and gets their Authorizer from a Cache (Compile on a miss, with the
//     Options of the agent's acl config; Manage for the management
//     policy);
//  2. call.Hooks.Authorize runs Authorizer.Authorize on the resources the
//     call declares: a PermissionDeniedError (HTTP 403) refuses it whole;
//  3. reads that Consul answers by leaving things out (catalog, health,
//     sessions, recursive KV) go through the Filter methods, whose second
//     result sets X-Consul-Results-Filtered-By-ACLs.
//
// Precedence, as Consul documents it: for a resource, an exact rule
// (key "a/b") decides over prefix rules (key_prefix "a/"), and the longest
// matching prefix over shorter ones; rules for the same resource in a
// token's policies merge, deny winning over any grant and otherwise the
// wider grant; where no rule matches, the default policy decides. Write
// implies list and read; list (key rules only) implies read.
package acl
