package httpapi_test

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	consulapi "github.com/hashicorp/consul/api"
)

const maxValueSize = 512 * 1024 // Consul's default kv_max_value_size

// unsizedReader hides a reader's length so net/http sends the body chunked,
// without a Content-Length.
type unsizedReader struct{ io.Reader }

func TestKVValueSizeLimit(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	addr := ta.HTTPAddr()
	atLimit := bytes.Repeat([]byte("a"), maxValueSize)
	overLimit := bytes.Repeat([]byte("b"), maxValueSize+1)

	tests := []struct {
		name     string
		key      string
		existing string // value stored first, "" for none
		body     io.Reader
		wantCode int
	}{
		{"exactly the limit", "at-limit", "", bytes.NewReader(atLimit), 200},
		{"exactly the limit, chunked", "at-limit-chunked", "", unsizedReader{bytes.NewReader(atLimit)}, 200},
		{"one byte over", "over", "", bytes.NewReader(overLimit), 413},
		{"one byte over, chunked", "over-chunked", "", unsizedReader{bytes.NewReader(overLimit)}, 413},
		{"one byte over an existing key", "over-existing", "old", bytes.NewReader(overLimit), 413},
		{"one byte over an existing key, chunked", "over-existing-chunked", "old", unsizedReader{bytes.NewReader(overLimit)}, 413},
		{"cas one byte over", "over-cas?cas=0", "", bytes.NewReader(overLimit), 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, _, _ := strings.Cut(tt.key, "?")
			if tt.existing != "" {
				mustPut(t, c, key, tt.existing)
			}
			r := doRaw(t, addr, "PUT", "/v1/kv/"+tt.key, tt.body)
			wantStatus(t, "PUT /v1/kv/"+tt.key, r, tt.wantCode)
			switch {
			case tt.wantCode == 200:
				p := mustGet(t, c, key)
				if p == nil || !bytes.Equal(p.Value, atLimit) {
					n := -1
					if p != nil {
						n = len(p.Value)
					}
					t.Errorf("Get(%q) = %d bytes, want the %d stored", key, n, len(atLimit))
				}
			case tt.existing != "":
				wantValue(t, c, key, tt.existing)
			default:
				wantMissing(t, c, key)
				if !strings.Contains(string(r.Body), "too large") {
					t.Errorf("PUT /v1/kv/%s body = %q, want a too-large message", tt.key, r.Body)
				}
			}
		})
	}

	t.Run("consul client", func(t *testing.T) {
		_, err := c.KV().Put(&consulapi.KVPair{Key: "client-over", Value: overLimit}, nil)
		if err == nil || !strings.Contains(err.Error(), "413") {
			t.Errorf("Put(client-over, %d bytes) error = %v, want a 413", len(overLimit), err)
		}
		wantMissing(t, c, "client-over")
	})
	wantAlive(t, addr)
}

