package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/acl"
	"github.com/concordhq/concord/internal/call"
	"github.com/concordhq/concord/internal/server"
	"github.com/concordhq/concord/internal/testutil"
)

// aclServers starts n in-memory servers with ACLs on (default deny) that
// bootstrap Raft together, and returns them with the leader first.
func aclServers(t *testing.T, n int) []*server.Server {
	t.Helper()
	var srvs []*server.Server
	for i := range n {
		s, err := server.New(server.Config{
			NodeID: fmt.Sprintf("acl-node-%d", i), NodeName: fmt.Sprintf("acl%d", i), Datacenter: "dc1",
			RaftAddr: "127.0.0.1:0", BootstrapExpect: n, Fast: true,
			ACL:    server.ACLConfig{Enabled: true, TokenMinExpirationTTL: 50 * time.Millisecond},
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		if err != nil {
			t.Fatalf("server.New: %v", err)
		}
		t.Cleanup(func() { s.Shutdown() })
		srvs = append(srvs, s)
	}
	var members []server.Member
	for i, s := range srvs {
		host, port, _ := net.SplitHostPort(s.RaftAddr())
		p, _ := strconv.Atoi(port)
		members = append(members, server.Member{Name: fmt.Sprintf("acl%d", i), ID: fmt.Sprintf("acl-node-%d", i), Addr: host,
			Port: p, Status: server.MemberAlive, Datacenter: "dc1", Server: true, Expect: n})
	}
	for _, s := range srvs {
		s.SetMembers(func() []server.Member { return members })
	}
	testutil.Run(t, 15*time.Second, func(r *testutil.R) {
		for i, s := range srvs {
			if s.IsLeader() {
				srvs[0], srvs[i] = srvs[i], srvs[0]
				return
			}
		}
		r.Fatalf("no leader yet")
	})
	return srvs
}

// TestACLTokenResolvesOnEveryServer: a token created through the leader
// resolves on a follower once replicated, with its policy's rules; a
// deleted one is then refused there.
func TestACLTokenResolvesOnEveryServer(t *testing.T) {
	srvs := aclServers(t, 3)
	leader, follower := srvs[0], srvs[1]
	ctx := context.Background()
	var pol *api.ACLPolicy
	testutil.Run(t, 10*time.Second, func(r *testutil.R) {
		var err error // the leader's barrier may not be through yet
		if pol, err = leader.ACLPolicySet(ctx, &api.ACLPolicy{Name: "web-kv", Rules: `key_prefix "web/" { policy = "write" }`}, true); err != nil {
			r.Fatalf("ACLPolicySet: %v", err)
		}
	})
	tok, err := leader.ACLTokenSet(ctx, &api.ACLToken{Policies: []*api.ACLLink{{ID: pol.ID}}}, true)
	if err != nil {
		t.Fatalf("ACLTokenSet: %v", err)
	}
	testutil.Run(t, 5*time.Second, func(r *testutil.R) {
		id, err := follower.ResolveToken(tok.SecretID)
		if err != nil {
			r.Fatalf("follower ResolveToken = %v", err)
		}
		if id.AccessorID != tok.AccessorID || !id.Authorizer.Allowed(acl.Key, "web/a", acl.Write) || id.Authorizer.Allowed(acl.Key, "db/a", acl.Read) {
			t.Fatalf("follower resolved %+v, want the token with write on web/ only", id)
		}
	})
	// The anonymous token resolves everywhere, with the default (deny).
	if id, err := follower.ResolveToken(""); err != nil || id.AccessorID != api.ACLAnonymousTokenID || id.Authorizer.Allowed(acl.Key, "a", acl.Read) {
		t.Errorf("ResolveToken(\"\") = %+v, %v; want the anonymous token, denied", id, err)
	}
	if err := leader.ACLTokenDelete(ctx, tok.AccessorID); err != nil {
		t.Fatalf("ACLTokenDelete: %v", err)
	}
	testutil.Run(t, 5*time.Second, func(r *testutil.R) {
		if _, err := follower.ResolveToken(tok.SecretID); !errors.Is(err, acl.ErrNotFound) {
			r.Fatalf("follower ResolveToken(deleted) = %v, want acl.ErrNotFound", err)
		}
	})
}

// TestACLResolveIdentitiesAndManagement: management tokens get Manage();
// service and node identities get Consul's documented rules; expired
// tokens are refused at once and then reaped by the leader.
func TestACLResolveIdentitiesAndManagement(t *testing.T) {
	s := aclServers(t, 1)[0]
	ctx := context.Background()
	var root *api.ACLToken
	testutil.Run(t, 10*time.Second, func(r *testutil.R) {
		var err error
		if root, err = s.ACLBootstrap(ctx, ""); err != nil {
			r.Fatalf("ACLBootstrap: %v", err)
		}
	})
	if id, err := s.ResolveToken(root.SecretID); err != nil || !id.Authorizer.IsManagement() {
		t.Errorf("ResolveToken(bootstrap) = %+v, %v; want management", id, err)
	}
	var denied server.BootstrapDeniedError
	if _, err := s.ACLBootstrap(ctx, ""); !errors.As(err, &denied) || !errors.Is(err, acl.ErrPermissionDenied) || denied.ResetIndex == 0 {
		t.Errorf("second ACLBootstrap = %v, want BootstrapDeniedError with a reset index", err)
	}

	tok, err := s.ACLTokenSet(ctx, &api.ACLToken{
		ServiceIdentities: []*api.ACLServiceIdentity{{ServiceName: "web"}, {ServiceName: "elsewhere", Datacenters: []string{"dc9"}}},
		NodeIdentities:    []*api.ACLNodeIdentity{{NodeName: "n1", Datacenter: "dc1"}},
	}, true)
	if err != nil {
		t.Fatalf("ACLTokenSet: %v", err)
	}
	id, err := s.ResolveToken(tok.SecretID)
	if err != nil {
		t.Fatalf("ResolveToken: %v", err)
	}
	for _, c := range []struct {
		kind acl.Kind
		name string
		want acl.Access
		ok   bool
	}{
		{acl.Service, "web", acl.Write, true},
		{acl.Service, "web-sidecar-proxy", acl.Write, true},
		{acl.Service, "db", acl.Read, true},
		{acl.Service, "db", acl.Write, false},
		{acl.Service, "elsewhere", acl.Write, false}, // another datacenter's identity
		{acl.Node, "n1", acl.Write, true},
		{acl.Node, "n2", acl.Read, true},
		{acl.Node, "n2", acl.Write, false},
		{acl.Key, "a", acl.Read, false},
	} {
		if got := id.Authorizer.Allowed(c.kind, c.name, c.want); got != c.ok {
			t.Errorf("identity token Allowed(%s %q, %s) = %v, want %v", c.kind, c.name, c.want, got, c.ok)
		}
	}

	short, err := s.ACLTokenSet(ctx, &api.ACLToken{ExpirationTTL: 200 * time.Millisecond}, true)
	if err != nil {
		t.Fatalf("ACLTokenSet(TTL) = %v", err)
	}
	testutil.Run(t, 5*time.Second, func(r *testutil.R) {
		if _, err := s.ResolveToken(short.SecretID); !errors.Is(err, acl.ErrNotFound) {
			r.Fatalf("ResolveToken(expired) = %v, want acl.ErrNotFound", err)
		}
	})
	testutil.Run(t, 5*time.Second, func(r *testutil.R) {
		if _, tok, _ := s.State().ACLTokenGet(nil, short.AccessorID); tok != nil {
			r.Fatalf("expired token %s not reaped yet", short.AccessorID)
		}
	})
	// The token's own secret reads it, through the call's token.
	self, _, err := s.ACLTokenSelf(call.WithToken(ctx, tok.SecretID), &api.QueryOptions{})
	if err != nil || self.AccessorID != tok.AccessorID {
		t.Errorf("ACLTokenSelf = %+v, %v", self, err)
	}
}

// TestACLNameRules: policy names take 1 to 128, role names 1 to 256,
// letters, digits, '-' and '_'; anything else is a bad request.
func TestACLNameRules(t *testing.T) {
	s := aclServers(t, 1)[0]
	ctx := context.Background()
	tests := []struct {
		name   string
		maxLen int
		set    func(name string) error
	}{
		{"policy", 128, func(name string) error {
			_, err := s.ACLPolicySet(ctx, &api.ACLPolicy{Name: name}, true)
			return err
		}},
		{"role", 256, func(name string) error {
			_, err := s.ACLRoleSet(ctx, &api.ACLRole{Name: name}, true)
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			testutil.Run(t, 10*time.Second, func(r *testutil.R) { // the leader's barrier may not be through yet
				if err := tc.set("Ok_name-1"); err != nil {
					r.Fatalf("%s named %q: %v", tc.name, "Ok_name-1", err)
				}
			})
			if err := tc.set(strings.Repeat("a", tc.maxLen)); err != nil {
				t.Errorf("%s with a %d-character name: %v", tc.name, tc.maxLen, err)
			}
			for _, bad := range []string{"", strings.Repeat("b", tc.maxLen+1), "has space", "dot.ted", "ünï"} {
				var br api.BadRequestError
				if err := tc.set(bad); !errors.As(err, &br) {
					t.Errorf("%s named %q: error %v, want a bad request", tc.name, bad, err)
				}
			}
		})
	}
}
