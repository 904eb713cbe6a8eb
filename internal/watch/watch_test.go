package watch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
)

// step is one scripted reply of fakeAgent.
type step struct {
	status int    // 0 means 200
	index  uint64 // X-Consul-Index
	body   string
}

// fakeAgent answers every GET with a script of replies, records the
// ?index and ?wait of each query, and once the script is done holds the
// next query until the client gives up.
type fakeAgent struct {
	script []step
	parked chan struct{} // closed when a query arrives after the script

	mu      sync.Mutex
	indexes []string // guarded by mu
	waits   []string // guarded by mu
}

func (f *fakeAgent) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	n := len(f.indexes)
	f.indexes = append(f.indexes, r.URL.Query().Get("index"))
	f.waits = append(f.waits, r.URL.Query().Get("wait"))
	f.mu.Unlock()
	if n >= len(f.script) {
		if n == len(f.script) {
			close(f.parked)
		}
		<-r.Context().Done()
		return
	}
	s := f.script[n]
	w.Header().Set("X-Consul-Index", fmt.Sprint(s.index))
	if s.status != 0 {
		w.WriteHeader(s.status)
	}
	fmt.Fprint(w, s.body)
}

// run is what one Run against a fakeAgent did.
type run struct {
	handled []string // the JSON of each change, in order
	indexes []string // ?index of each query
	waits   []string // ?wait of each query
	errs    []string // what OnError was told
}

