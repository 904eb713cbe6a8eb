package cli

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/concordhq/concord/api"
)

const execUsage = `
Usage: concord exec [options] COMMAND...

  Runs COMMAND through the shell on every agent that -node, -service and
  -tag select (regular expressions, as for "concord event"), and prints
  each agent's output as "NODE: LINE", then a summary. With COMMAND "-" the
  script to run is read from stdin.

  Agents refuse unless their config sets disable_remote_exec = false; a
  refusing agent answers "remote execution is disabled on this agent" with
  exit code 1.

  The job is written to the KV store under _rexec/<session>/ and announced
  by the user event "_rexec"; agents write their output back there. The
  command ends after -wait without news once every agent that answered
  has finished (a running agent sends a heartbeat every -wait/2), then
  removes its keys.

  Exit code: 0 if every agent that answered ran COMMAND with exit code 0,
  2 if one failed, refused or did not finish, 1 on an error.

      $ concord exec -service=web uptime
`

// execQuietDefault is -wait's default.
const execQuietDefault = 2 * time.Second

// runExec is `concord exec`.
func runExec(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(execUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	var e api.UserEvent
	registerEventFilters(fs, &e)
	wait := fs.Duration("wait", execQuietDefault, "How long to wait without news before ending.")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	spec := api.RemoteExecSpec{Command: strings.Join(fs.Args(), " "), Wait: *wait}
	if fs.NArg() == 0 {
		return errors.New("Must specify a command to execute")
	}
	if err := checkEventFilters(&e); err != nil {
		return err
	}
	switch {
	case *wait <= 0:
		return errors.New("-wait must be positive")
	case spec.Command == "-":
		script, err := io.ReadAll(stdin)
		if err != nil {
			return fmt.Errorf("Failed to read stdin: %w", err)
		}
		spec.Command, spec.Script = "", script
	}
	c, err := hf.connect(ctx)
	if err != nil {
		return err
	}
	return (&execJob{c: c, spec: spec, filters: e, stdout: stdout, stderr: stderr, foreign: hf.datacenter != ""}).run(ctx)
}

// execTTL is the TTL of the job's session; it is renewed while the job runs.
const execTTL = "15s"

// execJob is one `concord exec` run.
type execJob struct {
	c       *api.Client
	spec    api.RemoteExecSpec
	filters api.UserEvent // only the filters are used
	stdout  io.Writer
	stderr  io.Writer
	dir     string // _rexec/<session>/
	foreign bool   // -datacenter: the job runs in a datacenter the agent may not be in
}

// run creates the session, writes the job, fires the event, follows the
// results until ctx ends or they are all in, and cleans up.
func (j *execJob) run(ctx context.Context) error {
	entry := &api.SessionEntry{Name: "Remote exec", Behavior: api.SessionBehaviorDelete, TTL: execTTL, LockDelay: -1}
	if j.foreign {
		// The agent's own node is not in another datacenter's catalog:
		// the session belongs to one of that datacenter's servers, as
		// Consul's exec does.
		servers, _, err := j.c.Health().Service("consul", nil, true, nil)
		if err != nil || len(servers) == 0 {
			return fmt.Errorf("Failed to find a server for the session: %v", cmp.Or(err, errors.New("no healthy server")))
		}
		entry.Node = servers[0].Node.Node
	}
	session, err := j.c.Session().Create(entry)
	if err != nil {
		return fmt.Errorf("Failed to create session: %w", err)
	}
	// Cleaning up must work after an interrupt too.
	bg := j.c.WithContext(context.Background())
	renewDone, renewed := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(renewed)
		// Ends by destroying the session; its keys go with it.
		bg.Session().RenewPeriodic(execTTL, session, renewDone)
	}()
	j.dir = api.RemoteExecPrefix + "/" + session + "/"
	defer func() {
		close(renewDone)
		<-renewed
		// Keys not held by the session (none from a sound agent) go too.
		if _, err := bg.KV().DeleteTree(j.dir); err != nil {
			fmt.Fprintf(j.stderr, "Error! Failed to clean up %s: %v\n", j.dir, err)
		}
	}()

	if err := j.start(session); err != nil {
		return err
	}
	return j.follow(ctx)
}

// start writes the job, held by session, and fires the event that
// announces it.
func (j *execJob) start(session string) error {
	job, err := json.Marshal(j.spec)
	if err != nil {
		return err
	}
	ok, err := j.c.KV().Acquire(&api.KVPair{Key: j.dir + "job", Value: job, Session: session})
	if err := condWrite(ok, err, "Failed to upload the job",
		"Failed to upload the job: the key is held by another session"); err != nil {
		return err
	}
	payload, err := json.Marshal(api.RemoteExecPayload{Prefix: api.RemoteExecPrefix, Session: session})
	if err != nil {
		return err
	}
	ev := j.filters
	ev.Name, ev.Payload = api.RemoteExecEvent, payload
	if _, err := j.c.Event().Fire(&ev); err != nil {
		return fmt.Errorf("Failed to fire the event: %w", err)
	}
	return nil
}

