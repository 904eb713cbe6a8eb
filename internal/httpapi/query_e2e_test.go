package httpapi_test

// Parameters every KV read or write takes: ?dc, ?pretty and the
// consistency modes.

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	consulapi "github.com/hashicorp/consul/api"

	"github.com/concordhq/concord/internal/testutil"
)

func TestKVDatacenter(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	kv := c.KV()
	dc1 := &consulapi.QueryOptions{Datacenter: "dc1"}
	if _, err := kv.Put(&consulapi.KVPair{Key: "k", Value: []byte("v")}, &consulapi.WriteOptions{Datacenter: "dc1"}); err != nil {
		t.Fatalf("Put(k, dc=dc1): %v", err)
	}
	if p, _, err := kv.Get("k", dc1); err != nil || p == nil || string(p.Value) != "v" {
		t.Fatalf("Get(k, dc=dc1) = %v, %v; want v", p, err)
	}
	if _, _, err := kv.List("", dc1); err != nil {
		t.Errorf("List(dc=dc1): %v", err)
	}
	if _, _, err := kv.Keys("", "", dc1); err != nil {
		t.Errorf("Keys(dc=dc1): %v", err)
	}

	for _, tt := range []struct{ method, path string }{
		{"GET", "/v1/kv/k?dc=other"},
		{"GET", "/v1/kv/?recurse&dc=other"},
		{"GET", "/v1/kv/?keys&dc=other"},
		{"PUT", "/v1/kv/k?dc=other"},
		{"DELETE", "/v1/kv/k?dc=other"},
		{"PUT", "/v1/txn?dc=other"},
		{"GET", "/v1/status/leader?dc=other"},
		{"GET", "/v1/status/peers?dc=other"},
	} {
		body := strings.NewReader("other-dc")
		if strings.HasPrefix(tt.path, "/v1/txn") {
			body = strings.NewReader(`[{"KV":{"Verb":"set","Key":"k","Value":"eA=="}}]`)
		}
		r := doRaw(t, ta.HTTPAddr(), tt.method, tt.path, body)
		wantStatus(t, tt.method+" "+tt.path, r, 500)
		if !strings.Contains(string(r.Body), "No path to datacenter") {
			t.Errorf("%s %s body = %q, want it to contain %q", tt.method, tt.path, r.Body, "No path to datacenter")
		}
	}
	wantValue(t, c, "k", "v") // neither the PUT, DELETE nor txn to dc=other touched it

	_, _, err := kv.Get("k", &consulapi.QueryOptions{Datacenter: "other"})
	if err == nil || !strings.Contains(err.Error(), "No path to datacenter") {
		t.Errorf("Get(k, dc=other) error = %v, want No path to datacenter", err)
	}
}

func TestKVPretty(t *testing.T) {
	t.Parallel()
	t.Run("durable agent", func(t *testing.T) {
		t.Parallel()
		ta := testutil.StartAgent(t, t.TempDir(), nil)
		mustPut(t, newConsulClient(t, ta.HTTPAddr(), nil), "k", "v")
		r := doRaw(t, ta.HTTPAddr(), "GET", "/v1/kv/k", nil)
		if bytes.Contains(r.Body, []byte("\n")) {
			t.Errorf("GET /v1/kv/k on a non-dev agent = %q, want compact JSON", r.Body)
		}
		for _, path := range []string{"/v1/kv/k?pretty", "/v1/kv/k?pretty=", "/v1/kv/k?pretty=false"} {
			r = doRaw(t, ta.HTTPAddr(), "GET", path, nil)
			wantStatus(t, "GET "+path, r, 200)
			if !bytes.Contains(r.Body, []byte("\n    {\n        \"LockIndex\"")) || !bytes.HasSuffix(r.Body, []byte("]\n")) {
				t.Errorf("GET %s = %q, want 4-space indented JSON with a trailing newline", path, r.Body)
			}
		}
	})
	t.Run("dev agent", func(t *testing.T) {
		t.Parallel()
		ta, c := startDevAgent(t)
		mustPut(t, c, "k", "v")
		r := doRaw(t, ta.HTTPAddr(), "GET", "/v1/kv/k", nil)
		if !bytes.Contains(r.Body, []byte("\n        \"Key\": \"k\"")) {
			t.Errorf("GET /v1/kv/k on a dev agent = %q, want indented JSON", r.Body)
		}
	})
}

func TestKVConsistencyModes(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	mustPut(t, c, "k", "v")
	tests := []struct {
		name string
		opts *consulapi.QueryOptions
		raw  string
		want string
	}{
		{"default", nil, "", "leader"},
		{"stale", &consulapi.QueryOptions{AllowStale: true}, "stale", "stale"},
		{"consistent", &consulapi.QueryOptions{RequireConsistent: true}, "consistent", "consistent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, meta, err := c.KV().Get("k", tt.opts)
			if err != nil || p == nil || string(p.Value) != "v" {
				t.Fatalf("Get(k, %s) = %v, %v; want v", tt.name, p, err)
			}
			if !meta.KnownLeader {
				t.Errorf("Get(k, %s) KnownLeader = false, want true", tt.name)
			}
			for _, path := range []string{"/v1/kv/k", "/v1/kv/?recurse", "/v1/kv/?keys", "/v1/kv/missing"} {
				if tt.raw != "" {
					path += map[bool]string{true: "&", false: "?"}[strings.Contains(path, "?")] + tt.raw
				}
				r := doRaw(t, ta.HTTPAddr(), "GET", path, nil)
				if r.Code != 200 && r.Code != 404 {
					t.Fatalf("GET %s: status %d (%q)", path, r.Code, r.Body)
				}
				if got := r.Header.Get("X-Consul-Effective-Consistency"); got != tt.want {
					t.Errorf("GET %s X-Consul-Effective-Consistency = %q, want %q", path, got, tt.want)
				}
			}
		})
	}

	t.Run("stale and consistent", func(t *testing.T) {
		r := doRaw(t, ta.HTTPAddr(), "GET", "/v1/kv/k?stale&consistent", nil)
		wantStatus(t, "GET /v1/kv/k?stale&consistent", r, http.StatusBadRequest)
		if !strings.Contains(string(r.Body), "Cannot specify ?stale with ?consistent") {
			t.Errorf("GET /v1/kv/k?stale&consistent body = %q, want the conflict message", r.Body)
		}
		_, _, err := c.KV().Get("k", &consulapi.QueryOptions{AllowStale: true, RequireConsistent: true})
		if err == nil || !strings.Contains(err.Error(), "400") {
			t.Errorf("Get(k, stale+consistent) error = %v, want a 400", err)
		}
	})
}
