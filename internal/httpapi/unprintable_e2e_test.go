package httpapi_test

import (
	"strings"
	"testing"

	consulapi "github.com/hashicorp/consul/api"

	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/testutil"
)

// unprintableKeys are KV keys, as escaped in a URL, that hold a character
// that is not printable: Consul answers 400 to any request for them.
var unprintableKeys = []string{"a%00b", "a%0ab", "a%01b", "a%0db", "a%09b", "a%7fb", "a%c2%a0b", "a%e2%80%8bb"}

// TestUnprintablePathRefused checks that a request whose path holds a
// character that is not printable is answered 400 with an empty body, as
// Consul does, on any route, and that no such key is stored; a space is
// printable and allowed.
func TestUnprintablePathRefused(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	addr := ta.HTTPAddr()
	for _, key := range unprintableKeys {
		for _, method := range []string{"PUT", "GET", "DELETE"} {
			r := doRaw(t, addr, method, "/v1/kv/"+key, strings.NewReader("v"))
			wantStatus(t, method+" /v1/kv/"+key, r, 400)
			if len(r.Body) != 0 {
				t.Errorf("%s /v1/kv/%s: body %q, want none (as Consul)", method, key, r.Body)
			}
		}
	}
	wantStatus(t, "GET /v1/catalog/service/web%00", doRaw(t, addr, "GET", "/v1/catalog/service/web%00", nil), 400)
	wantStatus(t, "GET /v1/no/such%01route", doRaw(t, addr, "GET", "/v1/no/such%01route", nil), 400)

	_, err := c.KV().Put(&consulapi.KVPair{Key: "a\x01b", Value: []byte("v")}, nil)
	if err == nil || !strings.Contains(err.Error(), "400") {
		t.Errorf(`Consul client Put("a\x01b") error = %v, want a 400`, err)
	}
	keys, _, err := c.KV().Keys("", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 0 {
		t.Errorf("Keys() = %q after refused writes, want none", keys)
	}

	mustPut(t, c, "a b", "spaces are printable")
	wantValue(t, c, "a b", "spaces are printable")
}

// TestUnprintableFilterDisabled checks disable_http_unprintable_char_filter:
// such keys are then stored and read, for old data to be reachable.
func TestUnprintableFilterDisabled(t *testing.T) {
	t.Parallel()
	ta := testutil.StartAgent(t, "", devConfig(func(c *config.Config) { c.DisableHTTPUnprintableCharFilter = true }))
	c := newConsulClient(t, ta.HTTPAddr(), nil)
	mustPut(t, c, "a\x01b", "old")
	wantValue(t, c, "a\x01b", "old")
}
