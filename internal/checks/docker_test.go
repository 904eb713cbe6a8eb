package checks_test

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/checks"
)

// fakeDocker is a Docker daemon on a unix socket that knows one running
// container and answers an exec with the exit code and output its run
// function gives for the command.
type fakeDocker struct {
	container string
	run       func(cmd []string) (code int, stdout, stderr string)

	mu    sync.Mutex
	execs map[string][]string // exec ID → command
	cmds  [][]string          // every command run, in order
}

func startFakeDocker(t *testing.T, f *fakeDocker) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "dk") // short: a socket path has a length limit
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "docker.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	f.execs = map[string][]string{}
	srv := &http.Server{Handler: f}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "unix://" + sock
}

func (f *fakeDocker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.Method == "POST" && len(parts) == 3 && parts[0] == "containers" && parts[2] == "exec":
		if parts[1] != f.container {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, `{"message":"No such container: %s"}`, parts[1])
			return
		}
		var body struct {
			AttachStdout, AttachStderr bool
			Cmd                        []string
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || !body.AttachStdout || !body.AttachStderr {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		id := fmt.Sprintf("exec%d", len(f.execs))
		f.execs[id] = body.Cmd
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"Id":%q}`, id)
	case r.Method == "POST" && len(parts) == 3 && parts[0] == "exec" && parts[2] == "start":
		cmd := f.execs[parts[1]]
		f.cmds = append(f.cmds, cmd)
		_, stdout, stderr := f.run(cmd)
		w.Header().Set("Content-Type", "application/vnd.docker.multiplexed-stream")
		for _, frame := range []struct {
			stream byte
			data   string
		}{{1, stdout}, {2, stderr}} {
			hdr := []byte{frame.stream, 0, 0, 0, 0, 0, 0, 0}
			binary.BigEndian.PutUint32(hdr[4:], uint32(len(frame.data)))
			w.Write(append(hdr, frame.data...))
		}
	case r.Method == "GET" && len(parts) == 3 && parts[0] == "exec" && parts[2] == "json":
		code, _, _ := f.run(f.execs[parts[1]])
		fmt.Fprintf(w, `{"ExitCode":%d,"Running":false}`, code)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"message":"page not found"}`)
	}
}

func (f *fakeDocker) commands() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.cmds)
}

// TestDockerCheck: a Docker check (DockerContainerID with ScriptArgs) is
// its own type, allowed where scripts are; it runs its arguments in the
// container through the daemon at DOCKER_HOST, with the exit code of a
// script (0 passing, 1 warning, else critical) and the command's stdout
// and stderr as output. A container the daemon does not know, or a daemon
// that does not answer, is critical with the reason.
func TestDockerCheck(t *testing.T) {
	f := &fakeDocker{container: "f972c95ebf0e", run: func(cmd []string) (int, string, string) {
		switch strings.Join(cmd, " ") {
		case "/bin/check ok":
			return 0, "all good\n", "(stderr too)\n"
		case "/bin/check slow":
			return 1, "slow\n", ""
		}
		return 2, "", "broken\n"
	}}
	t.Setenv("DOCKER_HOST", startFakeDocker(t, f))

	def := func(args ...string) *api.AgentServiceCheck {
		return &api.AgentServiceCheck{DockerContainerID: f.container, Args: args, Interval: "1s"}
	}
	if got := checks.Type(def("/bin/check", "ok")); got != "docker" {
		t.Errorf("Type(docker definition) = %q, want docker", got)
	}
	rec := newRecorder()
	r := newRunner(t, rec, func(c *checks.Config) { c.EnableScriptChecks = true })
	for _, tc := range []struct {
		id, arg, status, output string
	}{
		{"ok", "ok", api.HealthPassing, "all good\n(stderr too)\n"},
		{"slow", "slow", api.HealthWarning, "slow\n"},
		{"broken", "broken", api.HealthCritical, "broken\n"},
	} {
		mustAdd(t, r, tc.id, def("/bin/check", tc.arg))
		// The first report is the initial status (critical), before a run.
		waitFor(t, "Docker check "+tc.id+" to be "+tc.status+" with output "+tc.output, func() bool {
			u, ok := rec.last(tc.id)
			return ok && u.status == tc.status && u.output == tc.output
		})
	}
	if cmds := f.commands(); len(cmds) == 0 || !slices.Equal(cmds[0], []string{"/bin/check", "ok"}) {
		t.Errorf("commands run in the container: %q, want [/bin/check ok] first", cmds)
	}

	gone := def("/bin/check", "ok")
	gone.DockerContainerID = "elsewhere"
	mustAdd(t, r, "gone", gone)
	waitFor(t, "the check of a missing container to say so", func() bool {
		u, ok := rec.last("gone")
		return ok && u.status == api.HealthCritical && strings.Contains(u.output, "No such container: elsewhere")
	})

	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "nothing.sock"))
	mustAdd(t, r, "nodaemon", def("/bin/check", "ok"))
	waitFor(t, "the check without a daemon to say so", func() bool {
		u, ok := rec.last("nodaemon")
		return ok && u.status == api.HealthCritical && strings.Contains(u.output, "cannot create exec")
	})

	plain := newRunner(t, newRecorder(), nil)
	if err := plain.Add("d", def("/bin/true"), false); !errors.Is(err, checks.ErrScriptsDisabled) {
		t.Errorf("Add(docker) without script checks = %v, want ErrScriptsDisabled", err)
	}
	if err := r.Validate(def(), false); !errors.Is(err, checks.ErrInvalidCheck) {
		t.Errorf("Validate(docker without ScriptArgs) = %v, want ErrInvalidCheck", err)
	}
	badName := def("/bin/true")
	badName.DockerContainerID = "-it"
	if err := r.Validate(badName, false); !errors.Is(err, checks.ErrInvalidCheck) {
		t.Errorf("Validate(docker in container %q) = %v, want ErrInvalidCheck", badName.DockerContainerID, err)
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
