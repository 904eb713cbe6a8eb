package httpapi_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"

	consulapi "github.com/hashicorp/consul/api"

	"github.com/concordhq/concord/internal/testutil"
)

// semaphoreFlags is the Consul client's semaphore flag value; it exceeds
// 2^63, so it only survives as a true uint64.
const semaphoreFlags uint64 = 16210313421097356768

func TestKVPutGetRoundTrip(t *testing.T) {
	t.Parallel()
	_, c := startDevAgent(t)
	tests := []struct {
		name  string
		key   string
		value []byte
		flags uint64
	}{
		{"plain", "plain", []byte("hello"), 0},
		{"small flags", "flags/small", []byte("v"), 42},
		{"lock flags", "flags/lock", []byte("v"), 3304740253564472344},
		{"semaphore flags above 2^63", "flags/semaphore", []byte("v"), semaphoreFlags},
		{"max flags", "flags/max", []byte("v"), ^uint64(0)},
		{"binary value", "binary", []byte{0, 1, 2, 0xff, 0xfe, '\n', 0}, 0},
		{"nested key", "a/b/c/d", []byte("deep"), 0},
		{"key with space and percent", "sp ace/100%/x", []byte("odd"), 0},
		{"key with query characters", "q?x=1&y#z", []byte("odd"), 0},
		{"unicode key", "ключ/日本", []byte("юникод"), 0},
		{"json-looking key", "config.json", []byte(`{"a":1}`), 0},
		{"long key", strings.Repeat("long/", 800) + "end", []byte("far"), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := c.KV().Put(&consulapi.KVPair{Key: tt.key, Value: tt.value, Flags: tt.flags}, nil); err != nil {
				t.Fatalf("Put(%q): %v", tt.key, err)
			}
			p := mustGet(t, c, tt.key)
			if p == nil {
				t.Fatalf("Get(%q) = nil, want a pair", tt.key)
			}
			if p.Key != tt.key {
				t.Errorf("Get(%q).Key = %q, want %q", tt.key, p.Key, tt.key)
			}
			if !bytes.Equal(p.Value, tt.value) {
				t.Errorf("Get(%q).Value = %q, want %q", tt.key, p.Value, tt.value)
			}
			if p.Flags != tt.flags {
				t.Errorf("Get(%q).Flags = %d, want %d", tt.key, p.Flags, tt.flags)
			}
			if p.LockIndex != 0 || p.Session != "" {
				t.Errorf("Get(%q) lock = (%d, %q), want (0, \"\")", tt.key, p.LockIndex, p.Session)
			}
			if p.CreateIndex == 0 || p.ModifyIndex != p.CreateIndex {
				t.Errorf("Get(%q) indexes = (create %d, modify %d), want equal and non-zero", tt.key, p.CreateIndex, p.ModifyIndex)
			}
		})
	}
}

// TestKVFlagsWireExact checks that a flag above 2^53 travels as an exact
// integer in the JSON, not as a float.
func TestKVFlagsWireExact(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	if _, err := c.KV().Put(&consulapi.KVPair{Key: "f", Flags: semaphoreFlags}, nil); err != nil {
		t.Fatalf("Put(f): %v", err)
	}
	r := doRaw(t, ta.HTTPAddr(), "GET", "/v1/kv/f", nil)
	wantStatus(t, "GET /v1/kv/f", r, 200)
	want := strconv.FormatUint(semaphoreFlags, 10)
	if !bytes.Contains(r.Body, []byte(want)) {
		t.Errorf("GET /v1/kv/f = %s, want it to hold Flags %s verbatim", r.Body, want)
	}
}

func TestKVFlagsResetWhenOmitted(t *testing.T) {
	t.Parallel()
	_, c := startDevAgent(t)
	if _, err := c.KV().Put(&consulapi.KVPair{Key: "k", Value: []byte("1"), Flags: semaphoreFlags}, nil); err != nil {
		t.Fatalf("Put(k, flags): %v", err)
	}
	if got := mustGet(t, c, "k").Flags; got != semaphoreFlags {
		t.Fatalf("Get(k).Flags = %d, want %d", got, semaphoreFlags)
	}
	// The client leaves ?flags out when Flags is 0.
	mustPut(t, c, "k", "2")
	if got := mustGet(t, c, "k").Flags; got != 0 {
		t.Errorf("after a Put without flags, Get(k).Flags = %d, want 0", got)
	}
}

