package cli

import (
	"strings"
	"testing"

	"github.com/concordhq/concord/api"
)

// writeSeed is the store the write tests start from: k has ModifyIndex 1,
// held has 2 and is locked by sess-1, dir/a and dir/b have 3 and 4.
var writeSeed = []api.KVPair{
	{Key: "k", Value: []byte("old"), Flags: 1},
	{Key: "held", Value: []byte("h"), Session: "sess-1", LockIndex: 1},
	{Key: "dir/a", Value: []byte("A")},
	{Key: "dir/b", Value: []byte("B")},
}

func TestKVPut(t *testing.T) {
	const written = "Success! Data written to: k\n"
	runCases(t, "put", writeSeed, []cliCase{
		{name: "literal", args: []string{"k", "v"}, wantOut: written, check: wantPair("k", "v", 0, "")},
		{name: "no data", args: []string{"k"}, wantOut: written, check: wantPair("k", "", 0, "")},
		{name: "empty data", args: []string{"k", ""}, wantOut: written, check: wantPair("k", "", 0, "")},
		{name: "flags", args: []string{"-flags=42", "k", "v"}, wantOut: written, check: wantPair("k", "v", 42, "")},
		{
			name: "new key", args: []string{"new/key", "n"},
			wantOut: "Success! Data written to: new/key\n", check: wantPair("new/key", "n", 0, ""),
		},
		{
			name: "file", args: []string{"k", "@$DIR/value.txt"},
			wantOut: written, check: wantPair("k", "from a file\n", 0, ""),
		},
		{
			name: "stdin", args: []string{"k", "-"}, stdin: "from stdin\n",
			wantOut: written, check: wantPair("k", "from stdin\n", 0, ""),
		},
		{
			name: "dash-led data is literal", args: []string{"k", "-x"},
			wantOut: written, check: wantPair("k", "-x", 0, ""),
		},
		{name: "base64", args: []string{"-base64", "k", "aGk="}, wantOut: written, check: wantPair("k", "hi", 0, "")},
		{
			name: "base64 from stdin", args: []string{"-base64", "k", "-"}, stdin: "AAE=",
			wantOut: written, check: wantPair("k", "\x00\x01", 0, ""),
		},
		{
			name: "bad base64", args: []string{"-base64", "k", "!!"},
			wantCode: 1, wantErr: "Error! Cannot base 64 decode data: ...", check: wantPair("k", "old", 1, ""),
		},
		{
			name: "missing file", args: []string{"k", "@$DIR/nope"},
			wantCode: 1, wantErr: "Error! Failed to read file: open ...",
		},
		{name: "no key", wantCode: 1, wantErr: "Error! Missing KEY argument\n"},
		{
			name: "too many arguments", args: []string{"k", "v", "w"},
			wantCode: 1, wantErr: "Error! Too many arguments (expected 1 or 2, got 3)\n",
		},
		{
			name: "bad flags value", args: []string{"-flags=-1", "k"},
			wantCode: 1, wantErr: "invalid value \"-1\" for flag -flags: ...",
		},
		{
			name: "leading slash", args: []string{"/k", "v"}, wantCode: 1,
			wantErr: "Error! Failed writing data: api: invalid key \"/k\": must not begin with a '/'\n",
		},
		{
			name: "cas", args: []string{"-cas", "-modify-index=1", "k", "v"},
			wantOut: written, check: wantPair("k", "v", 0, ""),
		},
		{
			name: "cas failed", args: []string{"-cas", "-modify-index=2", "k", "v"},
			wantCode: 1, wantErr: "Error! Did not write to k: CAS failed\n", check: wantPair("k", "old", 1, ""),
		},
		{
			name: "cas without index", args: []string{"-cas", "k", "v"},
			wantCode: 1, wantErr: "Error! Must specify -modify-index with -cas\n",
		},
		{
			name: "cas agent error", args: []string{"-cas", "-modify-index=1", "k", "v"}, fail: 500,
			wantCode: 1, wantErr: "Error! Did not write to k: Unexpected response code: 500 (fake failure)\n",
		},
		{
			name: "acquire", args: []string{"-acquire", "-session=sess-2", "k", "mine"},
			wantOut: "Success! Lock acquired on: k\n", check: wantPair("k", "mine", 0, "sess-2"),
		},
		{
			name: "acquire held by another", args: []string{"-acquire", "-session=sess-2", "held"},
			wantCode: 1, wantErr: "Error! Did not acquire lock\n", check: wantPair("held", "h", 0, "sess-1"),
		},
		{
			name: "acquire without session", args: []string{"-acquire", "k"},
			wantCode: 1, wantErr: "Error! Missing -session (required with -acquire and -release)\n",
		},
		{
			name: "release", args: []string{"-release", "-session=sess-1", "held", "free"},
			wantOut: "Success! Lock released on: held\n", check: wantPair("held", "free", 0, ""),
		},
		{
			name: "release by another", args: []string{"-release", "-session=sess-2", "held"},
			wantCode: 1, wantErr: "Error! Did not release lock\n", check: wantPair("held", "h", 0, "sess-1"),
		},
		{
			name: "release without session", args: []string{"-release", "held"},
			wantCode: 1, wantErr: "Error! Missing -session (required with -acquire and -release)\n",
		},
		{
			name: "acquire agent error", args: []string{"-acquire", "-session=s", "k"}, fail: 500,
			wantCode: 1, wantErr: "Error! Failed writing data: Unexpected response code: 500 (fake failure)\n",
		},
		{
			name: "conflicting modes", args: []string{"-cas", "-modify-index=1", "-acquire", "-session=s", "k"},
			wantCode: 1, wantErr: "Error! Only one of -cas, -acquire and -release may be given\n",
		},
		{
			name: "agent error", args: []string{"k", "v"}, fail: 500,
			wantCode: 1, wantErr: "Error! Failed writing data: Unexpected response code: 500 (fake failure)\n",
		},
	})
}

