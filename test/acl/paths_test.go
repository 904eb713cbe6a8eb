package acl_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptrace"
	"strings"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/acl"
	"github.com/concordhq/concord/internal/call"
	"github.com/concordhq/concord/internal/rpc"
	consul "github.com/hashicorp/consul/api"
	"github.com/miekg/dns"
)

// TestACLPaths checks the paths around the HTTP API on one cluster: a
// hand-made RPC to the server port, DNS, and a blocking read whose token
// is deleted while it waits.
func TestACLPaths(t *testing.T) {
	c := startACLCluster(t)
	root := c.api(t, c.server, rootSecret)
	secrets := tokens(t, root)
	seed(t, root)
	t.Run("forged RPC", func(t *testing.T) { testForgedRPC(t, c, root) })
	t.Run("DNS", func(t *testing.T) { testDNS(t, c, root, secrets[reader]) })
	t.Run("token deleted mid-wait", func(t *testing.T) { testDeletedMidWait(t, c, root) })
	t.Run("policy change", func(t *testing.T) { testPolicyChange(t, c, root) })
	t.Run("every RPC method", func(t *testing.T) { testEveryMethod(t, c, root) })
	t.Run("login via client", func(t *testing.T) { testLoginViaClient(t, c) })
}

// testEveryMethod sends every declared call to the server port without a
// token, with empty arguments: no write may succeed, and no read may
// answer anything the seeded data holds. Status calls (leader, peers) are
// public, as in Consul.
func testEveryMethod(t *testing.T, c *aclCluster, root *consul.Client) {
	pool := rpc.NewPool()
	t.Cleanup(func() { pool.Close() })
	before, _, err := root.KV().List("", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range call.Declared() {
		args, err := d.DecodeArgs([]byte(`{}`))
		if err != nil {
			t.Fatalf("%s: %v", d.Name, err)
		}
		out := d.NewResult()
		err = pool.Call(context.Background(), c.rpc, d.Name, args, out)
		if err == nil && d.Kind == call.Write {
			t.Errorf("%s without a token succeeded", d.Name)
		}
		data, _ := json.Marshal(out)
		for _, secret := range []string{"app/a", "secret/x", `"ext"`, "root's", rootSecret} {
			if strings.Contains(string(data), secret) {
				t.Errorf("%s without a token answered %s", d.Name, data)
			}
		}
	}
	after, _, err := root.KV().List("", nil)
	if err != nil || len(after) != len(before) {
		t.Errorf("KV held %d pairs before the calls, %d (%v) after", len(before), len(after), err)
	}
}

// testPolicyChange checks that a token's rights follow its policy at once:
// servers keep resolved tokens, but drop them when a policy changes.
func testPolicyChange(t *testing.T, c *aclCluster, root *consul.Client) {
	p, _, err := root.ACL().PolicyCreate(&consul.ACLPolicy{Name: "changing", Rules: `key_prefix "app/" { policy = "read" }`}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := root.ACL().TokenCreate(&consul.ACLToken{Policies: []*consul.ACLTokenPolicyLink{{ID: p.ID}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	kv := c.api(t, c.server, tok.SecretID).KV()
	if _, _, err := kv.Get("app/a", nil); err != nil {
		t.Fatalf("get with read rights = %v", err)
	}
	p.Rules = `key_prefix "app/" { policy = "deny" }`
	if _, _, err := root.ACL().PolicyUpdate(p, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := kv.Get("app/a", nil); outcome(err) != "denied" {
		t.Fatalf("get after the policy denies = %q, want denied", outcome(err))
	}
}

// testForgedRPC speaks the server port's RPC directly, as an attacker who
// can reach it would: without a token, or with one the servers do not
// know, it reads and writes nothing.
func testForgedRPC(t *testing.T, c *aclCluster, root *consul.Client) {
	pool := rpc.NewPool()
	t.Cleanup(func() { pool.Close() })
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want error
	}{
		{"no token", context.Background(), acl.ErrPermissionDenied},
		{"unknown token", call.WithToken(context.Background(), "not-a-token"), acl.ErrNotFound},
	} {
		set := &call.KVApplyArgs{Op: &api.KVTxnOp{Verb: api.KVSet, Key: "app/forged", Value: []byte("x")}}
		if err := pool.Call(tc.ctx, c.rpc, "KVApply", set, new(bool)); !errors.Is(err, tc.want) {
			t.Errorf("%s: KVApply = %v, want %v", tc.name, err, tc.want)
		}
		reg := &call.RegisterArgs{Reg: &api.CatalogRegistration{Node: "forged", Address: "10.9.9.9"}}
		if err := pool.Call(tc.ctx, c.rpc, "CatalogRegister", reg, nil); !errors.Is(err, tc.want) {
			t.Errorf("%s: CatalogRegister = %v, want %v", tc.name, err, tc.want)
		}
		var got call.Result[*api.KVPair]
		if err := pool.Call(tc.ctx, c.rpc, "KVGet", &call.KVGetArgs{Key: "app/a"}, &got); !errors.Is(err, tc.want) || got.Value != nil {
			t.Errorf("%s: KVGet = %v, %v; want %v and nothing", tc.name, got.Value, err, tc.want)
		}
		var list call.Result[[]*api.KVPair]
		err := pool.Call(tc.ctx, c.rpc, "KVList", &call.KVListArgs{Prefix: ""}, &list)
		if tc.want == acl.ErrNotFound && !errors.Is(err, acl.ErrNotFound) {
			t.Errorf("%s: KVList = %v, want %v", tc.name, err, tc.want)
		}
		if len(list.Value) > 0 {
			t.Errorf("%s: KVList read %d pairs", tc.name, len(list.Value))
		}
	}
	if p, _, err := root.KV().Get("app/forged", nil); err != nil || p != nil {
		t.Errorf("after forged writes: app/forged = %v, %v; want nothing", p, err)
	}
	if n, _, err := root.Catalog().Node("forged", nil); err != nil || n != nil {
		t.Errorf("after forged writes: node forged = %v, %v; want nothing", n, err)
	}
}

// testDNS checks that DNS answers only what its token may read: nothing of
// web with the anonymous token, web's address once the agent's dns token
// may read services and nodes.
func testDNS(t *testing.T, c *aclCluster, root *consul.Client, readSecret string) {
	lookup := func() (int, error) {
		m := new(dns.Msg)
		m.SetQuestion("web.service.consul.", dns.TypeA)
		in, err := dns.Exchange(m, c.dns)
		if err != nil {
			return 0, err
		}
		return len(in.Answer), nil
	}
	if n, err := lookup(); err != nil || n != 0 {
		t.Fatalf("web.service.consul with the anonymous token: %d answers, %v; want none", n, err)
	}
	if _, err := root.Agent().UpdateDNSToken(readSecret, nil); err != nil {
		t.Fatalf("UpdateDNSToken = %v", err)
	}
	if n, err := lookup(); err != nil || n == 0 {
		t.Fatalf("web.service.consul with a token that reads services: %d answers, %v; want web", n, err)
	}
}

// testDeletedMidWait deletes the token of a blocking read while it waits:
// the read answers 403 "ACL not found" when it wakes, not the new value;
// through the server and through a client agent (whose server re-checks).
func testDeletedMidWait(t *testing.T, c *aclCluster, root *consul.Client) {
	p, _, err := root.ACL().PolicyCreate(&consul.ACLPolicy{Name: "mid-wait", Rules: `key_prefix "app/" { policy = "read" }`}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, via := range []string{c.server, c.client} {
		tok, _, err := root.ACL().TokenCreate(&consul.ACLToken{Policies: []*consul.ACLTokenPolicyLink{{ID: p.ID}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		reader := c.api(t, via, tok.SecretID)
		_, meta, err := reader.KV().Get("app/a", nil)
		if err != nil {
			t.Fatal(err)
		}
		sent := make(chan struct{})
		ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
			WroteRequest: func(httptrace.WroteRequestInfo) { close(sent) },
		})
		done := make(chan error, 1)
		go func() {
			q := (&consul.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: 20 * time.Second}).WithContext(ctx)
			_, _, err := reader.KV().Get("app/a", q)
			done <- err
		}()
		<-sent
		if _, err := root.ACL().TokenDelete(tok.AccessorID, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := root.KV().Put(&consul.KVPair{Key: "app/a", Value: []byte(tok.AccessorID)}, nil); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			if got := outcome(err); got != "acl-not-found" {
				t.Errorf("blocking read via %s whose token was deleted = %q, want acl-not-found", via, got)
			}
		case <-time.After(15 * time.Second):
			t.Fatalf("blocking read via %s did not answer when its key changed", via)
		}
	}
}
