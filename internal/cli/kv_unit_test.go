package cli

// These are unit tests of `concord kv`'s argument parsing and output, run
// against fakeKV, a map behind the few /v1/kv routes the commands use. The
// fake follows Consul's semantics only as far as these tests need; end-to-end
// tests against the real server live elsewhere.

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/concordhq/concord/api"
)

// fakeKV is an in-memory stand-in for an agent's /v1/kv endpoint.
type fakeKV struct {
	mu       sync.Mutex
	index    uint64                // guarded by mu; the last write's index
	pairs    map[string]api.KVPair // guarded by mu
	requests []*http.Request       // guarded by mu; every request seen
	fail     int                   // when non-zero, every request gets this status
}

// newFakeKV starts a fakeKV holding seed, written in order (so the first
// pair has ModifyIndex 1), and returns it with its address.
func newFakeKV(t *testing.T, seed ...api.KVPair) (*fakeKV, string) {
	t.Helper()
	f := &fakeKV{pairs: map[string]api.KVPair{}}
	for _, p := range seed {
		f.index++
		p.CreateIndex, p.ModifyIndex = f.index, f.index
		f.pairs[p.Key] = p
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func (f *fakeKV) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r)
	if f.fail != 0 {
		http.Error(w, "fake failure", f.fail)
		return
	}
	key, ok := strings.CutPrefix(r.URL.Path, "/v1/kv/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	w.Header().Set("X-Consul-Index", strconv.FormatUint(max(f.index, 1), 10))
	switch r.Method {
	case http.MethodGet:
		f.getLocked(w, key, q)
	case http.MethodPut:
		body, _ := io.ReadAll(r.Body)
		writeJSON(w, f.putLocked(key, body, q))
	case http.MethodDelete:
		writeJSON(w, f.deleteLocked(key, q))
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// sortedKeysLocked returns the stored keys that start with prefix, sorted.
func (f *fakeKV) sortedKeysLocked(prefix string) []string {
	var keys []string
	for k := range f.pairs {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

func (f *fakeKV) getLocked(w http.ResponseWriter, key string, q map[string][]string) {
	keys := f.sortedKeysLocked(key)
	switch {
	case has(q, "keys"):
		sep := first(q, "separator")
		var out []string
		for _, k := range keys {
			if i := strings.Index(k[len(key):], sep); sep != "" && i >= 0 {
				k = k[:len(key)+i+len(sep)]
			}
			if len(out) == 0 || out[len(out)-1] != k {
				out = append(out, k)
			}
		}
		if len(out) == 0 && key != "" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		writeJSON(w, append([]string{}, out...))
	case has(q, "recurse"):
		if len(keys) == 0 {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		out := make([]api.KVPair, len(keys))
		for i, k := range keys {
			out[i] = f.pairs[k]
		}
		writeJSON(w, out)
	default:
		p, ok := f.pairs[key]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		writeJSON(w, []api.KVPair{p})
	}
}

// putLocked applies a PUT and returns the answer: false when a cas, acquire
// or release condition fails. Sessions are not checked to exist.
func (f *fakeKV) putLocked(key string, value []byte, q map[string][]string) bool {
	old, exists := f.pairs[key]
	p := old
	if !exists {
		p = api.KVPair{Key: key, CreateIndex: f.index + 1}
	}
	if len(value) == 0 {
		value = nil // Consul stores an empty value as null
	}
	p.Value = value
	p.Flags, _ = strconv.ParseUint(first(q, "flags"), 10, 64)
	switch {
	case has(q, "cas"):
		idx, _ := strconv.ParseUint(first(q, "cas"), 10, 64)
		if (idx == 0 && exists) || (idx != 0 && (!exists || old.ModifyIndex != idx)) {
			return false
		}
	case has(q, "acquire"):
		s := first(q, "acquire")
		if p.Session != "" && p.Session != s {
			return false
		}
		if p.Session == "" {
			p.Session = s
			p.LockIndex++
		}
	case has(q, "release"):
		if p.Session != first(q, "release") {
			return false
		}
		p.Session = ""
	}
	f.index++
	p.ModifyIndex = f.index
	f.pairs[key] = p
	return true
}

func (f *fakeKV) deleteLocked(key string, q map[string][]string) bool {
	switch {
	case has(q, "recurse"):
		for _, k := range f.sortedKeysLocked(key) {
			delete(f.pairs, k)
		}
	case has(q, "cas"):
		idx, _ := strconv.ParseUint(first(q, "cas"), 10, 64)
		if p, ok := f.pairs[key]; !ok || p.ModifyIndex != idx {
			return false
		}
		delete(f.pairs, key)
	default:
		delete(f.pairs, key)
	}
	f.index++
	return true
}

// snapshot returns the stored pairs by key, for comparing after a command.
func (f *fakeKV) snapshot() map[string]api.KVPair {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := make(map[string]api.KVPair, len(f.pairs))
	for k, p := range f.pairs {
		m[k] = p
	}
	return m
}

// lastRequest returns the last request the fake saw, or nil.
func (f *fakeKV) lastRequest() *http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) == 0 {
		return nil
	}
	return f.requests[len(f.requests)-1]
}

func has(q map[string][]string, name string) bool { _, ok := q[name]; return ok }

func first(q map[string][]string, name string) string {
	if v := q[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	b, _ := json.Marshal(v)
	w.Write(b)
}

// kvArgs is the command line of `concord kv sub` against addr, followed by args.
func kvArgs(addr, sub string, args ...string) []string {
	return append([]string{"kv", sub, "-http-addr=" + addr}, args...)
}

// cliCase is one run of a `concord kv` subcommand against a fresh fakeKV.
type cliCase struct {
	name     string
	args     []string // after "-http-addr"; "$DIR" is a directory holding testFiles
	stdin    string
	fail     int // when non-zero, the fake answers every request with this status
	wantCode int
	wantOut  string                        // exact, or a prefix when it ends in "..."
	wantErr  string                        // exact, or a prefix when it ends in "..."
	check    func(t *testing.T, f *fakeKV) // optional: inspect the store afterwards
}

// testFiles are written to $DIR for each case.
var testFiles = map[string]string{
	"value.txt": "from a file\n",
	"dump.json": `[{"key":"f/1","flags":3,"value":"b25l"}]`,
}

// runCases runs each case as `concord kv sub -http-addr=... args...`.
func runCases(t *testing.T, sub string, seed []api.KVPair, tests []cliCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, addr := newFakeKV(t, seed...)
			f.fail = tt.fail
			dir := t.TempDir()
			for name, content := range testFiles {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				args[i] = strings.ReplaceAll(a, "$DIR", dir)
			}
			checkRun(t, "kv "+sub+" "+strings.Join(tt.args, " "), tt.stdin, kvArgs(addr, sub, args...),
				outcome{tt.wantCode, tt.wantOut, tt.wantErr})
			if tt.check != nil {
				tt.check(t, f)
			}
		})
	}
}

// wantPair returns a check that key holds value, flags and session.
func wantPair(key, value string, flags uint64, session string) func(*testing.T, *fakeKV) {
	return func(t *testing.T, f *fakeKV) {
		t.Helper()
		p, ok := f.snapshot()[key]
		if !ok {
			t.Fatalf("after the command, key %q does not exist", key)
		}
		if string(p.Value) != value || p.Flags != flags || p.Session != session {
			t.Errorf("after the command, %q = {Value: %q, Flags: %d, Session: %q}, want {%q, %d, %q}",
				key, p.Value, p.Flags, p.Session, value, flags, session)
		}
	}
}

// wantKeys returns a check that the store holds exactly keys.
func wantKeys(keys ...string) func(*testing.T, *fakeKV) {
	return func(t *testing.T, f *fakeKV) {
		t.Helper()
		var got []string
		for k := range f.snapshot() {
			got = append(got, k)
		}
		sort.Strings(got)
		if strings.Join(got, " ") != strings.Join(keys, " ") {
			t.Errorf("after the command, keys = %q, want %q", got, keys)
		}
	}
}