// execResults is what the agents have reported so far.
type execResults struct {
	partial map[string][]byte // each node's output after its last newline
	seen    map[string]bool   // keys already reported

	acked, exited, failed int // nodes that acknowledged, finished, finished with another code than 0
}

// follow reads the agents' keys with blocking queries and prints what they
// report, until -wait passes without news and every node that acknowledged
// has exited (or, while some still run, until twice -wait passes without
// even a heartbeat). It fails with exit code 2 if a node failed or did not
// finish.
func (j *execJob) follow(ctx context.Context) error {
	keysCh, errCh := make(chan []string), make(chan error, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go j.pollKeys(ctx, keysCh, errCh)

	r := &execResults{partial: map[string][]byte{}, seen: map[string]bool{}}
	quiet := time.NewTimer(j.spec.Wait)
	defer quiet.Stop()
	for {
		select {
		case keys := <-keysCh:
			news := false
			for _, k := range orderExecKeys(keys, j.dir) {
				if !r.seen[k] {
					r.seen[k], news = true, true
					j.report(r, k)
				}
			}
			if news {
				window := j.spec.Wait
				if r.acked > r.exited {
					window *= 2
				}
				quiet.Reset(window)
			}
		case <-quiet.C:
			fmt.Fprintf(j.stdout, "%d / %d node(s) completed / acknowledged\n", r.exited, r.acked)
			if r.failed > 0 || r.exited < r.acked {
				return silentExit(2)
			}
			return nil
		case err := <-errCh:
			return fmt.Errorf("Failed to read results: %w", err)
		case <-ctx.Done():
			return silentExit(1)
		}
	}
}

// report prints what the new key k says and counts it in r.
func (j *execJob) report(r *execResults, k string) {
	node, kind, _ := strings.Cut(strings.TrimPrefix(k, j.dir), "/")
	if kind == "ack" {
		r.acked++
		return
	}
	value, err := j.get(k)
	if err != nil {
		fmt.Fprintf(j.stderr, "Error! Failed to read %s: %v\n", k, err)
		return
	}
	if kind != "exit" { // out/NNNNN; an empty chunk is a heartbeat
		r.partial[node] = j.printLines(node, append(r.partial[node], value...), false)
		return
	}
	r.partial[node] = j.printLines(node, r.partial[node], true)
	r.exited++
	code, err := strconv.Atoi(strings.TrimSpace(string(value)))
	if err != nil {
		fmt.Fprintf(j.stderr, "Error! %s: bad exit code %q\n", node, value)
		code = -1
	}
	if code != 0 {
		r.failed++
	}
	fmt.Fprintf(j.stdout, "%s: finished with exit code %d\n", node, code)
}

// printLines prints the complete lines of node's output out, and with all
// its last partial line too, and returns what is left unprinted.
func (j *execJob) printLines(node string, out []byte, all bool) []byte {
	for {
		i := bytes.IndexByte(out, '\n')
		if i < 0 {
			break
		}
		fmt.Fprintf(j.stdout, "%s: %s\n", node, out[:i])
		out = out[i+1:]
	}
	if all && len(out) > 0 {
		fmt.Fprintf(j.stdout, "%s: %s\n", node, out)
		out = nil
	}
	return out
}

// get reads the value at key.
func (j *execJob) get(key string) ([]byte, error) {
	p, _, err := j.c.KV().Get(key, nil)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, fmt.Errorf("key is gone")
	}
	return p.Value, nil
}

// pollKeys sends the keys under j.dir each time they change, until ctx
// ends; it stops at the first error.
func (j *execJob) pollKeys(ctx context.Context, keysCh chan<- []string, errCh chan<- error) {
	c := j.c.WithContext(ctx)
	var index uint64
	for ctx.Err() == nil {
		keys, meta, err := c.KV().Keys(j.dir, "", &api.QueryOptions{MinQueryIndex: index, MaxQueryTime: j.spec.Wait})
		if err != nil {
			if ctx.Err() == nil {
				errCh <- err
			}
			return
		}
		if meta.LastIndex == index {
			continue
		}
		index = meta.LastIndex
		select {
		case keysCh <- keys:
		case <-ctx.Done():
		}
	}
}

// orderExecKeys returns the node keys of keys (not the job) in the order
// to report them: acks, then output chunks, then exits, so that within one
// read a node's output comes before its exit.
func orderExecKeys(keys []string, dir string) []string {
	rank := func(k string) int {
		_, kind, _ := strings.Cut(strings.TrimPrefix(k, dir), "/")
		switch {
		case kind == "ack":
			return 0
		case strings.HasPrefix(kind, "out/"):
			return 1
		case kind == "exit":
			return 2
		}
		return -1
	}
	var out []string
	for _, k := range keys {
		if rank(k) >= 0 {
			out = append(out, k)
		}
	}
	slices.SortStableFunc(out, func(a, b string) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		return strings.Compare(a, b)
	})
	return out
}
