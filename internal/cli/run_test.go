package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// run runs `concord args...` in-process with stdin reading in, and returns
// the exit code and what was written to stdout and stderr.
func run(t *testing.T, in string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	old := stdin
	stdin = strings.NewReader(in)
	t.Cleanup(func() { stdin = old })
	var out, errOut bytes.Buffer
	code = Main(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// outcome is what a run of concord should do: exit with code and write
// stdout and stderr, each exactly, or starting with what comes before a
// final "...".
type outcome struct {
	code           int
	stdout, stderr string
}

// checkRun runs `concord args...` as run does and fails t unless it did
// what want says; name is the command as failures report it.
func checkRun(t *testing.T, name, in string, args []string, want outcome) {
	t.Helper()
	code, out, errOut := run(t, in, args...)
	if code != want.code {
		t.Errorf("%s: exit code = %d, want %d (stderr %q)", name, code, want.code, errOut)
	}
	checkOutput(t, name+": stdout", out, want.stdout)
	checkOutput(t, name+": stderr", errOut, want.stderr)
}

// checkOutput fails t unless got is want, or starts with want's text
// before a final "...".
func checkOutput(t *testing.T, what, got, want string) {
	t.Helper()
	if prefix, ok := strings.CutSuffix(want, "..."); ok {
		if !strings.HasPrefix(got, prefix) {
			t.Errorf("%s = %q, want it to start with %q", what, got, prefix)
		}
	} else if got != want {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}