func TestKVIndexesAcrossUpdates(t *testing.T) {
	t.Parallel()
	_, c := startDevAgent(t)
	mustPut(t, c, "k", "v0")
	first := mustGet(t, c, "k")
	prevModify := first.ModifyIndex
	for i := 1; i <= 3; i++ {
		mustPut(t, c, "unrelated", "x") // other writes move the index too
		mustPut(t, c, "k", "v"+strconv.Itoa(i))
		p, meta, err := c.KV().Get("k", nil)
		if err != nil || p == nil {
			t.Fatalf("Get(k) after update %d = %v, %v", i, p, err)
		}
		if p.CreateIndex != first.CreateIndex {
			t.Errorf("update %d: CreateIndex = %d, want %d (unchanged)", i, p.CreateIndex, first.CreateIndex)
		}
		if p.ModifyIndex <= prevModify {
			t.Errorf("update %d: ModifyIndex = %d, want > %d", i, p.ModifyIndex, prevModify)
		}
		if meta.LastIndex != p.ModifyIndex {
			t.Errorf("update %d: LastIndex = %d, want the key's ModifyIndex %d", i, meta.LastIndex, p.ModifyIndex)
		}
		prevModify = p.ModifyIndex
	}
}

func TestKVGetMissing(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	p, meta, err := c.KV().Get("nope", nil)
	if err != nil || p != nil {
		t.Fatalf("Get(nope) = %v, %v; want nil, nil", p, err)
	}
	if meta.LastIndex < 1 {
		t.Errorf("Get(nope) LastIndex = %d, want >= 1", meta.LastIndex)
	}

	mustPut(t, c, "other", "x")
	for _, path := range []string{"/v1/kv/nope", "/v1/kv/nope?raw", "/v1/kv/nope/?recurse", "/v1/kv/nope?keys"} {
		r := doRaw(t, ta.HTTPAddr(), "GET", path, nil)
		wantStatus(t, "GET "+path, r, 404)
		if len(r.Body) != 0 {
			t.Errorf("GET %s body = %q, want empty", path, r.Body)
		}
		idx, err := strconv.ParseUint(r.Header.Get("X-Consul-Index"), 10, 64)
		if err != nil || idx < 1 {
			t.Errorf("GET %s X-Consul-Index = %q, want a number >= 1", path, r.Header.Get("X-Consul-Index"))
		}
		if got := r.Header.Get("X-Consul-KnownLeader"); got != "true" {
			t.Errorf("GET %s X-Consul-KnownLeader = %q, want %q", path, got, "true")
		}
	}
}

func TestKVListRecurse(t *testing.T) {
	t.Parallel()
	_, c := startDevAgent(t)
	keys := []string{"app/z", "app/a/2", "app", "app/a/1", "apple", "app/m", "other/x"}
	for _, k := range keys {
		mustPut(t, c, k, "v-"+k)
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"app/", []string{"app/a/1", "app/a/2", "app/m", "app/z"}},
		{"app", []string{"app", "app/a/1", "app/a/2", "app/m", "app/z", "apple"}},
		{"app/a/", []string{"app/a/1", "app/a/2"}},
		{"", []string{"app", "app/a/1", "app/a/2", "app/m", "app/z", "apple", "other/x"}},
		{"missing/", nil},
	}
	for _, tt := range tests {
		t.Run("prefix="+tt.prefix, func(t *testing.T) {
			pairs, meta, err := c.KV().List(tt.prefix, nil)
			if err != nil {
				t.Fatalf("List(%q): %v", tt.prefix, err)
			}
			var got []string
			var maxIdx uint64
			for _, p := range pairs {
				got = append(got, p.Key)
				maxIdx = max(maxIdx, p.ModifyIndex)
				if string(p.Value) != "v-"+p.Key {
					t.Errorf("List(%q): %s = %q, want %q", tt.prefix, p.Key, p.Value, "v-"+p.Key)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("List(%q) keys = %q, want %q", tt.prefix, got, tt.want)
			}
			if len(pairs) > 0 && meta.LastIndex != maxIdx {
				t.Errorf("List(%q) LastIndex = %d, want the highest ModifyIndex %d", tt.prefix, meta.LastIndex, maxIdx)
			}
		})
	}
}

