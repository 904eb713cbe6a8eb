package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/concordhq/concord/internal/acl"
	"github.com/concordhq/concord/internal/call"
	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/rpc"
)

// The agent's part in access control:
//
//   - every call the agent makes for itself (anti-entropy, its node's
//     registration, remote exec, the leader's lookups) carries tokens.agent
//     (else tokens.default): tokenCaller adds it to calls whose context has
//     no token, while calls made for an HTTP request carry the request's;
//   - DNS reads carry tokens.dns (else tokens.default), so the servers
//     leave out what that token may not read;
//   - the agent's own endpoints are decided on the agent (ResolveToken):
//     a server resolves from its own state; a client agent asks a server
//     (call.ACLResolve) and keeps the answer for acl.token_ttl, using an
//     expired answer when no server answers and down_policy is
//     extend-cache or async-cache;
//   - tokens.agent_recovery is known to the agent alone: it may use the
//     agent's endpoints (agent:write on this node, node:read) even with
//     no server up.

// aclDefaultPolicy is what X-Consul-Default-Acl-Policy says: "allow" when
// ACLs are off, as in Consul.
func aclDefaultPolicy(c config.ACL) string {
	if !c.Enabled || c.DefaultPolicy == "" {
		return "allow"
	}
	return c.DefaultPolicy
}

// agentTokens are the tokens of the acl.tokens block that can change at run
// time (PUT /v1/agent/token/<kind>).
type agentTokens struct {
	path string // where they persist (enable_token_persistence), or ""

	mu     sync.Mutex
	tokens map[string]string // by kind; guarded by mu
}

// tokenKinds are the kinds PUT /v1/agent/token/<kind> sets.
var tokenKinds = []string{"default", "agent", "agent_recovery", "replication", "dns", "config_file_service_registration"}

func newAgentTokens(cfg config.Config) *agentTokens {
	t := cfg.ACL.Tokens
	at := &agentTokens{tokens: map[string]string{
		"default": t.Default, "agent": t.Agent, "agent_recovery": t.AgentRecovery,
		"replication": t.Replication, "dns": t.DNS,
	}}
	if cfg.ACL.EnableTokenPersistence && !cfg.DevMode && cfg.DataDir != "" {
		at.path = filepath.Join(cfg.DataDir, "acl-tokens.json")
		if data, err := os.ReadFile(at.path); err == nil {
			var saved map[string]string
			if json.Unmarshal(data, &saved) == nil {
				for k, v := range saved {
					at.tokens[k] = v
				}
			}
		}
	}
	return at
}

func (t *agentTokens) get(kind string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.tokens[kind]
}

// first returns the first of kinds that is set.
func (t *agentTokens) first(kinds ...string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range kinds {
		if v := t.tokens[k]; v != "" {
			return v
		}
	}
	return ""
}