// runFake runs the plan of p against script until it parks on the query
// after it, then stops it.
func runFake(t *testing.T, p Params, script []step) run {
	t.Helper()
	plan, err := Parse(p)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeAgent{script: script, parked: make(chan struct{})}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c, err := api.NewClient(&api.Config{Address: srv.Listener.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var got run
	h := func(_ context.Context, _ uint64, data []byte) error {
		got.handled = append(got.handled, strings.TrimSpace(string(data)))
		return nil
	}
	o := Options{Wait: time.Second, RetryMin: time.Millisecond, RetryMax: 4 * time.Millisecond,
		OnError: func(err error) { got.errs = append(got.errs, err.Error()) }}
	done := make(chan struct{})
	go func() {
		defer close(done)
		plan.Run(ctx, c, h, o)
	}()
	select {
	case <-f.parked:
	case <-time.After(10 * time.Second):
		t.Fatal("watch did not reach the end of the script")
	}
	cancel()
	<-done
	f.mu.Lock()
	got.indexes, got.waits = f.indexes, f.waits
	f.mu.Unlock()
	return got
}

// pair is the JSON reply of GET /v1/kv/k holding value v (base64).
func pair(v string) string {
	return `[{"Key":"k","Value":"` + v + `","CreateIndex":1,"ModifyIndex":1}]`
}

// pairJSON is how the watch hands over pair(v).
func pairJSON(v string) string {
	return `{"LockIndex":0,"Key":"k","Flags":0,"Value":"` + v + `","CreateIndex":1,"ModifyIndex":1}`
}

// event is an event as /v1/event/list lists it, and as the watch hands it
// over.
func event(id string) string {
	return `{"ID":"` + id + `","Name":"deploy","Payload":null,"NodeFilter":"","ServiceFilter":"","TagFilter":"","Version":1,"LTime":0}`
}

func TestRunHandlesChangesOnly(t *testing.T) {
	key := Params{Type: "key", Key: "k"}
	tests := []struct {
		name        string
		params      Params
		script      []step
		wantHandled []string
		wantIndexes []string // ?index of every query, the parked one included
		wantErr     string   // a substring of the errors; empty means none at all
	}{
		{
			name:   "timeout and unrelated bump are not changes",
			params: key,
			script: []step{
				{index: 5, body: pair("YQ==")},
				{index: 5, body: pair("YQ==")}, // the wait timed out
				{index: 7, body: pair("YQ==")}, // another key changed
				{index: 8, body: pair("Yg==")},
			},
			wantHandled: []string{pairJSON("YQ=="), pairJSON("Yg==")},
			wantIndexes: []string{"", "5", "5", "7", "8"},
		},
		{
			name:   "missing key is null, then appears",
			params: key,
			script: []step{
				{status: http.StatusNotFound, index: 3},
				{status: http.StatusNotFound, index: 3},
				{index: 4, body: pair("YQ==")},
			},
			wantHandled: []string{"null", pairJSON("YQ==")},
			wantIndexes: []string{"", "3", "3", "4"},
		},
		{
			name:   "index going backwards starts over",
			params: key,
			script: []step{
				{index: 10, body: pair("YQ==")},
				{index: 3, body: pair("YQ==")}, // restored snapshot, same data
				{index: 4, body: pair("Yg==")},
			},
			wantHandled: []string{pairJSON("YQ=="), pairJSON("Yg==")},
			wantIndexes: []string{"", "10", "", "4"},
		},
		{
			name:   "agent errors are retried",
			params: key,
			script: []step{
				{status: http.StatusInternalServerError, body: "no leader"},
				{status: http.StatusInternalServerError, body: "no leader"},
				{index: 2, body: pair("YQ==")},
			},
			wantHandled: []string{pairJSON("YQ==")},
			wantIndexes: []string{"", "", "", "2"},
			wantErr:     "cannot query the agent: Unexpected response code: 500 (no leader) (retrying in 1ms)",
		},
		{
			// Event indexes are hashes: a smaller one is simply the next
			// event, and each event is handed over once, alone.
			name:   "events: only the new ones, unordered index",
			params: Params{Type: "event", Name: "deploy"},
			script: []step{
				{index: 1, body: `[]`},
				{index: 900, body: "[" + event("a") + "]"},
				{index: 900, body: "[" + event("a") + "]"}, // timed out
				{index: 40, body: "[" + event("a") + "," + event("b") + "]"},
				{index: 77, body: "[" + event("a") + "," + event("b") + "," + event("c") + "," + event("d") + "]"},
			},
			wantHandled: []string{"[]", "[" + event("a") + "]", "[" + event("b") + "]", "[" + event("c") + "," + event("d") + "]"},
			wantIndexes: []string{"", "1", "900", "900", "40", "77"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := runFake(t, tc.params, tc.script)
			if strings.Join(got.handled, "\n") != strings.Join(tc.wantHandled, "\n") {
				t.Errorf("handled = %q, want %q", got.handled, tc.wantHandled)
			}
			if strings.Join(got.indexes, ",") != strings.Join(tc.wantIndexes, ",") {
				t.Errorf("query indexes = %q, want %q", got.indexes, tc.wantIndexes)
			}
			for i, idx := range got.indexes {
				if wantWait := idx != ""; (got.waits[i] != "") != wantWait {
					t.Errorf("query %d: index %q with wait %q; want a wait exactly when blocking", i, idx, got.waits[i])
				}
			}
			errs := strings.Join(got.errs, "\n")
			if tc.wantErr == "" && errs != "" || !strings.Contains(errs, tc.wantErr) {
				t.Errorf("errors = %q, want them to contain %q", errs, tc.wantErr)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		params  Params
		wantErr string
	}{
		{"no type", Params{}, "watch type is required"},
		{"unknown type", Params{Type: "keys"}, `unknown watch type "keys"`},
		{"key without key", Params{Type: "key"}, `watch type "key" requires key`},
		{"service without service", Params{Type: "service"}, `watch type "service" requires service`},
		{"parameter of another type", Params{Type: "key", Key: "k", Tags: []string{"v1"}}, `tag cannot be used with watch type "key"`},
		{"event with key", Params{Type: "event", Key: "k"}, `key cannot be used with watch type "event"`},
		{"stale event", Params{Type: "event", Stale: true}, `stale cannot be used with watch type "event"`},
		{"checks by service and state", Params{Type: "checks", Service: "web", State: "passing"}, "takes service or state, not both"},
		{"bad state", Params{Type: "checks", State: "ok"}, `invalid state "ok"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.params)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Parse(%+v) = %v, want an error containing %q", tc.params, err, tc.wantErr)
			}
		})
	}
	for typ := range Types {
		p := Params{Type: typ, Key: "k", Service: "web"}
		switch typ {
		case "key":
			p.Service = ""
		case "service", "checks":
			p.Key = ""
		default:
			p.Key, p.Service = "", ""
		}
		if _, err := Parse(p); err != nil {
			t.Errorf("Parse(%+v) = %v, want it accepted", p, err)
		}
	}
}

func TestScriptHandler(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	s := &Script{Args: []string{"cat >> '" + out + "';", `echo "index=$CONSUL_INDEX" >> '` + out + "'"}, Shell: true}
	if err := s.Handle(context.Background(), 7, []byte("{\"a\":1}\n")); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\"a\":1}\nindex=7\n"; string(got) != want {
		t.Errorf("handler wrote %q, want %q", got, want)
	}

	// Without a shell the arguments are passed as they are.
	var buf strings.Builder
	s = &Script{Args: []string{"printf", "%s|", "a b", "$HOME"}, Stdout: &buf}
	if err := s.Handle(context.Background(), 1, nil); err != nil || buf.String() != "a b|$HOME|" {
		t.Errorf("printf handler = %v, output %q; want a b|$HOME|", err, buf.String())
	}

	err = (&Script{Args: []string{"exit 3"}, Shell: true}).Handle(context.Background(), 1, []byte("null\n"))
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 || err.Error() != "handler failed: exit status 3" {
		t.Errorf("failing handler = %v, want handler failed: exit status 3", err)
	}
}

func TestScriptHandlerStopped(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	started := filepath.Join(t.TempDir(), "started")
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		done <- (&Script{Args: []string{"touch '" + started + "'; sleep 60"}, Shell: true}).Handle(ctx, 1, nil)
	}()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(started); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("handler did not start")
		}
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("stopped handler = %v, want context.Canceled", err)
		}
		if time.Since(start) > 10*time.Second {
			t.Errorf("stopping the handler took %v", time.Since(start))
		}
	case <-time.After(15 * time.Second):
		t.Fatal("handler still running after the watch stopped")
	}
}

func TestHTTPHandler(t *testing.T) {
	type request struct {
		method, contentType, index, custom, body string
	}
	got := make(chan request, 4)
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- request{r.Method, r.Header.Get("Content-Type"), r.Header.Get("X-Consul-Index"),
			strings.Join(r.Header.Values("X-Foo"), ","), string(body)}
		w.WriteHeader(status)
		fmt.Fprint(w, "nope")
	}))
	defer srv.Close()

	h := HTTP(HTTPConfig{Path: srv.URL + "/hook", Header: map[string][]string{"X-Foo": {"bar", "baz"}}})
	if err := h(context.Background(), 42, []byte("{\"a\":1}\n")); err != nil {
		t.Fatal(err)
	}
	want := request{"POST", "application/json", "42", "bar,baz", "{\"a\":1}\n"}
	if r := <-got; r != want {
		t.Errorf("request = %+v, want %+v", r, want)
	}

	status = http.StatusInternalServerError
	h = HTTP(HTTPConfig{Path: srv.URL, Method: "PUT"})
	err := h(context.Background(), 1, []byte("[]\n"))
	if r := <-got; r.method != "PUT" {
		t.Errorf("method = %q, want PUT", r.method)
	}
	if err == nil || !strings.Contains(err.Error(), "500 Internal Server Error nope") {
		t.Errorf("handler on a 500 = %v, want an error with the status and body", err)
	}

	// The timeout bounds the whole request.
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer slow.Close()
	start := time.Now()
	err = HTTP(HTTPConfig{Path: slow.URL, Timeout: 200 * time.Millisecond})(context.Background(), 1, nil)
	if err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("slow endpoint = %v after %v, want a timeout after 200ms", err, time.Since(start))
	}
}
