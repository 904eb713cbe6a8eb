package cli_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
)

// TestKVPutCAS writes with -cas: the current ModifyIndex wins, a stale one
// fails and leaves the value alone.
func TestKVPutCAS(t *testing.T) {
	t.Parallel()
	a := startDevAgent(t)
	mustPut(t, a.Addr, "cas/k", "v1")
	stale := getPair(t, a.Addr, "cas/k").ModifyIndex

	current := fmt.Sprint("-modify-index=", stale)
	kv(t, a.Addr, "put", "-cas", current, "cas/k", "v2").
		want(t, "kv put -cas "+current+" cas/k v2", 0, "Success! Data written to: cas/k\n", "")
	kv(t, a.Addr, "put", "-cas", current, "cas/k", "v3").
		want(t, "kv put -cas "+current+" cas/k v3 (stale)", 1, "", "Error! Did not write to cas/k: CAS failed\n")
	kv(t, a.Addr, "get", "cas/k").want(t, "kv get cas/k", 0, "v2\n", "")

	kv(t, a.Addr, "put", "-cas", "cas/k", "v4").
		want(t, "kv put -cas cas/k v4", 1, "", "Error! Must specify -modify-index with -cas\n")
	kv(t, a.Addr, "get", "cas/k").want(t, "kv get cas/k", 0, "v2\n", "")
}

// TestKVDelete removes one key, a prefix, and a key under -cas.
func TestKVDelete(t *testing.T) {
	t.Parallel()
	a := startDevAgent(t)
	for _, k := range []string{"del/k", "del/cas", "del/tree/a", "del/tree/b/c", "del/treehouse"} {
		mustPut(t, a.Addr, k, "x")
	}

	kv(t, a.Addr, "delete", "del/k").want(t, "kv delete del/k", 0, "Success! Deleted key: del/k\n", "")
	kv(t, a.Addr, "get", "del/k").want(t, "kv get del/k", 1, "", "Error! No key exists at: del/k\n")
	kv(t, a.Addr, "delete", "del/never").want(t, "kv delete del/never", 0, "Success! Deleted key: del/never\n", "")

	kv(t, a.Addr, "delete", "-recurse", "del/tree/").
		want(t, "kv delete -recurse del/tree/", 0, "Success! Deleted keys with prefix: del/tree/\n", "")
	kv(t, a.Addr, "get", "-keys", "-separator=", "del/").
		want(t, "kv get -keys -separator= del/", 0, "del/cas\ndel/treehouse\n", "")

	index := getPair(t, a.Addr, "del/cas").ModifyIndex
	mustPut(t, a.Addr, "del/cas", "changed")
	stale := fmt.Sprint("-modify-index=", index)
	kv(t, a.Addr, "delete", "-cas", stale, "del/cas").
		want(t, "kv delete -cas "+stale+" del/cas", 1, "", "Error! Did not delete key del/cas: CAS failed\n")
	kv(t, a.Addr, "get", "del/cas").want(t, "kv get del/cas", 0, "changed\n", "")

	current := fmt.Sprint("-modify-index=", getPair(t, a.Addr, "del/cas").ModifyIndex)
	kv(t, a.Addr, "delete", "-cas", current, "del/cas").
		want(t, "kv delete -cas "+current+" del/cas", 0, "Success! Deleted key: del/cas\n", "")
	if p := getPair(t, a.Addr, "del/cas"); p != nil {
		t.Errorf("after kv delete -cas, GET /v1/kv/del/cas = %+v, want 404", p)
	}

	kv(t, a.Addr, "delete", "-cas", "del/treehouse").want(t, "kv delete -cas del/treehouse", 1, "",
		"Cannot delete a key that does not exist. Provide a -modify-index greater than 0.\n")
	kv(t, a.Addr, "delete", "-cas", "-modify-index=1", "-recurse", "del/").
		want(t, "kv delete -cas -recurse del/", 1, "", "Cannot specify both -cas and -recurse!\n")
	kv(t, a.Addr, "get", "del/treehouse").want(t, "kv get del/treehouse", 0, "x\n", "")
}

// exportEntry is one element of `kv export` output.
type exportEntry struct {
	Key   string `json:"key"`
	Flags uint64 `json:"flags"`
	Value string `json:"value"`
}

