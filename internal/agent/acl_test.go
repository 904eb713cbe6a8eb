package agent

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/acl"
	"github.com/concordhq/concord/internal/call"
	"github.com/concordhq/concord/internal/rpc"
)

// fakeServers answers ACLResolve as servers would, counting the calls.
type fakeServers struct {
	calls  int
	answer func(secret string) (call.ResolvedToken, error)
}

func (f *fakeServers) Call(ctx context.Context, d *call.Desc, _, out any) error {
	f.calls++
	secret, _ := call.TokenFrom(ctx)
	res, err := f.answer(secret)
	if err == nil {
		*out.(*call.ResolvedToken) = res
	}
	return err
}

// TestClientResolvesThroughServers checks a client agent's token cache:
// answers (also "ACL not found") are kept for the TTL, and when no server
// answers, extend-cache uses what it had.
func TestClientResolvesThroughServers(t *testing.T) {
	auth, _ := json.Marshal(acl.Manage())
	up := true
	f := &fakeServers{answer: func(secret string) (call.ResolvedToken, error) {
		switch {
		case !up:
			return call.ResolvedToken{}, rpc.ErrNoServers
		case secret == "good":
			return call.ResolvedToken{Enabled: true, AccessorID: "acc", Authorizer: auth}, nil
		}
		return call.ResolvedToken{}, acl.ErrNotFound
	}}
	c := &resolvedTokens{ttl: time.Hour, downPolicy: "extend-cache"}
	ctx := context.Background()
	for range 2 {
		id, err := c.resolve(ctx, "good", f)
		if err != nil || id == nil || id.AccessorID != "acc" || !id.Authorizer.IsManagement() {
			t.Fatalf("resolve(good) = %+v, %v", id, err)
		}
		if _, err := c.resolve(ctx, "bad", f); !errors.Is(err, acl.ErrNotFound) {
			t.Fatalf("resolve(bad) = %v, want ACL not found", err)
		}
	}
	if f.calls != 2 {
		t.Errorf("servers asked %d times for two tokens within their TTL, want 2", f.calls)
	}

	c.ttl = -time.Second // everything held has run out
	c.entries["good"] = resolvedEntry{id: c.entries["good"].id, expires: time.Now().Add(-time.Minute)}
	up = false
	if id, err := c.resolve(ctx, "good", f); err != nil || id == nil {
		t.Errorf("extend-cache with no server: resolve(good) = %v, %v; want the expired answer", id, err)
	}
	if _, err := c.resolve(ctx, "never-seen", f); !errors.Is(err, rpc.ErrNoServers) {
		t.Errorf("no server, nothing held: resolve = %v, want the servers' error", err)
	}
	c.downPolicy = "deny"
	if id, err := c.resolve(ctx, "good", f); err != nil || id.Authorizer.Allowed(acl.Key, "a", acl.Read) {
		t.Errorf("down_policy deny: resolve = %v, %v; want an authorizer that denies", id, err)
	}
}
