package cli_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/concordhq/concord/api"
)

// TestKVPutGet writes and reads single keys through the CLI.
func TestKVPutGet(t *testing.T) {
	t.Parallel()
	a := startDevAgent(t)

	kv(t, a.Addr, "put", "k", "v").want(t, "kv put k v", 0, "Success! Data written to: k\n", "")
	kv(t, a.Addr, "get", "k").want(t, "kv get k", 0, "v\n", "")
	kv(t, a.Addr, "get", "/k").want(t, "kv get /k", 0, "v\n", "")
	kv(t, a.Addr, "get", "missing").want(t, "kv get missing", 1, "", "Error! No key exists at: missing\n")

	kv(t, a.Addr, "put", "k", "second value").want(t, "kv put k 'second value'", 0, "Success! Data written to: k\n", "")
	kv(t, a.Addr, "get", "k").want(t, "kv get k", 0, "second value\n", "")

	kv(t, a.Addr, "put", "empty").want(t, "kv put empty", 0, "Success! Data written to: empty\n", "")
	kv(t, a.Addr, "get", "empty").want(t, "kv get empty", 0, "\n", "")
	if p := getPair(t, a.Addr, "empty"); p == nil || len(p.Value) != 0 {
		t.Errorf("after kv put empty, GET /v1/kv/empty = %+v, want an empty value", p)
	}
}

// TestKVPutDataSources writes DATA given literally, as @file, as - (stdin)
// and base64-encoded, then reads each back over HTTP and with get -base64.
func TestKVPutDataSources(t *testing.T) {
	t.Parallel()
	a := startDevAgent(t)
	file := writeFile(t, t.TempDir(), "value.txt", "line one\nline two\n")
	binary := []byte{0, 0xff, '\n', 'b', 'i', 'n'}

	tests := []struct {
		name  string
		args  []string // after the key
		stdin string
		want  []byte
	}{
		{name: "literal", args: []string{"hello world"}, want: []byte("hello world")},
		{name: "file", args: []string{"@" + file}, want: []byte("line one\nline two\n")},
		{name: "stdin", args: []string{"-"}, stdin: "from\x00stdin\n", want: []byte("from\x00stdin\n")},
		{name: "base64", args: []string{base64.StdEncoding.EncodeToString(binary)}, want: binary},
		{name: "base64 from stdin", args: []string{"-"}, stdin: "aGk=", want: []byte("hi")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := "data/" + strings.ReplaceAll(tt.name, " ", "-")
			args := []string{"kv", "put", "-http-addr=" + a.Addr}
			if strings.HasPrefix(tt.name, "base64") {
				args = append(args, "-base64")
			}
			args = append(append(args, key), tt.args...)
			res := run{stdin: tt.stdin}.concord(t, args...)
			res.want(t, strings.Join(args[1:], " "), 0, "Success! Data written to: "+key+"\n", "")

			if p := getPair(t, a.Addr, key); p == nil || !bytes.Equal(p.Value, tt.want) {
				t.Errorf("after kv put %s, GET /v1/kv/%s = %+v, want value %q", key, key, p, tt.want)
			}
			b64 := base64.StdEncoding.EncodeToString(tt.want)
			kv(t, a.Addr, "get", "-base64", key).want(t, "kv get -base64 "+key, 0, b64+"\n", "")
		})
	}
}

// detailed is what `kv get -detailed` prints for p with value shown as value.
func detailed(p *api.KVPair, value string) string {
	session := p.Session
	if session == "" {
		session = "-"
	}
	var b strings.Builder
	for _, f := range []struct {
		name  string
		value any
	}{
		{"CreateIndex", p.CreateIndex},
		{"Flags", p.Flags},
		{"Key", p.Key},
		{"LockIndex", p.LockIndex},
		{"ModifyIndex", p.ModifyIndex},
		{"Session", session},
		{"Value", value},
	} {
		fmt.Fprintf(&b, "%-17s%v\n", f.name, f.value)
	}
	return b.String()
}