func TestBadRequests(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	addr := ta.HTTPAddr()
	mustPut(t, c, "exists", "v")

	tests := []struct {
		name      string
		method    string
		path      string
		wantCode  int
		wantBody  string // substring; "" to skip
		wantAllow string // Allow header; "" to skip
	}{
		{"cas not a number", "PUT", "/v1/kv/bad/k?cas=abc", 400, "", ""},
		{"cas negative", "PUT", "/v1/kv/bad/k?cas=-1", 400, "", ""},
		{"flags not a number", "PUT", "/v1/kv/bad/k?flags=abc", 400, "", ""},
		{"flags overflow", "PUT", "/v1/kv/bad/k?flags=18446744073709551616", 400, "", ""},
		{"flags negative", "PUT", "/v1/kv/bad/k?flags=-5", 400, "", ""},
		{"delete cas not a number", "DELETE", "/v1/kv/exists?cas=x", 400, "", ""},
		{"index not a number", "GET", "/v1/kv/exists?index=abc", 400, "Invalid index", ""},
		{"index negative", "GET", "/v1/kv/exists?index=-1", 400, "Invalid index", ""},
		{"wait not a duration", "GET", "/v1/kv/exists?index=1&wait=abc", 400, "Invalid wait time", ""},
		{"wait without unit", "GET", "/v1/kv/exists?index=1&wait=10", 400, "Invalid wait time", ""},
		{"wait negative", "GET", "/v1/kv/exists?index=1&wait=-1s", 400, "Invalid wait time", ""},
		{"max_stale not a duration", "GET", "/v1/kv/exists?max_stale=abc", 400, `Invalid max_stale value "abc"`, ""},
		{"max_stale with consistent", "GET", "/v1/kv/exists?max_stale=1s&consistent", 400,
			"Cannot specify ?stale with ?consistent, conflicting semantics.", ""},
		{"cas and acquire", "PUT", "/v1/kv/bad/k?cas=0&acquire=abc", 400, "Conflicting flags", ""},
		{"acquire and release", "PUT", "/v1/kv/bad/k?acquire=a&release=a", 400, "Conflicting flags", ""},
		{"delete recurse and cas", "DELETE", "/v1/kv/exists?recurse&cas=1", 400, "Conflicting flags", ""},
		{"put without key", "PUT", "/v1/kv/", 400, "Missing key name", ""},
		{"get without key", "GET", "/v1/kv/", 400, "Missing key name", ""},
		{"delete without key", "DELETE", "/v1/kv/", 400, "Missing key name", ""},
		{"stale and consistent", "GET", "/v1/kv/exists?stale&consistent", 400, "Cannot specify ?stale with ?consistent", ""},
		{"cached and consistent", "GET", "/v1/kv/exists?cached&consistent", 400, "Cannot specify ?cached with ?consistent", ""},
		{"txn stale and consistent", "PUT", "/v1/txn?stale&consistent", 400, "Cannot specify ?stale with ?consistent", ""},
		{"post to kv", "POST", "/v1/kv/exists", 405, "method POST not allowed", "OPTIONS,DELETE,GET,PUT"},
		{"patch to kv", "PATCH", "/v1/kv/exists", 405, "", "OPTIONS,DELETE,GET,PUT"},
		{"get on txn", "GET", "/v1/txn", 405, "", "OPTIONS,PUT"},
		{"put on status", "PUT", "/v1/status/leader", 405, "", "OPTIONS,GET"},
		{"options on kv", "OPTIONS", "/v1/kv/exists", 200, "", "OPTIONS,DELETE,GET,PUT"},
		{"options on txn", "OPTIONS", "/v1/txn", 200, "", "OPTIONS,PUT"},
		{"unknown path", "GET", "/v1/nope", 404, "", ""},
		{"unknown nested path", "GET", "/v1/agent/nope", 404, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := doRaw(t, addr, tt.method, tt.path, strings.NewReader("body"))
			wantStatus(t, tt.method+" "+tt.path, r, tt.wantCode)
			if tt.wantBody != "" && !strings.Contains(string(r.Body), tt.wantBody) {
				t.Errorf("%s %s body = %q, want it to contain %q", tt.method, tt.path, r.Body, tt.wantBody)
			}
			if tt.wantAllow != "" {
				if got := r.Header.Get("Allow"); got != tt.wantAllow {
					t.Errorf("%s %s Allow = %q, want %q", tt.method, tt.path, got, tt.wantAllow)
				}
			}
		})
	}

	// None of the rejected writes may have changed anything.
	if keys, _, err := c.KV().Keys("bad/", "", nil); err != nil || len(keys) != 0 {
		t.Errorf("Keys(bad/) after rejected writes = %q, %v; want none", keys, err)
	}
	wantValue(t, c, "exists", "v")
	wantAlive(t, addr)
}

// txnBody renders n set operations as a /v1/txn body.
func txnBody(prefix string, n int) string {
	ops := make([]string, n)
	for i := range ops {
		ops[i] = fmt.Sprintf(`{"KV":{"Verb":"set","Key":"%s%d","Value":"eA=="}}`, prefix, i)
	}
	return "[" + strings.Join(ops, ",") + "]"
}

