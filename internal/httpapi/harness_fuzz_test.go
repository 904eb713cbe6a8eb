package httpapi_test

// The fuzz targets of this package send their inputs to a real dev agent
// over loopback HTTP, so that net/http's routing and path cleaning, the
// handlers' parsing and the backend's validation all run as in production.
// Each fuzz process (the coordinator and every worker) starts one agent per
// target. Every reply is checked the same way:
//
//   - it arrives within fuzzTimeout (no hang) and the connection is not
//     dropped (net/http drops it when a handler panics);
//   - its status is not 5xx, except the 500s the Consul API gives for
//     well-formed requests that name what does not exist (fuzz500s);
//   - a 200 JSON reply is valid JSON;
//   - the request allocated at most fuzzAllocLimit in the agent's process.

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/testutil"
)

// fuzzTimeout bounds one request; blocking reads are sent with a short
// ?wait, so anything near this is a hang.
const fuzzTimeout = 10 * time.Second

// fuzzAllocLimit bounds what one request may allocate in the agent's
// process, on top of 64 bytes per input byte. Inputs are small, so a
// request near this allocates out of proportion to what it sent.
const fuzzAllocLimit = 32 << 20

// fuzzBlockingWait is put first in the query of reads that may block, so
// it wins over any ?wait the input carries (see boundWait).
const fuzzBlockingWait = "wait=20ms"

// fuzzResetEvery is how many inputs pass between two wipes of the KV
// store, which keeps the store, and so the size of replies, bounded.
const fuzzResetEvery = 256

// fuzz500s are the bodies of the 500s that the Consul API answers to
// well-formed requests naming what does not exist (CONSUL-API.md: session
// create with an unknown node or check or a critical check, ?acquire with
// an unknown session, a ?dc this agent cannot reach).
var fuzz500s = []string{
	"Missing node registration",
	"Missing check '",
	"' is in critical state",
	"invalid session",
	"No path to datacenter",
}

// fuzzAgent is a dev agent that fuzz inputs are sent to.
type fuzzAgent struct {
	addr   string // host:port of the HTTP API
	node   string // the agent's node name
	client *http.Client
	inputs int // inputs begun, for fuzzResetEvery
}

// fuzzReply is one whole reply.
type fuzzReply struct {
	code  int
	ctype string // Content-Type
	body  []byte
}

// startFuzzAgent starts the agent a fuzz target sends its inputs to.
func startFuzzAgent(f *testing.F) *fuzzAgent {
	f.Helper()
	ta := testutil.StartAgent(f, "", devConfig(nil))
	return &fuzzAgent{
		addr: ta.HTTPAddr(),
		node: ta.Config.NodeName,
		client: &http.Client{
			Timeout: fuzzTimeout,
			// A 3xx (path cleaning) is an answer; following it would turn a
			// PUT into a GET.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// begin starts an input: every fuzzResetEvery inputs it empties the KV
// store.
func (a *fuzzAgent) begin(t testing.TB) {
	t.Helper()
	a.inputs++
	if a.inputs%fuzzResetEvery == 0 {
		a.mustDo(t, "DELETE", "/v1/kv/?recurse", nil)
	}
}

// do sends one request and checks its reply as the package comment says.
// target is the path and query, sent as given. ok is false when net/http
// cannot express the request (a bad URL), which the server never sees.
func (a *fuzzAgent) do(t testing.TB, method, target string, body []byte) (r fuzzReply, ok bool) {
	t.Helper()
	return a.doAllowing(t, 0, method, target, body)
}

// doAllowing is do for an endpoint that answers code, a 5xx, by design.
func (a *fuzzAgent) doAllowing(t testing.TB, code int, method, target string, body []byte) (r fuzzReply, ok bool) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+a.addr+target, bytes.NewReader(body))
	if err != nil {
		return fuzzReply{}, false
	}
	if method == "GET" {
		// Bound blocking reads, looking at the query as sent: a "#" or
		// "?" in a fuzzed path moves what follows.
		boundWait(req.URL)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	resp, err := a.client.Do(req)
	if err == nil {
		r.body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	runtime.ReadMemStats(&after)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("%s %q: no reply after %v: %v", method, target, time.Since(start).Round(time.Millisecond), err)
		}
		t.Fatalf("%s %q (body %q): connection failed, did the handler panic? %v", method, target, truncate(body), err)
	}
	r.code, r.ctype = resp.StatusCode, resp.Header.Get("Content-Type")
	if r.code >= 500 && r.code != code && !(r.code == 500 && allowed500(r.body)) {
		t.Fatalf("%s %q (body %q) = %d %q, want no server error", method, target, truncate(body), r.code, truncate(r.body))
	}
	if r.code == 200 && strings.HasPrefix(r.ctype, "application/json") && !json.Valid(r.body) {
		t.Fatalf("%s %q = 200 with invalid JSON %q", method, target, truncate(r.body))
	}
	limit := fuzzAllocLimit + 64*uint64(len(target)+len(body))
	if n := after.TotalAlloc - before.TotalAlloc; n > limit {
		t.Fatalf("%s %q (%d byte body) allocated %d bytes, want at most %d", method, target, len(body), n, limit)
	}
	return r, true
}

// mustDo sends a request of the harness's own, which must succeed.
func (a *fuzzAgent) mustDo(t testing.TB, method, target string, body []byte) fuzzReply {
	t.Helper()
	r, ok := a.do(t, method, target, body)
	if !ok || r.code != 200 {
		t.Fatalf("%s %s = %d %q, want 200", method, target, r.code, truncate(r.body))
	}
	return r
}

func allowed500(body []byte) bool {
	for _, s := range fuzz500s {
		if bytes.Contains(body, []byte(s)) {
			return true
		}
	}
	return false
}

// boundWait puts fuzzBlockingWait first in the query of u when u is a
// read that may block: a stream read, or any read with ?index.
func boundWait(u *url.URL) {
	q, _ := url.ParseQuery(u.RawQuery) // the handler ignores errors too
	if _, ok := q["index"]; !ok && !strings.HasPrefix(u.Path, "/v1/stream/") {
		return
	}
	if u.RawQuery == "" {
		u.RawQuery = fuzzBlockingWait
		return
	}
	u.RawQuery = fuzzBlockingWait + "&" + u.RawQuery
}

// bodySeed is a seed of a target whose input is a body and a raw query.
type bodySeed struct{ body, query string }

func addBodySeeds(f *testing.F, seeds []bodySeed) {
	for _, s := range seeds {
		f.Add([]byte(s.body), s.query)
	}
}

// withQuery joins path and a raw query.
func withQuery(path, rawQuery string) string {
	if rawQuery == "" {
		return path
	}
	return path + "?" + rawQuery
}
