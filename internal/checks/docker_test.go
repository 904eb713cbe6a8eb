package checks_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/checks"
)

// TestDockerCheck: a Docker check (DockerContainerID with ScriptArgs) is
// its own type, allowed where scripts are; it is not run, so it reports
// its initial status once with an output that says so.
func TestDockerCheck(t *testing.T) {
	def := &api.AgentServiceCheck{DockerContainerID: "f972c95ebf0e", Args: []string{"/bin/true"}, Interval: "10s"}
	if got := checks.Type(def); got != "docker" {
		t.Errorf("Type(docker definition) = %q, want docker", got)
	}
	rec := newRecorder()
	r := newRunner(t, rec, func(c *checks.Config) { c.EnableScriptChecks = true })
	mustAdd(t, r, "d", def)
	if u := waitStatus(t, rec, "d", api.HealthCritical); !strings.Contains(u.output, "does not run Docker checks") {
		t.Errorf("Docker check output = %q, want it to say it is not run", u.output)
	}

	plain := newRunner(t, newRecorder(), nil)
	if err := plain.Add("d", def, false); !errors.Is(err, checks.ErrScriptsDisabled) {
		t.Errorf("Add(docker) without script checks = %v, want ErrScriptsDisabled", err)
	}
	noArgs := *def
	noArgs.Args = nil
	if err := r.Validate(&noArgs, false); !errors.Is(err, checks.ErrInvalidCheck) {
		t.Errorf("Validate(docker without ScriptArgs) = %v, want ErrInvalidCheck", err)
	}
}

// TestCheckDurations: every duration field is parsed whatever the check's
// type, and the error is time.ParseDuration's own text.
func TestCheckDurations(t *testing.T) {
	for _, tc := range []struct {
		name string
		def  api.AgentServiceCheck
		want string
	}{
		{"all good", api.AgentServiceCheck{TTL: "15s", Interval: "10s", Timeout: "1s", DeregisterCriticalServiceAfter: "90m"}, ""},
		{"bad interval on a TTL check", api.AgentServiceCheck{TTL: "15s", Interval: "10"}, `time: missing unit in duration "10"`},
		{"bad deregister after", api.AgentServiceCheck{TTL: "15s", DeregisterCriticalServiceAfter: "nope"}, `time: invalid duration "nope"`},
		{"bad timeout", api.AgentServiceCheck{HTTP: "http://x", Interval: "1s", Timeout: "x"}, `time: invalid duration "x"`},
		{"bad ttl", api.AgentServiceCheck{TTL: "1d"}, `time: unknown unit "d" in duration "1d"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checks.CheckDurations(&tc.def)
			if got := errText(err); got != tc.want {
				t.Errorf("CheckDurations(%+v) = %q, want %q", tc.def, got, tc.want)
			}
		})
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