func TestKVKeys(t *testing.T) {
	t.Parallel()
	_, c := startDevAgent(t)
	for _, k := range []string{"a/b/c", "a/b/d", "a/e", "a", "b", "c/", "c/x", "d-e/f", "d/f"} {
		mustPut(t, c, k, "v")
	}
	tests := []struct {
		prefix, sep string
		want        []string
	}{
		{"", "", []string{"a", "a/b/c", "a/b/d", "a/e", "b", "c/", "c/x", "d-e/f", "d/f"}},
		{"", "/", []string{"a", "a/", "b", "c/", "d-e/", "d/"}},
		{"a/", "/", []string{"a/b/", "a/e"}},
		{"a/", "", []string{"a/b/c", "a/b/d", "a/e"}},
		{"a/b/", "/", []string{"a/b/c", "a/b/d"}},
		{"c/", "/", []string{"c/", "c/x"}},
		{"", "-", []string{"a", "a/b/c", "a/b/d", "a/e", "b", "c/", "c/x", "d-", "d/f"}},
	}
	for _, tt := range tests {
		t.Run("prefix="+tt.prefix+",sep="+tt.sep, func(t *testing.T) {
			got, _, err := c.KV().Keys(tt.prefix, tt.sep, nil)
			if err != nil {
				t.Fatalf("Keys(%q, %q): %v", tt.prefix, tt.sep, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Keys(%q, %q) = %q, want %q", tt.prefix, tt.sep, got, tt.want)
			}
		})
	}
}

func TestKVKeysEmpty(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)

	r := doRaw(t, ta.HTTPAddr(), "GET", "/v1/kv/?keys", nil)
	wantStatus(t, "GET /v1/kv/?keys on an empty store", r, 200)
	if got := strings.TrimSpace(string(r.Body)); got != "[]" {
		t.Errorf("GET /v1/kv/?keys on an empty store = %q, want []", got)
	}
	if got := r.Header.Get("X-Consul-Index"); got == "" || got == "0" {
		t.Errorf("GET /v1/kv/?keys X-Consul-Index = %q, want >= 1", got)
	}
	keys, _, err := c.KV().Keys("", "", nil)
	if err != nil || keys == nil || len(keys) != 0 {
		t.Errorf("Keys(\"\") on an empty store = %q (nil %v), %v; want [], nil", keys, keys == nil, err)
	}

	mustPut(t, c, "present/x", "v")
	r = doRaw(t, ta.HTTPAddr(), "GET", "/v1/kv/missing/?keys", nil)
	wantStatus(t, "GET /v1/kv/missing/?keys", r, 404)
	r = doRaw(t, ta.HTTPAddr(), "GET", "/v1/kv/missing/?keys&separator=/", nil)
	wantStatus(t, "GET /v1/kv/missing/?keys&separator=/", r, 404)
	// The old misspelling still works.
	r = doRaw(t, ta.HTTPAddr(), "GET", "/v1/kv/?keys&seperator=/", nil)
	wantStatus(t, "GET /v1/kv/?keys&seperator=/", r, 200)
	var got []string
	decodeJSON(t, "GET /v1/kv/?keys&seperator=/", r.Body, &got)
	if want := []string{"present/"}; !reflect.DeepEqual(got, want) {
		t.Errorf("GET /v1/kv/?keys&seperator=/ = %q, want %q", got, want)
	}
}

func TestKVRaw(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	value := []byte("<html>\x00\xff raw bytes</html>")
	if _, err := c.KV().Put(&consulapi.KVPair{Key: "r", Value: value}, nil); err != nil {
		t.Fatalf("Put(r): %v", err)
	}
	r := doRaw(t, ta.HTTPAddr(), "GET", "/v1/kv/r?raw", nil)
	wantStatus(t, "GET /v1/kv/r?raw", r, 200)
	if !bytes.Equal(r.Body, value) {
		t.Errorf("GET /v1/kv/r?raw = %q, want %q", r.Body, value)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("GET /v1/kv/r?raw Content-Type = %q, want text/plain", ct)
	}
	if got := r.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("GET /v1/kv/r?raw X-Content-Type-Options = %q, want nosniff", got)
	}
	if got := r.Header.Get("X-Consul-Index"); got == "" {
		t.Errorf("GET /v1/kv/r?raw has no X-Consul-Index")
	}

	mustPut(t, c, "empty", "")
	r = doRaw(t, ta.HTTPAddr(), "GET", "/v1/kv/empty?raw", nil)
	wantStatus(t, "GET /v1/kv/empty?raw", r, 200)
	if len(r.Body) != 0 {
		t.Errorf("GET /v1/kv/empty?raw = %q, want empty", r.Body)
	}
}

