package httpapi_test

// Helpers shared by the end-to-end tests of this package. Every test starts
// a real agent (testutil.StartAgent) and talks to it over HTTP, either
// through the official Consul Go client or through net/http where the
// client cannot express the request.

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"testing"
	"time"

	consulapi "github.com/hashicorp/consul/api"

	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/testutil"
)

// startDevAgent starts an in-memory agent and returns it with a Consul
// client pointed at it.
func startDevAgent(t *testing.T) (*testutil.TestAgent, *consulapi.Client) {
	t.Helper()
	ta := testutil.StartAgent(t, "", devConfig(nil))
	return ta, newConsulClient(t, ta.HTTPAddr(), nil)
}

// devConfig returns a modify func for testutil.StartAgent on a dev agent:
// it applies modify if not nil. StartAgent leaves BootstrapExpect at 0 in
// dev mode, as config.Validate requires (see
// TestStartAgentDevModeAsDocumented), so the reset below is only a guard.
func devConfig(modify func(*config.Config)) func(*config.Config) {
	return func(c *config.Config) {
		c.BootstrapExpect = 0
		if modify != nil {
			modify(c)
		}
	}
}

// TestStartAgentDevModeAsDocumented starts a dev agent exactly as the
// testutil.StartAgent doc says (dataDir "" and no modify).
func TestStartAgentDevModeAsDocumented(t *testing.T) {
	t.Parallel()
	ta := testutil.StartAgent(t, "", nil)
	wantAlive(t, ta.HTTPAddr())
}

// newConsulClient returns a Consul client for addr; hc may be nil.
func newConsulClient(t *testing.T, addr string, hc *http.Client) *consulapi.Client {
	t.Helper()
	c, err := consulapi.NewClient(&consulapi.Config{Address: addr, HttpClient: hc})
	if err != nil {
		t.Fatalf("consulapi.NewClient(%q): %v", addr, err)
	}
	return c
}

// rawResponse is a whole HTTP reply, read and closed.
type rawResponse struct {
	Code   int
	Header http.Header
	Body   []byte
}

// doRaw sends one request to the agent at addr and reads the whole reply.
// pathAndQuery starts with "/". body may be nil.
func doRaw(t *testing.T, addr, method, pathAndQuery string, body io.Reader) rawResponse {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+addr+pathAndQuery, body)
	if err != nil {
		t.Fatalf("NewRequest(%s %s): %v", method, pathAndQuery, err)
	}
	resp, err := rawHTTPClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, pathAndQuery, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, pathAndQuery, err)
	}
	return rawResponse{Code: resp.StatusCode, Header: resp.Header, Body: data}
}

// rawHTTPClient bounds every raw request so a hung server fails the test
// instead of the whole run.
var rawHTTPClient = &http.Client{Timeout: 30 * time.Second}

// wantStatus fails the test unless r has the wanted status code.
func wantStatus(t *testing.T, what string, r rawResponse, code int) {
	t.Helper()
	if r.Code != code {
		t.Fatalf("%s: status = %d (body %q), want %d", what, r.Code, truncate(r.Body), code)
	}
}

// truncate shortens a body for an error message.
func truncate(b []byte) string {
	const n = 200
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// mustPut writes key=value through the Consul client.
func mustPut(t *testing.T, c *consulapi.Client, key, value string) {
	t.Helper()
	if _, err := c.KV().Put(&consulapi.KVPair{Key: key, Value: []byte(value)}, nil); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

// mustGet reads key through the Consul client; nil when it is missing.
func mustGet(t *testing.T, c *consulapi.Client, key string) *consulapi.KVPair {
	t.Helper()
	p, _, err := c.KV().Get(key, nil)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return p
}

// wantValue fails unless key holds value.
func wantValue(t *testing.T, c *consulapi.Client, key, value string) {
	t.Helper()
	p := mustGet(t, c, key)
	if p == nil {
		t.Fatalf("Get(%q) = nil, want %q", key, value)
	}
	if string(p.Value) != value {
		t.Fatalf("Get(%q) = %q, want %q", key, truncate(p.Value), value)
	}
}

// wantMissing fails unless key does not exist.
func wantMissing(t *testing.T, c *consulapi.Client, key string) {
	t.Helper()
	if p := mustGet(t, c, key); p != nil {
		t.Fatalf("Get(%q) = %q, want missing", key, truncate(p.Value))
	}
}

// decodeJSON decodes data into v, failing the test on error.
func decodeJSON(t *testing.T, what string, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: cannot decode %q: %v", what, truncate(data), err)
	}
}

// wantAlive fails unless the agent still answers a simple read and write,
// for tests that throw bad input at it.
func wantAlive(t *testing.T, addr string) {
	t.Helper()
	r := doRaw(t, addr, "PUT", "/v1/kv/alive-check", strings.NewReader("yes"))
	wantStatus(t, "PUT /v1/kv/alive-check after bad input", r, 200)
	r = doRaw(t, addr, "GET", "/v1/kv/alive-check?raw", nil)
	wantStatus(t, "GET /v1/kv/alive-check after bad input", r, 200)
	if !bytes.Equal(r.Body, []byte("yes")) {
		t.Fatalf("GET /v1/kv/alive-check?raw = %q, want %q", r.Body, "yes")
	}
}

// signalOnWrite returns an HTTP client that sends on the returned channel
// once each request has been fully written to the server. Tests use it to
// write a key only after a blocking query is on its way, without sleeping.
func signalOnWrite() (*http.Client, <-chan struct{}) {
	ch := make(chan struct{}, 16)
	rt := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) {
			select {
			case ch <- struct{}{}:
			default:
			}
		}}
		return http.DefaultTransport.RoundTrip(req.WithContext(httptrace.WithClientTrace(req.Context(), trace)))
	})
	return &http.Client{Transport: rt}, ch
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// waitSignal waits for one signal from ch, failing after a while.
func waitSignal(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}