// TestKVExportImport exports a tree from one agent and imports it into a
// second: keys, flags and values must arrive exactly.
func TestKVExportImport(t *testing.T) {
	t.Parallel()
	src, dst := startDevAgent(t), startDevAgent(t)
	binary := []byte{0, 0xff, '\n', 0x80}
	mustPut(t, src.Addr, "-flags=7", "exp/a", "one")
	mustPut(t, src.Addr, "-base64", "exp/bin", base64.StdEncoding.EncodeToString(binary))
	mustPut(t, src.Addr, "exp/empty")
	mustPut(t, src.Addr, "-flags=3", "exp/folder/")
	mustPut(t, src.Addr, "-flags=18446744073709551615", "exp/nested/max", "flags at the top of uint64")
	mustPut(t, src.Addr, "other/not-exported", "no")

	res := kv(t, src.Addr, "export", "exp/")
	if res.code != 0 || res.stderr != "" {
		t.Fatalf("kv export exp/ = exit %d, stderr %q; want 0 and no stderr", res.code, res.stderr)
	}

	// The array holds objects with exactly the fields key, flags and value.
	var raw []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(res.stdout), &raw); err != nil {
		t.Fatalf("kv export exp/ printed %q, not a JSON array of objects: %v", res.stdout, err)
	}
	for i, obj := range raw {
		var fields []string
		for f := range obj {
			fields = append(fields, f)
		}
		sort.Strings(fields)
		if got := strings.Join(fields, ","); got != "flags,key,value" {
			t.Errorf("kv export exp/: element %d has fields %s, want flags,key,value", i, got)
		}
	}
	var entries []exportEntry
	if err := json.Unmarshal([]byte(res.stdout), &entries); err != nil {
		t.Fatalf("kv export exp/: cannot decode entries: %v", err)
	}
	want := listPairs(t, src.Addr, "exp/")
	if len(entries) != len(want) {
		t.Fatalf("kv export exp/ gave %d entries, want %d: %s", len(entries), len(want), res.stdout)
	}
	var imported strings.Builder
	for i, p := range want {
		e := entries[i]
		if e.Key != p.Key || e.Flags != p.Flags || e.Value != base64.StdEncoding.EncodeToString(p.Value) {
			t.Errorf("kv export exp/: entry %d = %+v, want key %q, flags %d, value %q",
				i, e, p.Key, p.Flags, base64.StdEncoding.EncodeToString(p.Value))
		}
		fmt.Fprintf(&imported, "Imported: %s\n", p.Key)
	}

	args := []string{"kv", "import", "-http-addr=" + dst.Addr, "-"}
	run{stdin: res.stdout}.concord(t, args...).want(t, "kv import -", 0, imported.String(), "")

	got := listPairs(t, dst.Addr, "")
	if len(got) != len(want) {
		t.Errorf("after import, the second agent holds %d keys, want %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		g, w := got[i], want[i]
		if g.Key != w.Key || g.Flags != w.Flags || !bytes.Equal(g.Value, w.Value) {
			t.Errorf("after import, key %d = {%q, flags %d, %q}, want {%q, flags %d, %q}",
				i, g.Key, g.Flags, g.Value, w.Key, w.Flags, w.Value)
		}
	}
	a := getPair(t, dst.Addr, "exp/a")
	if a == nil {
		t.Fatalf("after import, exp/a is missing")
	}
	kv(t, dst.Addr, "get", "-detailed", "exp/a").want(t, "kv get -detailed exp/a", 0, detailed(a, "one"), "")

	// The same dump from a file, under a prefix.
	dump := writeFile(t, t.TempDir(), "dump.json", res.stdout)
	res = kv(t, dst.Addr, "import", "-prefix=copy", "@"+dump)
	if res.code != 0 || !strings.HasPrefix(res.stdout, "Imported: copy/exp/a\n") {
		t.Errorf("kv import -prefix=copy @dump = exit %d, stdout %q, stderr %q; want 0, starting %q",
			res.code, res.stdout, res.stderr, "Imported: copy/exp/a\n")
	}
	if p := getPair(t, dst.Addr, "copy/exp/nested/max"); p == nil || p.Flags != 18446744073709551615 {
		t.Errorf("after kv import -prefix=copy, copy/exp/nested/max = %+v, want flags 18446744073709551615", p)
	}
}
