package call

import (
	"context"
	"encoding/json"
)

// tokenKey is the context key of a call's ACL token.
type tokenKey struct{}

// WithToken returns ctx carrying secret, the ACL token a call is made
// with: the HTTP API puts the request's token there, the RPC server the
// token that came over the wire, an agent its own token for its own
// calls. "" is the anonymous token.
func WithToken(ctx context.Context, secret string) context.Context {
	return context.WithValue(ctx, tokenKey{}, secret)
}

// TokenFrom returns the token ctx carries and whether it carries one; a
// call made without one is made with the anonymous token.
func TokenFrom(ctx context.Context) (string, bool) {
	secret, ok := ctx.Value(tokenKey{}).(string)
	return secret, ok
}

// ACLResolveArgs asks a server what the call's token (see WithToken) may do.
type ACLResolveArgs struct{}

// ACLResolve is how a client agent learns what a token may do, to decide
// its own endpoints (/v1/agent/..., events): a server resolves the token
// and answers its AccessorID and its compiled rules (acl.Authorizer's JSON
// form). Every server answers from its own state; a token unknown there is
// acl.ErrNotFound. Enabled is false when the servers enforce no ACLs.
var ACLResolve = declare[ACLResolveArgs, ResolvedToken]("ACLResolve", Local,
	func(*ACLResolveArgs) []Resource { return one(status, "", read) })

// ResolvedToken is a token as a server resolved it for an agent.
type ResolvedToken struct {
	Enabled    bool
	AccessorID string
	Authorizer json.RawMessage // acl.Authorizer, encoded
}
