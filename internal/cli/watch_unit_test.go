package cli

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
)

// watchStep is one scripted reply of fakeBlocking.
type watchStep struct {
	status int    // 0 means 200
	index  uint64 // X-Consul-Index
	body   string
}

// fakeBlocking is an agent that answers GET /v1/kv/k with a script of
// replies, records the ?index of each query, and once the script is done
// holds the next query until the client gives up.
type fakeBlocking struct {
	script []watchStep
	parked chan struct{} // closed when a query arrives after the script

	mu      sync.Mutex
	indexes []string // ?index of each query, guarded by mu
	waits   []string // ?wait of each query, guarded by mu
}

func (f *fakeBlocking) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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

// watchRun is what one watcher run against a fakeBlocking did.
type watchRun struct {
	emits   []string // the JSON of each change, in order
	indexes []string // ?index of each query
	waits   []string // ?wait of each query
	stderr  string
}

// runFakeWatch runs a key watch on "k" against script until the watcher
// parks on the query after it, then stops it.
func runFakeWatch(t *testing.T, script []watchStep) watchRun {
	t.Helper()
	f := &fakeBlocking{script: script, parked: make(chan struct{})}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c, err := api.NewClient(&api.Config{Address: srv.Listener.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c = c.WithContext(ctx)

	var run watchRun
	var stderr bytes.Buffer
	w := &watcher{
		fetch: func(q *api.QueryOptions) (any, *api.QueryMeta, error) {
			return c.KV().Get("k", q)
		},
		wait:     time.Second,
		retryMin: time.Millisecond,
		retryMax: 4 * time.Millisecond,
		stderr:   &stderr,
		emit: func(data []byte, _ uint64) {
			run.emits = append(run.emits, strings.TrimSpace(string(data)))
		},
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.run(ctx)
	}()
	select {
	case <-f.parked:
	case <-time.After(10 * time.Second):
		t.Fatal("watcher did not reach the end of the script")
	}
	cancel()
	<-done
	f.mu.Lock()
	run.indexes, run.waits = f.indexes, f.waits
	f.mu.Unlock()
	run.stderr = stderr.String()
	return run
}

// pair is the JSON reply of GET /v1/kv/k holding value v (base64).
func pair(v string) string {
	return `[{"Key":"k","Value":"` + v + `","CreateIndex":1,"ModifyIndex":1}]`
}

// pairJSON is how the watch reports pair(v).
func pairJSON(v string) string {
	return `{"LockIndex":0,"Key":"k","Flags":0,"Value":"` + v + `","CreateIndex":1,"ModifyIndex":1}`
}

func TestWatcherChanges(t *testing.T) {
	tests := []struct {
		name        string
		script      []watchStep
		wantEmits   []string
		wantIndexes []string // ?index of every query, the parked one included
		wantErr     string   // a substring of stderr; empty means none at all
	}{
		{
			name: "timeout and unrelated bump do not emit",
			script: []watchStep{
				{index: 5, body: pair("YQ==")},
				{index: 5, body: pair("YQ==")}, // the wait timed out
				{index: 7, body: pair("YQ==")}, // another key changed
				{index: 8, body: pair("Yg==")},
			},
			wantEmits:   []string{pairJSON("YQ=="), pairJSON("Yg==")},
			wantIndexes: []string{"", "5", "5", "7", "8"},
		},
		{
			name: "missing key is null, then appears",
			script: []watchStep{
				{status: http.StatusNotFound, index: 3},
				{status: http.StatusNotFound, index: 3},
				{index: 4, body: pair("YQ==")},
			},
			wantEmits:   []string{"null", pairJSON("YQ==")},
			wantIndexes: []string{"", "3", "3", "4"},
		},
		{
			name: "index going backwards resets to 0",
			script: []watchStep{
				{index: 10, body: pair("YQ==")},
				{index: 3, body: pair("YQ==")}, // restored snapshot, same data
				{index: 4, body: pair("Yg==")},
			},
			wantEmits:   []string{pairJSON("YQ=="), pairJSON("Yg==")},
			wantIndexes: []string{"", "10", "", "4"},
		},
		{
			name: "agent errors are retried",
			script: []watchStep{
				{status: http.StatusInternalServerError, body: "no leader"},
				{status: http.StatusInternalServerError, body: "no leader"},
				{index: 2, body: pair("YQ==")},
			},
			wantEmits:   []string{pairJSON("YQ==")},
			wantIndexes: []string{"", "", "", "2"},
			wantErr:     "Error querying agent: Unexpected response code: 500 (no leader) (retrying in 1ms)",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := runFakeWatch(t, tc.script)
			if strings.Join(got.emits, "\n") != strings.Join(tc.wantEmits, "\n") {
				t.Errorf("emits = %q, want %q", got.emits, tc.wantEmits)
			}
			if strings.Join(got.indexes, ",") != strings.Join(tc.wantIndexes, ",") {
				t.Errorf("query indexes = %q, want %q", got.indexes, tc.wantIndexes)
			}
			for i, idx := range got.indexes {
				if wantWait := idx != ""; (got.waits[i] != "") != wantWait {
					t.Errorf("query %d: index %q with wait %q; want a wait exactly when blocking", i, idx, got.waits[i])
				}
			}
			if tc.wantErr == "" && got.stderr != "" || !strings.Contains(got.stderr, tc.wantErr) {
				t.Errorf("stderr = %q, want it to contain %q", got.stderr, tc.wantErr)
			}
		})
	}
}

func TestWatchUsageErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no type", nil, "Error! -type is required"},
		{"event", []string{"-type=event"}, `Error! watch type "event" is not supported yet: Concord has no user events`},
		{"unknown type", []string{"-type=keys"}, `Error! unknown watch type "keys"`},
		{"key without -key", []string{"-type=key"}, "Error! -type=key requires -key"},
		{"keyprefix without -prefix", []string{"-type=keyprefix"}, "Error! -type=keyprefix requires -prefix"},
		{"service without -service", []string{"-type=service"}, "Error! -type=service requires -service"},
		{"option of another type", []string{"-type=key", "-key=k", "-tag=v1"}, "Error! -tag cannot be used with -type=key"},
		{"checks by service and state", []string{"-type=checks", "-service=web", "-state=passing"}, "Error! -type=checks takes -service or -state, not both"},
		{"bad state", []string{"-type=checks", "-state=ok"}, `Error! invalid -state "ok"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"watch", "-http-addr=127.0.0.1:1"}, tc.args...)
			code := Main(context.Background(), args, &stdout, &stderr)
			if code != 1 || stdout.Len() != 0 || !strings.HasPrefix(stderr.String(), tc.wantErr) {
				t.Errorf("concord watch %v = exit %d, stdout %q, stderr %q; want exit 1, stderr starting %q",
					tc.args, code, stdout.String(), stderr.String(), tc.wantErr)
			}
		})
	}
}

func TestWatchHandler(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	var stdout, stderr bytes.Buffer
	emit := handlerChange(context.Background(), []string{"cat >> '" + out + "';", `echo "index=$CONSUL_INDEX" >> '` + out + "'"}, &stdout, &stderr)
	emit([]byte("{\"a\":1}\n"), 7)
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\"a\":1}\nindex=7\n"; string(got) != want {
		t.Errorf("handler wrote %q, want %q", got, want)
	}

	failing := handlerChange(context.Background(), []string{"exit 3"}, &stdout, &stderr)
	failing([]byte("null\n"), 1)
	if want := "Error running handler: exit status 3\n"; stderr.String() != want {
		t.Errorf("stderr after a failing handler = %q, want %q", stderr.String(), want)
	}
}

func TestPrintChange(t *testing.T) {
	var stdout bytes.Buffer
	printChange(&stdout)([]byte("{\"a\":[1]}\n"), 1)
	if want := "{\n    \"a\": [\n        1\n    ]\n}\n"; stdout.String() != want {
		t.Errorf("printed %q, want %q", stdout.String(), want)
	}
}