// kvFields decodes a GET /v1/kv reply of one pair into its raw fields.
func kvFields(t *testing.T, addr, key string) map[string]json.RawMessage {
	t.Helper()
	r := doRaw(t, addr, "GET", "/v1/kv/"+key, nil)
	wantStatus(t, "GET /v1/kv/"+key, r, 200)
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("GET /v1/kv/%s Content-Type = %q, want application/json", key, ct)
	}
	var pairs []map[string]json.RawMessage
	decodeJSON(t, "GET /v1/kv/"+key, r.Body, &pairs)
	if len(pairs) != 1 {
		t.Fatalf("GET /v1/kv/%s = %d pairs, want 1", key, len(pairs))
	}
	return pairs[0]
}

func TestKVWireShape(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	mustPut(t, c, "empty", "")
	mustPut(t, c, "full", "hello")

	t.Run("empty value is null", func(t *testing.T) {
		f := kvFields(t, ta.HTTPAddr(), "empty")
		if got := string(f["Value"]); got != "null" {
			t.Errorf(`GET /v1/kv/empty "Value" = %s, want null`, got)
		}
	})
	t.Run("value is base64", func(t *testing.T) {
		f := kvFields(t, ta.HTTPAddr(), "full")
		if got, want := string(f["Value"]), `"aGVsbG8="`; got != want {
			t.Errorf(`GET /v1/kv/full "Value" = %s, want %s`, got, want)
		}
	})
	t.Run("unlocked key has no Session", func(t *testing.T) {
		f := kvFields(t, ta.HTTPAddr(), "full")
		if s, ok := f["Session"]; ok {
			t.Errorf(`GET /v1/kv/full has "Session": %s, want the field absent`, s)
		}
		var names []string
		for k := range f {
			names = append(names, k)
		}
		for _, want := range []string{"LockIndex", "Key", "Flags", "Value", "CreateIndex", "ModifyIndex"} {
			if _, ok := f[want]; !ok {
				t.Errorf("GET /v1/kv/full fields = %q, missing %q", names, want)
			}
		}
	})
}

// TestKVWireGolden checks the exact compact reply of a non-dev agent,
// field order included, against Consul's.
func TestKVWireGolden(t *testing.T) {
	t.Parallel()
	ta := testutil.StartAgent(t, t.TempDir(), nil)
	c := newConsulClient(t, ta.HTTPAddr(), nil)
	if _, err := c.KV().Put(&consulapi.KVPair{Key: "app/cfg", Value: []byte("hello"), Flags: 7}, nil); err != nil {
		t.Fatalf("Put(app/cfg): %v", err)
	}
	idx := mustGet(t, c, "app/cfg").ModifyIndex
	r := doRaw(t, ta.HTTPAddr(), "GET", "/v1/kv/app/cfg", nil)
	wantStatus(t, "GET /v1/kv/app/cfg", r, 200)
	want := `[{"LockIndex":0,"Key":"app/cfg","Flags":7,"Value":"aGVsbG8=","CreateIndex":` +
		strconv.FormatUint(idx, 10) + `,"ModifyIndex":` + strconv.FormatUint(idx, 10) + `}]`
	if got := string(r.Body); got != want {
		t.Errorf("GET /v1/kv/app/cfg = %s\nwant %s", got, want)
	}
	if got := r.Header.Get("X-Consul-Index"); got != strconv.FormatUint(idx, 10) {
		t.Errorf("GET /v1/kv/app/cfg X-Consul-Index = %q, want %d", got, idx)
	}
}