func TestKVDelete(t *testing.T) {
	runCases(t, "delete", writeSeed, []cliCase{
		{
			name: "key", args: []string{"k"},
			wantOut: "Success! Deleted key: k\n", check: wantKeys("dir/a", "dir/b", "held"),
		},
		{
			name: "leading slash is dropped", args: []string{"/k"},
			wantOut: "Success! Deleted key: k\n", check: wantKeys("dir/a", "dir/b", "held"),
		},
		{
			name: "missing key", args: []string{"nope"},
			wantOut: "Success! Deleted key: nope\n", check: wantKeys("dir/a", "dir/b", "held", "k"),
		},
		{
			name: "recurse", args: []string{"-recurse", "dir/"},
			wantOut: "Success! Deleted keys with prefix: dir/\n", check: wantKeys("held", "k"),
		},
		{
			name: "recurse everything", args: []string{"-recurse"},
			wantOut: "Success! Deleted keys with prefix: \n", check: wantKeys(),
		},
		{
			name: "cas", args: []string{"-cas", "-modify-index=1", "k"},
			wantOut: "Success! Deleted key: k\n", check: wantKeys("dir/a", "dir/b", "held"),
		},
		{
			name: "cas failed", args: []string{"-cas", "-modify-index=7", "k"},
			wantCode: 1, wantErr: "Error! Did not delete key k: CAS failed\n", check: wantKeys("dir/a", "dir/b", "held", "k"),
		},
		{
			name: "cas without index", args: []string{"-cas", "k"}, wantCode: 1,
			wantErr: "Cannot delete a key that does not exist. Provide a -modify-index greater than 0.\n",
		},
		{
			name: "index without cas", args: []string{"-modify-index=1", "k"},
			wantCode: 1, wantErr: "Cannot specify -modify-index without -cas!\n",
		},
		{
			name: "cas and recurse", args: []string{"-cas", "-modify-index=1", "-recurse", "k"},
			wantCode: 1, wantErr: "Cannot specify both -cas and -recurse!\n",
		},
		{name: "no key", wantCode: 1, wantErr: "Error! Missing KEY argument\n"},
		{
			name: "too many arguments", args: []string{"k", "v"},
			wantCode: 1, wantErr: "Too many arguments (expected 1, got 2)\n",
		},
		{
			name: "agent error", args: []string{"k"}, fail: 500,
			wantCode: 1, wantErr: "Error! Did not delete key k: Unexpected response code: 500 (fake failure)\n",
		},
		{
			name: "recurse agent error", args: []string{"-recurse", "dir/"}, fail: 500,
			wantCode: 1, wantErr: "Error! Did not delete prefix dir/: Unexpected response code: 500 (fake failure)\n",
		},
		{
			name: "cas agent error", args: []string{"-cas", "-modify-index=1", "k"}, fail: 500,
			wantCode: 1, wantErr: "Error! Did not delete key k: Unexpected response code: 500 (fake failure)\n",
		},
	})
}