func TestTxnBadBodies(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	addr := ta.HTTPAddr()

	tests := []struct {
		name     string
		body     string
		wantCode int
		wantBody string
	}{
		{"not json", "this is not json", 400, "Failed to parse body"},
		{"truncated", `[{"KV":{"Verb":"set","Key":"bad/k"`, 400, "Failed to parse body"},
		{"object not array", `{"KV":{"Verb":"set","Key":"bad/k"}}`, 400, ""},
		{"value not base64", `[{"KV":{"Verb":"set","Key":"bad/k","Value":"***"}}]`, 400, ""},
		{"negative flags", `[{"KV":{"Verb":"set","Key":"bad/k","Flags":-1}}]`, 400, ""},
		{"index as string", `[{"KV":{"Verb":"cas","Key":"bad/k","Index":"3"}}]`, 400, ""},
		{"unknown verb", `[{"KV":{"Verb":"explode","Key":"bad/k"}}]`, 400, "explode"},
		{"empty op", `[{}]`, 400, "Operation 0"},
		{"missing key", `[{"KV":{"Verb":"set","Key":"bad/k"}},{"KV":{"Verb":"set"}}]`, 400, "Operation 1"},
		{"node op without a node", `[{"Node":{"Verb":"set","Node":{}}}]`, 400, "Operation 0"},
		{"unknown node verb", `[{"Node":{"Verb":"explode","Node":{"Node":"n"}}}]`, 400, "explode"},
		{"129 ops", txnBody("bad/", 129), 413, "Transaction contains too many operations (129 > 128)"},
		{"body over 512 KiB", `[{"KV":{"Verb":"set","Key":"bad/k","Value":"` + strings.Repeat("A", maxValueSize) + `"}}]`, 413, "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := doRaw(t, addr, "PUT", "/v1/txn", strings.NewReader(tt.body))
			wantStatus(t, "PUT /v1/txn", r, tt.wantCode)
			if tt.wantBody != "" && !strings.Contains(string(r.Body), tt.wantBody) {
				t.Errorf("PUT /v1/txn body = %q, want it to contain %q", r.Body, tt.wantBody)
			}
		})
	}
	if keys, _, err := c.KV().Keys("bad/", "", nil); err != nil || len(keys) != 0 {
		t.Errorf("Keys(bad/) after rejected txns = %d keys, %v; want none", len(keys), err)
	}
	wantAlive(t, addr)
}

// TestHostileBodies throws garbage, huge and deeply nested JSON at the
// endpoints that parse bodies; the server must answer each with a client
// error and keep serving.
func TestHostileBodies(t *testing.T) {
	t.Parallel()
	ta, _ := startDevAgent(t)
	addr := ta.HTTPAddr()

	rng := rand.New(rand.NewPCG(1, 2))
	garbage := make([]byte, 64*1024)
	for i := range garbage {
		garbage[i] = byte(rng.UintN(256))
	}
	// Both under the 512 KiB body limit, so they reach the JSON decoder.
	deepArray := strings.Repeat("[", 500_000)
	deepObject := strings.Repeat(`{"a":`, 100_000)
	// Within encoding/json's depth limit, under a field decoded as any.
	deepInNode := `[{"Node":` + strings.Repeat("[", 9_000) + strings.Repeat("]", 9_000) + `}]`
	hugeArray := "[" + strings.Repeat(`{},`, 2_000_000) + "{}]"
	manyOps := txnBody("h/", 100_000)

	tests := []struct {
		name string
		body io.Reader
	}{
		{"random bytes", bytes.NewReader(garbage)},
		{"deep array", strings.NewReader(deepArray)},
		{"deep object", strings.NewReader(deepObject)},
		{"deep any under Node", strings.NewReader(deepInNode)},
		{"huge array", strings.NewReader(hugeArray)},
		{"huge array, chunked", unsizedReader{strings.NewReader(hugeArray)}},
		{"many ops", strings.NewReader(manyOps)},
		{"nul bytes", strings.NewReader("[\x00\x00\x00]")},
		{"empty", strings.NewReader("")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := doRaw(t, addr, "PUT", "/v1/txn", tt.body)
			if r.Code < 400 || r.Code >= 500 {
				t.Errorf("PUT /v1/txn with %s: status %d (body %q), want a 4xx", tt.name, r.Code, truncate(r.Body))
			}
			wantAlive(t, addr)
		})
	}

	t.Run("garbage kv values are stored verbatim", func(t *testing.T) {
		r := doRaw(t, addr, "PUT", "/v1/kv/garbage", bytes.NewReader(garbage[:1000]))
		wantStatus(t, "PUT /v1/kv/garbage", r, 200)
		r = doRaw(t, addr, "GET", "/v1/kv/garbage?raw", nil)
		wantStatus(t, "GET /v1/kv/garbage?raw", r, 200)
		if !bytes.Equal(r.Body, garbage[:1000]) {
			t.Errorf("GET /v1/kv/garbage?raw differs from the %d bytes written", 1000)
		}
	})

	t.Run("huge header", func(t *testing.T) {
		req, err := http.NewRequest("GET", "http://"+addr+"/v1/kv/x", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Junk", strings.Repeat("j", 2<<20))
		resp, err := rawHTTPClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 400 || resp.StatusCode >= 500 {
				t.Errorf("GET with a 2 MiB header: status %d, want a 4xx", resp.StatusCode)
			}
		}
		wantAlive(t, addr)
	})
}
