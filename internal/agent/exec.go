package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/watch"
)

// Remote exec (`concord exec`): the layout of the keys is in api/exec.go.
// An agent that the "_rexec" event selects reads the job, acknowledges it,
// runs it through the shell and writes back its output and exit code. With
// disable_remote_exec (the default) it writes an acknowledgement, the
// output "remote execution is disabled on this agent" and exit code 1, so
// that the caller sees the refusal rather than silence.

const (
	execChunkSize    = 4 << 10                // output is written in chunks of at most this
	execFlushEvery   = 500 * time.Millisecond // and at least this often while there is some
	execMinHeartbeat = 500 * time.Millisecond // bounds of the heartbeat: half the caller's wait
	execMaxHeartbeat = 30 * time.Second
	execJobRetries   = 3 // reads of a job not visible yet (a stale server)
)

// execRefusal is the output of a refusing agent.
const execRefusal = "remote execution is disabled on this agent\n"

// takeRemoteExec handles ev if it is a remote exec event, in the
// background, and reports whether it was one. Remote exec events are not
// kept in the event list, as in Consul.
func (a *Agent) takeRemoteExec(ev *api.UserEvent) bool {
	if ev.Name != api.RemoteExecEvent {
		return false
	}
	go a.remoteExec(ev)
	return true
}

// remoteExec runs the job ev announces, or refuses it.
func (a *Agent) remoteExec(ev *api.UserEvent) {
	var p api.RemoteExecPayload
	if err := json.Unmarshal(ev.Payload, &p); err != nil || p.Prefix == "" || p.Session == "" ||
		strings.HasPrefix(p.Prefix, "/") || strings.Contains(p.Session, "/") {
		a.logger.Warn("ignoring a malformed remote exec event", "id", ev.ID)
		return
	}
	ctx, cancel := context.WithCancel(a.stopCtx)
	defer cancel()
	j := &execJob{a: a, ctx: ctx, cancel: cancel, session: p.Session, dir: p.Prefix + "/" + p.Session + "/" + a.cfg.NodeName + "/"}
	if a.cfg.DisableRemoteExec {
		a.logger.Info("refusing remote exec: disable_remote_exec is set", "session", p.Session)
		if err := j.refuse(); err != nil {
			a.logger.Warn("cannot answer a remote exec", "session", p.Session, "error", err)
		}
		return
	}
	spec, err := j.readSpec(p.Prefix + "/" + p.Session + "/job")
	if err != nil {
		a.logger.Warn("cannot read remote exec job", "session", p.Session, "error", err)
		return
	}
	a.logger.Info("remote exec", "session", p.Session, "command", spec.Command, "args", spec.Args)
	if err := j.put("ack", nil); err != nil {
		a.logger.Warn("cannot acknowledge a remote exec", "session", p.Session, "error", err)
		return
	}
	code := j.run(spec)
	if err := j.put("exit", []byte(strconv.Itoa(code))); err != nil {
		a.logger.Warn("cannot write remote exec exit code", "session", p.Session, "error", err)
	}
}

// execJob is one job on this agent.
type execJob struct {
	a       *Agent
	ctx     context.Context    // ends at shutdown, or when the caller is gone
	cancel  context.CancelFunc // ends ctx, and so stops the command
	session string
	dir     string // <prefix>/<session>/<node>/
}

// put writes name under the job's node dir, held by the session.
func (j *execJob) put(name string, value []byte) error {
	ok, err := j.a.store.KVApply(j.ctx, &api.KVTxnOp{Verb: api.KVLock, Key: j.dir + name, Value: value, Session: j.session})
	if err == nil && !ok {
		err = errors.New("the key is held by another session")
	}
	return err
}

func (j *execJob) refuse() error {
	for _, kv := range [][2]string{{"ack", ""}, {"out/00000", execRefusal}, {"exit", "1"}} {
		if err := j.put(kv[0], []byte(kv[1])); err != nil {
			return err
		}
	}
	return nil
}