func TestKVImport(t *testing.T) {
	const dump = `[{"key":"x","flags":2,"value":"eA=="},{"key":"f/","flags":0,"value":""}]`
	runCases(t, "import", nil, []cliCase{
		{
			name: "literal", args: []string{dump},
			wantOut: "Imported: x\nImported: f/\n",
			check: func(t *testing.T, f *fakeKV) {
				wantPair("x", "x", 2, "")(t, f)
				wantPair("f/", "", 0, "")(t, f)
			},
		},
		{
			name: "file", args: []string{"@$DIR/dump.json"},
			wantOut: "Imported: f/1\n", check: wantPair("f/1", "one", 3, ""),
		},
		{
			name: "stdin", args: []string{"-"}, stdin: dump,
			wantOut: "Imported: x\nImported: f/\n", check: wantKeys("f/", "x"),
		},
		{
			name: "prefix", args: []string{"-prefix=new", dump},
			wantOut: "Imported: new/x\nImported: new/f/\n", check: wantKeys("new/f/", "new/x"),
		},
		{name: "empty array", args: []string{"[]"}, check: wantKeys()},
		{name: "no data", wantCode: 1, wantErr: "Error! Missing DATA argument\n"},
		{name: "empty data", args: []string{""}, wantCode: 1, wantErr: "Error! Empty DATA argument\n"},
		{
			name: "too many arguments", args: []string{"[]", "[]"},
			wantCode: 1, wantErr: "Error! Too many arguments (expected 1, got 2)\n",
		},
		{
			name: "not json", args: []string{"{"},
			wantCode: 1, wantErr: "Error! Cannot unmarshal data: ...",
		},
		{
			name: "bad base64", args: []string{`[{"key":"ok","value":""},{"key":"bad","value":"!!"}]`},
			wantCode: 1, wantOut: "Imported: ok\n",
			wantErr: "Error! Cannot base 64 decode value for key bad: ...", check: wantKeys("ok"),
		},
		{
			name: "agent error", args: []string{dump}, fail: 500,
			wantCode: 1, wantErr: "Error! Failed writing data for key x: Unexpected response code: 500 (fake failure)\n",
		},
	})
}

// TestKVExportImportRoundTrip moves a tree from one fake agent to another
// through export's output, and checks that keys, flags and values survive.
func TestKVExportImportRoundTrip(t *testing.T) {
	src, srcAddr := newFakeKV(t,
		api.KVPair{Key: "app/a", Value: []byte("1"), Flags: 7},
		api.KVPair{Key: "app/bin", Value: []byte{0, 0xff, '\n'}},
		api.KVPair{Key: "app/empty"},
		api.KVPair{Key: "app/folder/"},
	)
	code, dump, errOut := run(t, "", kvArgs(srcAddr, "export", "app/")...)
	if code != 0 {
		t.Fatalf("kv export app/: exit code %d, stderr %q", code, errOut)
	}
	dst, dstAddr := newFakeKV(t)
	if code, _, errOut := run(t, dump, kvArgs(dstAddr, "import", "-")...); code != 0 {
		t.Fatalf("kv import -: exit code %d, stderr %q", code, errOut)
	}
	want, got := src.snapshot(), dst.snapshot()
	if len(got) != len(want) {
		t.Fatalf("after import, %d keys, want %d", len(got), len(want))
	}
	for k, w := range want {
		g := got[k]
		if string(g.Value) != string(w.Value) || g.Flags != w.Flags {
			t.Errorf("after import, %q = {Value: %q, Flags: %d}, want {%q, %d}", k, g.Value, g.Flags, w.Value, w.Flags)
		}
	}
}