// set replaces the token of kind, saving them all when they persist.
func (t *agentTokens) set(kind, secret string) (bool, error) {
	known := false
	for _, k := range tokenKinds {
		known = known || k == kind
	}
	if !known {
		return false, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.tokens[kind] = secret
	if t.path == "" {
		return true, nil
	}
	data, err := json.Marshal(t.tokens)
	if err != nil {
		return true, err
	}
	if err := writeFileSync(t.path, data); err != nil {
		return true, fmt.Errorf("cannot save the agent's tokens: %w", err)
	}
	return true, nil
}

// agentToken is the token of the agent's own calls.
func (t *agentTokens) agentToken() string { return t.first("agent", "default") }

// tokenCaller gives calls that carry no token the agent's own.
type tokenCaller struct {
	next  call.Caller
	token func() string
}

func (c tokenCaller) Call(ctx context.Context, d *call.Desc, args, out any) error {
	if _, ok := call.TokenFrom(ctx); !ok {
		ctx = call.WithToken(ctx, c.token())
	}
	return c.next.Call(ctx, d, args, out)
}

// DefaultToken is the token of HTTP requests that name none.
func (a *Agent) DefaultToken() string { return a.tokens.get("default") }

// SetAgentToken replaces one of the agent's tokens.
func (a *Agent) SetAgentToken(kind, secret string) (bool, error) {
	ok, err := a.tokens.set(kind, secret)
	if ok && kind == "replication" && a.server != nil {
		a.server.SetReplicationToken(secret)
	}
	if ok && err == nil {
		a.logger.Info("agent token updated", "kind", kind)
	}
	return ok, err
}

// ResolveToken resolves the token ctx carries, for the agent's own
// endpoints: nil, nil when ACLs are off.
func (a *Agent) ResolveToken(ctx context.Context) (*acl.Identity, error) {
	if !a.cfg.ACL.Enabled {
		return nil, nil
	}
	secret, _ := call.TokenFrom(ctx)
	if secret != "" && secret == a.tokens.get("agent_recovery") {
		// The recovery token is for when the servers cannot vouch for
		// it (unknown to them, or unreachable); the same secret known to
		// them as a token of its own (say, the management token, as
		// Consul's test harness sets both) keeps that token's rights.
		if id, err := a.resolveAtServers(ctx, secret); err == nil && id != nil {
			return id, nil
		}
		return a.recoveryIdentity(), nil
	}
	if a.server != nil {
		return a.server.ResolveToken(secret)
	}
	return a.resolved.resolve(ctx, secret, a.calls)
}

// resolveAtServers asks the servers about secret, without the client
// cache or down_policy: an error when they do not know it or cannot be
// reached.
func (a *Agent) resolveAtServers(ctx context.Context, secret string) (*acl.Identity, error) {
	if a.server != nil {
		return a.server.ResolveToken(secret)
	}
	return fetchResolved(ctx, secret, a.calls)
}

// fetchResolved asks a server what secret may do: nil when the servers
// enforce no ACLs.
func fetchResolved(ctx context.Context, secret string, calls call.Caller) (*acl.Identity, error) {
	res, err := call.ACLResolve.Invoke(call.WithToken(ctx, secret), calls, call.ACLResolveArgs{})
	if err != nil || !res.Enabled {
		return nil, err
	}
	var az acl.Authorizer
	if err := json.Unmarshal(res.Authorizer, &az); err != nil {
		return nil, err
	}
	return &acl.Identity{AccessorID: res.AccessorID, Authorizer: &az}, nil
}

// recoveryIdentity is what tokens.agent_recovery may do.
func (a *Agent) recoveryIdentity() *acl.Identity {
	p := &acl.Policy{Rules: []acl.Rule{
		{Kind: acl.Agent, Name: a.cfg.NodeName, Access: acl.Write},
		{Kind: acl.Node, Prefix: true, Access: acl.Read},
	}}
	return &acl.Identity{Authorizer: acl.Compile([]*acl.Policy{p}, acl.Options{})}
}

// resolvedTokens is a client agent's cache of tokens resolved by servers.
type resolvedTokens struct {
	ttl        time.Duration // acl.token_ttl
	downPolicy string        // acl.down_policy

	mu      sync.Mutex
	entries map[string]resolvedEntry // by secret; guarded by mu
}

type resolvedEntry struct {
	id      *acl.Identity // nil: the servers enforce no ACLs
	err     error         // acl.ErrNotFound, remembered as an answer
	expires time.Time
}

// maxResolved bounds the cache; past it, it starts afresh.
const maxResolved = 4096

func (c *resolvedTokens) resolve(ctx context.Context, secret string, calls call.Caller) (*acl.Identity, error) {
	now := time.Now()
	c.mu.Lock()
	e, ok := c.entries[secret]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.id, e.err
	}
	id, err := fetchResolved(ctx, secret, calls)
	switch {
	case err == nil:
		e = resolvedEntry{id: id, expires: now.Add(c.ttl)}
	case errors.Is(err, acl.ErrNotFound):
		e = resolvedEntry{err: acl.ErrNotFound, expires: now.Add(c.ttl)}
	case rpc.IsTransport(err) || errors.Is(err, rpc.ErrNoServers):
		return c.whenDown(ok, e, err)
	default:
		return nil, err
	}
	c.mu.Lock()
	if c.entries == nil || len(c.entries) >= maxResolved {
		c.entries = map[string]resolvedEntry{}
	}
	c.entries[secret] = e
	c.mu.Unlock()
	return e.id, e.err
}

// whenDown answers for a token no server could resolve, by down_policy.
func (c *resolvedTokens) whenDown(cached bool, e resolvedEntry, err error) (*acl.Identity, error) {
	switch c.downPolicy {
	case "allow":
		return &acl.Identity{Authorizer: acl.Compile(nil, acl.Options{DefaultAllow: true})}, nil
	case "deny":
		return &acl.Identity{Authorizer: acl.Compile(nil, acl.Options{})}, nil
	}
	if cached {
		return e.id, e.err // extend-cache, async-cache
	}
	return nil, err
}
