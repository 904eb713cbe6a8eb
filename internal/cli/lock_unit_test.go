package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/testutil"
)

func TestLockUsageErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no arguments", nil, "Error! Expected PREFIX and COMMAND\n"},
		{"no command", []string{"prefix"}, "Error! Expected PREFIX and COMMAND\n"},
		{"empty prefix", []string{"/", "true"}, "Error! PREFIX must not be empty\n"},
		{"zero holders", []string{"-n=0", "p", "true"}, "Error! -n must be at least 1, got 0\n"},
		{"negative retries", []string{"-monitor-retry=-1", "p", "true"}, "Error! -monitor-retry must not be negative, got -1\n"},
		{"bad address", []string{"-http-addr=ftp://x", "p", "true"},
			`Error connecting to agent: invalid address "ftp://x": unknown protocol scheme "ftp"` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkRun(t, "lock "+strings.Join(tt.args, " "), "", append([]string{"lock"}, tt.args...), outcome{1, "", tt.wantErr})
		})
	}
}

func TestShortestBound(t *testing.T) {
	for _, tt := range []struct{ a, b, want time.Duration }{
		{0, 0, 0}, {time.Second, 0, time.Second}, {0, time.Second, time.Second},
		{time.Second, 2 * time.Second, time.Second}, {3 * time.Second, 2 * time.Second, 2 * time.Second},
	} {
		if got := shortestBound(tt.a, tt.b); got != tt.want {
			t.Errorf("shortestBound(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

// TestLockInProcess runs `concord lock` in-process against a real agent, so
// that the race detector sees the command's goroutines: once to the end of
// its command, once interrupted while the command runs.
func TestLockInProcess(t *testing.T) {
	ta := testutil.StartAgent(t, "", func(c *config.Config) { c.SessionTTLMin = time.Second })
	addr := "-http-addr=" + ta.HTTPAddr()

	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"lock", addr, "-verbose", "job", "echo $CONCORD_LOCK_INDEX"}, &stdout, &stderr)
	if n, err := strconv.ParseUint(strings.TrimSpace(stdout.String()), 10, 64); code != 0 || err != nil || n == 0 {
		t.Errorf("lock job 'echo $CONCORD_LOCK_INDEX' = exit %d, stdout %q, stderr %q; want exit 0 and a positive index",
			code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stderr.String(), "Acquired lock job/.lock") {
		t.Errorf("-verbose stderr = %q, want the steps", stderr.String())
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := filepath.Join(t.TempDir(), "started")
	done := make(chan int, 1)
	stdout.Reset()
	stderr.Reset()
	go func() {
		done <- Main(ctx, []string{"lock", addr, "job", "touch " + started + "; exec sleep 30"}, &stdout, &stderr)
	}()
	testutil.Run(t, 10*time.Second, func(r *testutil.R) {
		if _, err := os.Stat(started); err != nil {
			r.Fatalf("command not started: %v", err)
		}
	})
	cancel()
	select {
	case code := <-done:
		if code != 1 {
			t.Errorf("interrupted lock = exit %d, want 1; stderr %q", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("interrupted lock still running after 10s")
	}
}