// TestKVHTTPFlags checks that the shared flags reach the agent: -datacenter
// on reads and writes, -stale on reads, -token as X-Consul-Token.
func TestKVHTTPFlags(t *testing.T) {
	for _, name := range []string{"CONCORD_HTTP_TOKEN", "CONSUL_HTTP_TOKEN"} {
		t.Setenv(name, "")
	}
	tests := []struct {
		sub       string
		args      []string
		wantQuery string
	}{
		{"get", []string{"-stale", "-datacenter=dc2", "-token=tok", "k"}, "dc=dc2&stale="},
		{"get", []string{"-recurse", "-stale", "-datacenter=dc2", "-token=tok", "k"}, "dc=dc2&recurse=&stale="},
		{"get", []string{"-keys", "-datacenter=dc2", "-token=tok"}, "dc=dc2&keys=&separator=%2F"},
		{"export", []string{"-stale", "-datacenter=dc2", "-token=tok"}, "dc=dc2&recurse=&stale="},
		{"put", []string{"-datacenter=dc2", "-token=tok", "-flags=3", "k", "v"}, "dc=dc2&flags=3"},
		{"delete", []string{"-datacenter=dc2", "-token=tok", "k"}, "dc=dc2"},
		{"delete", []string{"-datacenter=dc2", "-token=tok", "-cas", "-modify-index=1", "k"}, "cas=1&dc=dc2"},
	}
	for _, tt := range tests {
		f, addr := newFakeKV(t, api.KVPair{Key: "k"})
		cmd := "kv " + tt.sub + " " + strings.Join(tt.args, " ")
		if code, _, errOut := run(t, "", kvArgs(addr, tt.sub, tt.args...)...); code != 0 {
			t.Errorf("%s: exit code %d, stderr %q", cmd, code, errOut)
			continue
		}
		r := f.lastRequest()
		if r.URL.RawQuery != tt.wantQuery || r.Header.Get("X-Consul-Token") != "tok" {
			t.Errorf("%s: sent query %q, token %q; want %q, %q",
				cmd, r.URL.RawQuery, r.Header.Get("X-Consul-Token"), tt.wantQuery, "tok")
		}
	}
}

// TestKVAddressFromEnv checks that without -http-addr the address and token
// come from the environment, CONCORD_ names first.
func TestKVAddressFromEnv(t *testing.T) {
	f, addr := newFakeKV(t, api.KVPair{Key: "k", Value: []byte("v")})
	t.Setenv("CONCORD_HTTP_ADDR", addr)
	t.Setenv("CONSUL_HTTP_ADDR", "127.0.0.1:1")
	t.Setenv("CONCORD_HTTP_TOKEN", "")
	t.Setenv("CONSUL_HTTP_TOKEN", "envtok")
	code, out, errOut := run(t, "", "kv", "get", "k")
	if code != 0 || out != "v\n" {
		t.Fatalf("kv get k: exit code %d, stdout %q, stderr %q; want 0, %q", code, out, errOut, "v\n")
	}
	if got := f.lastRequest().Header.Get("X-Consul-Token"); got != "envtok" {
		t.Errorf("kv get k: sent token %q, want %q from CONSUL_HTTP_TOKEN", got, "envtok")
	}
}
