package checks_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/checks"
)

func enableScripts(c *checks.Config) { c.EnableScriptChecks = true }

func TestScriptExitCodes(t *testing.T) {
	t.Parallel()
	sh := func(script string) []string { return []string{"sh", "-c", script} }
	tests := []probeCase{
		{"exit 0 is passing", api.AgentServiceCheck{Args: sh("echo fine; exit 0")}, api.HealthPassing, "fine\n"},
		{"exit 1 is warning", api.AgentServiceCheck{Args: sh("echo slow >&2; exit 1")}, api.HealthWarning, "slow\n"},
		{"exit 2 is critical", api.AgentServiceCheck{Args: sh("echo out; echo err >&2; exit 2"), Status: api.HealthPassing}, api.HealthCritical, "out\nerr\n"},
		{"no such program", api.AgentServiceCheck{Args: []string{"/nonexistent/check"}, Status: api.HealthPassing}, api.HealthCritical, "cannot run"},
	}
	rec := newRecorder()
	r := newRunner(t, rec, enableScripts)
	addCases(t, r, tests)
	checkCases(t, rec, tests)
}

func TestScriptOutputKeepsTheEnd(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	r := newRunner(t, rec, func(c *checks.Config) { enableScripts(c); c.OutputMaxSize = 10 })
	mustAdd(t, r, "script", &api.AgentServiceCheck{Args: []string{"sh", "-c", "printf abcdefghijklmnopqrstuvwxyz"}, Interval: "1s"})
	u := waitStatus(t, rec, "script", api.HealthPassing)
	if !strings.HasSuffix(u.output, "\nqrstuvwxyz") || !strings.Contains(u.output, "last 10 of 26 bytes") {
		t.Errorf("output = %q, want a truncation note and the last 10 bytes", u.output)
	}
}

func TestScriptTimeoutKillsProcessGroup(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	r := newRunner(t, rec, enableScripts)
	pidFile := filepath.Join(t.TempDir(), "pid")
	// The shell forks sleep and waits: killing only the shell would leave
	// sleep running with the output pipe open.
	script := "echo started; sleep 30 & echo $! > " + pidFile + "; wait"
	mustAdd(t, r, "slow", &api.AgentServiceCheck{Args: []string{"sh", "-c", script}, Interval: "1s", Timeout: "300ms", Status: api.HealthPassing})

	u := waitStatus(t, rec, "slow", api.HealthCritical)
	if !strings.Contains(u.output, "Timed out (300ms)") || !strings.Contains(u.output, "started") {
		t.Errorf("output = %q, want the timeout and the output so far", u.output)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/proc"); err != nil {
		t.Skip("no /proc to look for the child")
	}
	waitFor(t, "the script's child to die", func() bool {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return true // gone
		}
		// "pid (comm) state ...": a zombie waits for a reaper only.
		_, rest, _ := strings.Cut(string(stat), ") ")
		return strings.HasPrefix(rest, "Z")
	})
}

func TestScriptRemoveKillsRun(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	r := newRunner(t, rec, enableScripts)
	started := filepath.Join(t.TempDir(), "started")
	mustAdd(t, r, "long", &api.AgentServiceCheck{Args: []string{"sh", "-c", "touch " + started + "; sleep 30"}, Interval: "1s"})
	waitFor(t, "the script to start", func() bool { _, err := os.Stat(started); return err == nil })

	start := time.Now()
	r.Remove("long")
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Remove took %v with a script running, want it killed at once", d)
	}
	if got := rec.statuses("long"); len(got) != 1 {
		t.Errorf("updates = %q, want only the initial one", got)
	}
}

func TestScriptsEnabled(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		script, local  bool
		fromConfigFile bool
		wantErr        bool
	}{
		{"disabled, from the API", false, false, false, true},
		{"disabled, from a config file", false, false, true, true},
		{"enabled, from the API", true, false, false, false},
		{"enabled, from a config file", true, false, true, false},
		{"local only, from a config file", false, true, true, false},
		{"local only, from the API", false, true, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRunner(t, newRecorder(), func(c *checks.Config) {
				c.EnableScriptChecks, c.EnableLocalScriptChecks = tc.script, tc.local
			})
			err := r.Add("s", &api.AgentServiceCheck{Args: []string{"true"}, Interval: "1m"}, tc.fromConfigFile)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Add = %v, want error %v", err, tc.wantErr)
			}
			if err == nil {
				return
			}
			if !errors.Is(err, checks.ErrScriptsDisabled) {
				t.Errorf("Add = %v, want ErrScriptsDisabled", err)
			}
			if msg := err.Error(); !strings.Contains(msg, "enable_script_checks") || !strings.Contains(msg, "enable_local_script_checks") {
				t.Errorf("error %q does not name the options to set", msg)
			}
		})
	}
}
