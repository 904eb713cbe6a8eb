package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// The watch loop and its handlers are tested in internal/watch; these
// tests cover the command's flags.

func TestWatchUsageErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no type", nil, "Error! watch type is required..."},
		{"unknown type", []string{"-type=keys"}, `Error! unknown watch type "keys"...`},
		{"key without -key", []string{"-type=key"}, `Error! watch type "key" requires key...`},
		{"keyprefix without -prefix", []string{"-type=keyprefix"}, "Error! -type=keyprefix requires -prefix..."},
		{"service without -service", []string{"-type=service"}, `Error! watch type "service" requires service...`},
		{"option of another type", []string{"-type=key", "-key=k", "-tag=v1"}, `Error! tag cannot be used with watch type "key"...`},
		{"name with a key watch", []string{"-type=key", "-key=k", "-name=deploy"}, `Error! name cannot be used with watch type "key"...`},
		{"stale event", []string{"-type=event", "-stale"}, `Error! stale cannot be used with watch type "event"...`},
		{"checks by service and state", []string{"-type=checks", "-service=web", "-state=passing"}, "Error! watch type \"checks\" takes service or state, not both..."},
		{"bad state", []string{"-type=checks", "-state=ok"}, `Error! invalid state "ok"...`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"watch", "-http-addr=127.0.0.1:1"}, tc.args...)
			checkRun(t, "concord watch "+strings.Join(tc.args, " "), "", args, outcome{1, "", tc.wantErr})
		})
	}
}

func TestPrintChange(t *testing.T) {
	var stdout bytes.Buffer
	if err := printChange(&stdout)(context.Background(), 1, []byte("{\"a\":[1]}\n")); err != nil {
		t.Fatal(err)
	}
	if want := "{\n    \"a\": [\n        1\n    ]\n}\n"; stdout.String() != want {
		t.Errorf("printed %q, want %q", stdout.String(), want)
	}
}