// readSpec reads the job at key, retrying a few times while it is missing.
func (j *execJob) readSpec(key string) (*api.RemoteExecSpec, error) {
	for try := 1; ; try++ {
		pair, _, err := j.a.store.KVGet(j.ctx, &api.QueryOptions{}, key)
		if err != nil {
			return nil, err
		}
		if pair != nil {
			var spec api.RemoteExecSpec
			if err := json.Unmarshal(pair.Value, &spec); err != nil {
				return nil, fmt.Errorf("cannot decode job: %w", err)
			}
			return &spec, nil
		}
		if try == execJobRetries {
			return nil, fmt.Errorf("no job at %s", key)
		}
		select {
		case <-j.ctx.Done():
			return nil, j.ctx.Err()
		case <-time.After(execFlushEvery):
		}
	}
}

// run runs spec, streaming its output to KV, and returns its exit code.
func (j *execJob) run(spec *api.RemoteExecSpec) int {
	s := &watch.Script{Args: spec.Args}
	switch {
	case len(spec.Script) > 0:
		s.Args, s.Shell = []string{string(spec.Script)}, true
	case spec.Command != "":
		s.Args, s.Shell = []string{spec.Command}, true
	case len(spec.Args) == 0:
		s.Args, s.Shell = []string{"true"}, true
	}
	out := newExecOutput(j, min(max(spec.Wait/2, execMinHeartbeat), execMaxHeartbeat))
	s.Stdout, s.Stderr = out, out
	err := s.Run(j.ctx, nil)
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		if code = exit.ExitCode(); code < 0 {
			code = 1 // killed by a signal
		}
	case err != nil:
		fmt.Fprintf(out, "%v\n", err)
		code = 1
	}
	out.close()
	return code
}

// execOutput buffers a job's output and writes it to KV in chunks from one
// goroutine, with an empty chunk as a heartbeat when there is nothing to
// say, so the caller knows the job still runs.
type execOutput struct {
	job       *execJob
	heartbeat time.Duration
	kick      chan struct{} // a full chunk is waiting
	stop      chan struct{} // closed by close
	done      chan struct{} // closed when the writer goroutine is gone

	mu  sync.Mutex
	buf []byte // not written yet; guarded by mu
	seq int    // the next chunk's number; only the writer goroutine, then close, use it
}

func newExecOutput(j *execJob, heartbeat time.Duration) *execOutput {
	o := &execOutput{job: j, heartbeat: heartbeat, kick: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{})}
	go o.run()
	return o
}

func (o *execOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	o.buf = append(o.buf, p...)
	full := len(o.buf) >= execChunkSize
	o.mu.Unlock()
	if full {
		select {
		case o.kick <- struct{}{}:
		default:
		}
	}
	return len(p), nil
}

func (o *execOutput) run() {
	defer close(o.done)
	tick := time.NewTicker(execFlushEvery)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case <-o.stop:
			return
		case <-o.kick:
		case <-tick.C:
		}
		if o.flush() {
			last = time.Now()
		} else if time.Since(last) >= o.heartbeat {
			o.writeChunk(nil)
			last = time.Now()
		}
	}
}

// flush writes what is buffered and reports whether there was anything.
func (o *execOutput) flush() bool {
	o.mu.Lock()
	data := o.buf
	o.buf = nil
	o.mu.Unlock()
	wrote := len(data) > 0
	for len(data) > 0 {
		n := min(len(data), execChunkSize)
		o.writeChunk(data[:n])
		data = data[n:]
	}
	return wrote
}

func (o *execOutput) writeChunk(chunk []byte) {
	name := fmt.Sprintf("out/%05x", o.seq)
	o.seq++
	if err := o.job.put(name, chunk); err != nil {
		o.job.a.logger.Warn("cannot write remote exec output", "session", o.job.session, "error", err)
		o.job.stopIfAbandoned()
	}
}

// stopIfAbandoned stops the command once its session is gone: the caller
// destroyed it (or stopped renewing it) and reads no more output.
func (j *execJob) stopIfAbandoned() {
	sessions, _, err := j.a.store.SessionInfo(j.ctx, &api.QueryOptions{}, j.session)
	if err == nil && len(sessions) == 0 {
		j.a.logger.Info("stopping remote exec: its session is gone", "session", j.session)
		j.cancel()
	}
}

// close stops the writer goroutine and writes what is left.
func (o *execOutput) close() {
	close(o.stop)
	<-o.done
	o.flush()
}
