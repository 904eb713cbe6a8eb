// Package rexec runs, on an agent, the remote exec jobs that `concord exec`
// announces (the key layout is in api/exec.go, and is Consul's):
//
//  1. Handle takes the user event api.RemoteExecEvent that selected this
//     agent and runs the job in the background; such events are not kept
//     in the agent's event list, as in Consul.
//  2. The job reads the spec at <prefix>/<session>/job (retrying a few
//     times while a stale server has not seen it yet) and writes
//     <prefix>/<session>/<node>/ack.
//  3. It runs the command through the shell and writes its output in
//     chunks under <node>/out/, at least every 500 ms while there is some,
//     and an empty chunk as a heartbeat (half the caller's wait) when not.
//  4. It writes <node>/exit with the exit code.
//
// Every key is acquired by the caller's session. When a write fails and the
// session is gone (the caller destroyed it or stopped renewing it), the
// command is stopped; it also stops when the agent shuts down.
//
// With Config.Disabled (disable_remote_exec, the default) the agent writes
// an acknowledgement, the output "remote execution is disabled on this
// agent" and exit code 1, so that the caller sees the refusal rather than
// silence.
package rexec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/watch"
)

const (
	execChunkSize    = 4 << 10                // output is written in chunks of at most this
	execFlushEvery   = 500 * time.Millisecond // and at least this often while there is some
	execMinHeartbeat = 500 * time.Millisecond // bounds of the heartbeat: half the caller's wait
	execMaxHeartbeat = 30 * time.Second
	execJobRetries   = 3 // reads of a job not visible yet (a stale server)
)

// execRefusal is the output of a refusing agent.
const execRefusal = "remote execution is disabled on this agent\n"

// Store is the replicated state a job reads and writes: the agent's store
// (its own server, or RPC to the servers). A job calls it from its own
// goroutines, with a ctx that ends when the job stops.
type Store interface {
	KVApply(ctx context.Context, op *api.KVTxnOp) (bool, error)
	KVGet(ctx context.Context, q *api.QueryOptions, key string) (*api.KVPair, api.QueryMeta, error)
	SessionInfo(ctx context.Context, q *api.QueryOptions, id string) ([]*api.SessionEntry, api.QueryMeta, error)
}

// Config is what a Runner needs of the agent.
type Config struct {
	NodeName string // this agent's node: its keys are under <prefix>/<session>/<NodeName>/
	Disabled bool   // refuse every job (disable_remote_exec)
	Logger   *slog.Logger
}

// Runner runs the remote exec jobs meant for one agent.
type Runner struct {
	cfg   Config
	store Store
	ctx   context.Context // ends at agent shutdown, stopping every job
}

// New returns a Runner whose jobs use store and stop when ctx ends.
func New(ctx context.Context, cfg Config, store Store) *Runner {
	return &Runner{cfg: cfg, store: store, ctx: ctx}
}

// Handle runs the job ev announces in the background, and reports whether
// ev was a remote exec event; the agent keeps the other events.
func (r *Runner) Handle(ev *api.UserEvent) bool {
	if ev.Name != api.RemoteExecEvent {
		return false
	}
	go r.run(ev)
	return true
}

// run runs the job ev announces, or refuses it.
func (r *Runner) run(ev *api.UserEvent) {
	log := r.cfg.Logger
	var p api.RemoteExecPayload
	if err := json.Unmarshal(ev.Payload, &p); err != nil || p.Prefix == "" || p.Session == "" ||
		strings.HasPrefix(p.Prefix, "/") || strings.Contains(p.Session, "/") {
		log.Warn("ignoring a malformed remote exec event", "id", ev.ID)
		return
	}
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	j := &execJob{r: r, ctx: ctx, cancel: cancel, session: p.Session, dir: p.Prefix + "/" + p.Session + "/" + r.cfg.NodeName + "/"}
	if r.cfg.Disabled {
		log.Info("refusing remote exec: disable_remote_exec is set", "session", p.Session)
		if err := j.refuse(); err != nil {
			log.Warn("cannot answer a remote exec", "session", p.Session, "error", err)
		}
		return
	}
	spec, err := j.readSpec(p.Prefix + "/" + p.Session + "/job")
	if err != nil {
		log.Warn("cannot read remote exec job", "session", p.Session, "error", err)
		return
	}
	log.Info("remote exec", "session", p.Session, "command", spec.Command, "args", spec.Args)
	if err := j.put("ack", nil); err != nil {
		log.Warn("cannot acknowledge a remote exec", "session", p.Session, "error", err)
		return
	}
	code := j.run(spec)
	if err := j.put("exit", []byte(strconv.Itoa(code))); err != nil {
		log.Warn("cannot write remote exec exit code", "session", p.Session, "error", err)
	}
}

// execJob is one job on this agent.
type execJob struct {
	r       *Runner
	ctx     context.Context    // ends at shutdown, or when the caller is gone
	cancel  context.CancelFunc // ends ctx, and so stops the command
	session string
	dir     string // <prefix>/<session>/<node>/
}

// put writes name under the job's node dir, held by the session.
func (j *execJob) put(name string, value []byte) error {
	ok, err := j.r.store.KVApply(j.ctx, &api.KVTxnOp{Verb: api.KVLock, Key: j.dir + name, Value: value, Session: j.session})
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
		pair, _, err := j.r.store.KVGet(j.ctx, &api.QueryOptions{}, key)
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
		o.job.r.cfg.Logger.Warn("cannot write remote exec output", "session", o.job.session, "error", err)
		o.job.stopIfAbandoned()
	}
}

// stopIfAbandoned stops the command once its session is gone: the caller
// destroyed it (or stopped renewing it) and reads no more output.
func (j *execJob) stopIfAbandoned() {
	sessions, _, err := j.r.store.SessionInfo(j.ctx, &api.QueryOptions{}, j.session)
	if err == nil && len(sessions) == 0 {
		j.r.cfg.Logger.Info("stopping remote exec: its session is gone", "session", j.session)
		j.cancel()
	}
}

// close stops the writer goroutine and writes what is left.
func (o *execOutput) close() {
	close(o.stop)
	<-o.done
	o.flush()
}