func TestKVPutReplyIsBareBool(t *testing.T) {
	t.Parallel()
	ta, _ := startDevAgent(t)
	tests := []struct {
		method, path string
		want         string
	}{
		{"PUT", "/v1/kv/b", "true"},
		{"PUT", "/v1/kv/b?cas=0", "false"},
		{"DELETE", "/v1/kv/b", "true"},
		{"PUT", "/v1/kv/b?cas=0", "true"},
	}
	for _, tt := range tests {
		r := doRaw(t, ta.HTTPAddr(), tt.method, tt.path, strings.NewReader("x"))
		wantStatus(t, tt.method+" "+tt.path, r, 200)
		if got := strings.TrimSpace(string(r.Body)); got != tt.want {
			t.Errorf("%s %s = %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}

func TestKVCAS(t *testing.T) {
	t.Parallel()
	_, c := startDevAgent(t)
	kv := c.KV()
	cas := func(key, value string, idx uint64) bool {
		t.Helper()
		ok, _, err := kv.CAS(&consulapi.KVPair{Key: key, Value: []byte(value), ModifyIndex: idx}, nil)
		if err != nil {
			t.Fatalf("CAS(%q, index %d): %v", key, idx, err)
		}
		return ok
	}

	if !cas("k", "first", 0) {
		t.Fatalf("CAS(k, index 0) on a missing key = false, want true")
	}
	wantValue(t, c, "k", "first")
	if cas("k", "again", 0) {
		t.Errorf("CAS(k, index 0) on an existing key = true, want false")
	}
	wantValue(t, c, "k", "first")

	cur := mustGet(t, c, "k").ModifyIndex
	if !cas("k", "second", cur) {
		t.Fatalf("CAS(k, current index %d) = false, want true", cur)
	}
	wantValue(t, c, "k", "second")
	if cas("k", "stale", cur) {
		t.Errorf("CAS(k, stale index %d) = true, want false", cur)
	}
	wantValue(t, c, "k", "second")
	if cas("missing", "x", cur) {
		t.Errorf("CAS(missing, index %d) = true, want false", cur)
	}
	wantMissing(t, c, "missing")
}

func TestKVDelete(t *testing.T) {
	t.Parallel()
	_, c := startDevAgent(t)
	kv := c.KV()

	t.Run("delete", func(t *testing.T) {
		mustPut(t, c, "del", "v")
		if _, err := kv.Delete("del", nil); err != nil {
			t.Fatalf("Delete(del): %v", err)
		}
		wantMissing(t, c, "del")
		if _, err := kv.Delete("never-existed", nil); err != nil {
			t.Errorf("Delete(never-existed): %v, want nil", err)
		}
	})

	t.Run("delete cas", func(t *testing.T) {
		mustPut(t, c, "dcas", "v1")
		old := mustGet(t, c, "dcas").ModifyIndex
		mustPut(t, c, "dcas", "v2")
		ok, _, err := kv.DeleteCAS(&consulapi.KVPair{Key: "dcas", ModifyIndex: old}, nil)
		if err != nil || ok {
			t.Fatalf("DeleteCAS(dcas, stale %d) = %v, %v; want false, nil", old, ok, err)
		}
		wantValue(t, c, "dcas", "v2")
		ok, _, err = kv.DeleteCAS(&consulapi.KVPair{Key: "dcas", ModifyIndex: 0}, nil)
		if err != nil || ok {
			t.Fatalf("DeleteCAS(dcas, 0) = %v, %v; want false, nil (0 never deletes)", ok, err)
		}
		wantValue(t, c, "dcas", "v2")
		cur := mustGet(t, c, "dcas").ModifyIndex
		ok, _, err = kv.DeleteCAS(&consulapi.KVPair{Key: "dcas", ModifyIndex: cur}, nil)
		if err != nil || !ok {
			t.Fatalf("DeleteCAS(dcas, current %d) = %v, %v; want true, nil", cur, ok, err)
		}
		wantMissing(t, c, "dcas")
	})

	t.Run("delete tree", func(t *testing.T) {
		for _, k := range []string{"tree/a", "tree/b/c", "tree/", "tree", "treehouse", "elsewhere/x"} {
			mustPut(t, c, k, "v")
		}
		if _, err := kv.DeleteTree("tree/", nil); err != nil {
			t.Fatalf("DeleteTree(tree/): %v", err)
		}
		for _, k := range []string{"tree/a", "tree/b/c", "tree/"} {
			wantMissing(t, c, k)
		}
		for _, k := range []string{"tree", "treehouse", "elsewhere/x"} {
			wantValue(t, c, k, "v")
		}
		pairs, _, err := kv.List("tree/", nil)
		if err != nil || len(pairs) != 0 {
			t.Errorf("List(tree/) after DeleteTree = %d pairs, %v; want none", len(pairs), err)
		}
	})

	t.Run("delete tree of everything", func(t *testing.T) {
		mustPut(t, c, "z/last", "v")
		if _, err := kv.DeleteTree("", nil); err != nil {
			t.Fatalf("DeleteTree(\"\"): %v", err)
		}
		keys, _, err := kv.Keys("", "", nil)
		if err != nil || len(keys) != 0 {
			t.Errorf("Keys(\"\") after DeleteTree(\"\") = %q, %v; want none", keys, err)
		}
	})
}
