package cli

import (
	"testing"

	"github.com/concordhq/concord/api"
)

// readSeed is the store the read tests start from; ModifyIndex follows the
// order (a is 1, locked is 8).
var readSeed = []api.KVPair{
	{Key: "a", Value: []byte("hello"), Flags: 5},
	{Key: "empty"},
	{Key: "dir/x", Value: []byte("1")},
	{Key: "dir/y", Value: []byte("2")},
	{Key: "dir/sub/z", Value: []byte("3")},
	{Key: "two/p", Value: []byte("P")},
	{Key: "two/q", Value: []byte("Q"), Flags: 9},
	{Key: "locked", Value: []byte("l"), Session: "sess-1", LockIndex: 1},
}

func TestKVGet(t *testing.T) {
	runCases(t, "get", readSeed, []cliCase{
		{name: "value", args: []string{"a"}, wantOut: "hello\n"},
		{name: "leading slash is dropped", args: []string{"/a"}, wantOut: "hello\n"},
		{name: "empty value", args: []string{"empty"}, wantOut: "\n"},
		{name: "base64", args: []string{"-base64", "a"}, wantOut: "aGVsbG8=\n"},
		{name: "stale", args: []string{"-stale", "a"}, wantOut: "hello\n"},
		{
			name: "missing key", args: []string{"nope"},
			wantCode: 1, wantErr: "Error! No key exists at: nope\n",
		},
		{
			name:     "no key",
			wantCode: 1, wantErr: "Error! Missing KEY argument\n",
		},
		{
			name: "too many arguments", args: []string{"a", "b"},
			wantCode: 1, wantErr: "Too many arguments (expected 1, got 2)\n",
		},
		{
			name: "unknown flag", args: []string{"-nope", "a"},
			wantCode: 1, wantErr: "flag provided but not defined: -nope\nUsage: concord kv get...",
		},
		{name: "help", args: []string{"-h"}, wantErr: "Usage: concord kv get [options] [KEY_OR_PREFIX]..."},
		{
			name: "agent error", args: []string{"a"}, fail: 500,
			wantCode: 1, wantErr: "Error! Cannot query the agent: Unexpected response code: 500 (fake failure)\n",
		},
		{
			name: "detailed", args: []string{"-detailed", "a"},
			wantOut: "CreateIndex      1\n" +
				"Flags            5\n" +
				"Key              a\n" +
				"LockIndex        0\n" +
				"ModifyIndex      1\n" +
				"Session          -\n" +
				"Value            hello\n",
		},
		{
			name: "detailed base64 locked", args: []string{"-detailed", "-base64", "locked"},
			wantOut: "CreateIndex      8\n" +
				"Flags            0\n" +
				"Key              locked\n" +
				"LockIndex        1\n" +
				"ModifyIndex      8\n" +
				"Session          sess-1\n" +
				"Value            bA==\n",
		},
		{
			name: "recurse", args: []string{"-recurse", "dir"},
			wantOut: "dir/sub/z:3\ndir/x:1\ndir/y:2\n",
		},
		{
			name: "recurse base64", args: []string{"-recurse", "-base64", "two/"},
			wantOut: "two/p:UA==\ntwo/q:UQ==\n",
		},
		{
			name: "recurse detailed", args: []string{"-recurse", "-detailed", "two/"},
			wantOut: "CreateIndex      6\nFlags            0\nKey              two/p\nLockIndex        0\n" +
				"ModifyIndex      6\nSession          -\nValue            P\n" +
				"\n" +
				"CreateIndex      7\nFlags            9\nKey              two/q\nLockIndex        0\n" +
				"ModifyIndex      7\nSession          -\nValue            Q\n",
		},
		{name: "recurse finds nothing", args: []string{"-recurse", "nope/"}},
		{name: "recurse whole store", args: []string{"-recurse", "-base64"},
			wantOut: "a:aGVsbG8=\ndir/sub/z:Mw==\ndir/x:MQ==\ndir/y:Mg==\nempty:\nlocked:bA==\ntwo/p:UA==\ntwo/q:UQ==\n",
		},
		{name: "keys at root", args: []string{"-keys"}, wantOut: "a\ndir/\nempty\nlocked\ntwo/\n"},
		{name: "keys under prefix", args: []string{"-keys", "dir/"}, wantOut: "dir/sub/\ndir/x\ndir/y\n"},
		{
			name: "keys other separator", args: []string{"-keys", "-separator=u", "dir/"},
			wantOut: "dir/su\ndir/x\ndir/y\n",
		},
		{
			name: "keys no separator", args: []string{"-keys", "-separator=", "dir/"},
			wantOut: "dir/sub/z\ndir/x\ndir/y\n",
		},
		{name: "keys finds nothing", args: []string{"-keys", "nope/"}},
		{
			name: "keys recurse", args: []string{"-keys", "-recurse", "dir/"},
			wantOut: "dir/sub/z\ndir/x\ndir/y\n",
		},
		{
			name: "keys recurse detailed", args: []string{"-keys", "-recurse", "-detailed", "two/"},
			wantOut: "CreateIndex      6\nFlags            0\nKey              two/p\nLockIndex        0\n" +
				"ModifyIndex      6\nSession          -\n" +
				"\n" +
				"CreateIndex      7\nFlags            9\nKey              two/q\nLockIndex        0\n" +
				"ModifyIndex      7\nSession          -\n",
		},
	})
}

func TestKVExport(t *testing.T) {
	runCases(t, "export", readSeed, []cliCase{
		{
			name: "prefix", args: []string{"two/"},
			wantOut: "[\n" +
				"\t{\n\t\t\"key\": \"two/p\",\n\t\t\"flags\": 0,\n\t\t\"value\": \"UA==\"\n\t},\n" +
				"\t{\n\t\t\"key\": \"two/q\",\n\t\t\"flags\": 9,\n\t\t\"value\": \"UQ==\"\n\t}\n" +
				"]\n",
		},
		{
			name: "empty value and leading slash", args: []string{"/empty"},
			wantOut: "[\n\t{\n\t\t\"key\": \"empty\",\n\t\t\"flags\": 0,\n\t\t\"value\": \"\"\n\t}\n]\n",
		},
		{name: "nothing found", args: []string{"nope/"}, wantOut: "[]\n"},
		{
			name: "too many arguments", args: []string{"a", "b"},
			wantCode: 1, wantErr: "Too many arguments (expected 1, got 2)\n",
		},
		{
			name: "agent error", fail: 403,
			wantCode: 1, wantErr: "Error! Cannot query the agent: Unexpected response code: 403 (fake failure)\n",
		},
	})
}