// TestKVGetDetailed stores flags with a key and checks that -detailed shows
// them with the indexes the HTTP API reports.
func TestKVGetDetailed(t *testing.T) {
	t.Parallel()
	a := startDevAgent(t)

	kv(t, a.Addr, "put", "-flags=42", "det/k", "v").
		want(t, "kv put -flags=42 det/k v", 0, "Success! Data written to: det/k\n", "")
	first := getPair(t, a.Addr, "det/k")
	if first == nil || first.Flags != 42 || first.CreateIndex == 0 || first.ModifyIndex != first.CreateIndex {
		t.Fatalf("after kv put -flags=42, GET /v1/kv/det/k = %+v, want Flags 42 and CreateIndex = ModifyIndex > 0", first)
	}
	// Spelled out once; the later checks build the same layout with detailed.
	want := fmt.Sprintf("CreateIndex      %d\n"+
		"Flags            42\n"+
		"Key              det/k\n"+
		"LockIndex        0\n"+
		"ModifyIndex      %d\n"+
		"Session          -\n"+
		"Value            v\n", first.CreateIndex, first.ModifyIndex)
	kv(t, a.Addr, "get", "-detailed", "det/k").want(t, "kv get -detailed det/k", 0, want, "")

	mustPut(t, a.Addr, "-flags=7", "det/k", "w")
	second := getPair(t, a.Addr, "det/k")
	if second == nil || second.CreateIndex != first.CreateIndex || second.ModifyIndex <= first.ModifyIndex {
		t.Fatalf("after an update, GET /v1/kv/det/k = %+v, want CreateIndex %d and ModifyIndex > %d",
			second, first.CreateIndex, first.ModifyIndex)
	}
	kv(t, a.Addr, "get", "-detailed", "det/k").want(t, "kv get -detailed det/k", 0, detailed(second, "w"), "")
	kv(t, a.Addr, "get", "-detailed", "-base64", "det/k").
		want(t, "kv get -detailed -base64 det/k", 0, detailed(second, "dw=="), "")
}

// TestKVGetTree lists a tree with -recurse and -keys.
func TestKVGetTree(t *testing.T) {
	t.Parallel()
	a := startDevAgent(t)
	for _, kvs := range [][2]string{
		{"tree/a", "1"}, {"tree/b", "2"}, {"tree/sub/c", "3"}, {"tree/sub/deeper/d", "4"},
		{"treeish", "x"}, {"other", "o"},
	} {
		mustPut(t, a.Addr, kvs[0], kvs[1])
	}

	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-recurse", "tree/"}, "tree/a:1\ntree/b:2\ntree/sub/c:3\ntree/sub/deeper/d:4\n"},
		{[]string{"-recurse", "tree"}, "tree/a:1\ntree/b:2\ntree/sub/c:3\ntree/sub/deeper/d:4\ntreeish:x\n"},
		{[]string{"-recurse", "-base64", "tree/sub/"}, "tree/sub/c:Mw==\ntree/sub/deeper/d:NA==\n"},
		{[]string{"-recurse", "missing/"}, ""},
		{[]string{"-keys", "tree/"}, "tree/a\ntree/b\ntree/sub/\n"},
		{[]string{"-keys", "-separator=/", "tree/"}, "tree/a\ntree/b\ntree/sub/\n"},
		{[]string{"-keys", "-separator=/", "tree/sub/"}, "tree/sub/c\ntree/sub/deeper/\n"},
		{[]string{"-keys", "-separator=", "tree/"}, "tree/a\ntree/b\ntree/sub/c\ntree/sub/deeper/d\n"},
		{[]string{"-keys", "-recurse", "tree/"}, "tree/a\ntree/b\ntree/sub/c\ntree/sub/deeper/d\n"},
		{[]string{"-keys"}, "other\ntree/\ntreeish\n"},
		{[]string{"-keys", "missing/"}, ""},
	}
	for _, tt := range tests {
		cmd := "kv get " + strings.Join(tt.args, " ")
		t.Run(cmd, func(t *testing.T) {
			kv(t, a.Addr, "get", tt.args...).want(t, cmd, 0, tt.want, "")
		})
	}
}
